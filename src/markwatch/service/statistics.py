"""Station statistics (统计分析): per organisation, alerts by brand, by region of the applicant (from its
address), by Nice class and by week or month, each with the review outcomes (opposition filed,
dismissed, open); as JSON for the API and as an XLSX workbook."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from markwatch.fileio import atomic_output
from markwatch.service.alerts import AlertFilter, alert_query, check_filter, safe_cell
from markwatch.service.orgs import Principal
from markwatch.service.tenancy import scoped_filter

OUTCOMES = ("new", "reviewing", "opposition_filed", "dismissed")
OUTCOME_LABELS = {"new": "新预警", "reviewing": "审查中", "opposition_filed": "已提异议", "dismissed": "已排除"}
PROVINCES = ("北京", "天津", "上海", "重庆", "河北", "山西", "辽宁", "吉林", "黑龙江", "江苏", "浙江", "安徽",
             "福建", "江西", "山东", "河南", "湖北", "湖南", "广东", "海南", "四川", "贵州", "云南", "陕西",
             "甘肃", "青海", "台湾", "内蒙古", "广西", "西藏", "宁夏", "新疆", "香港", "澳门")
_MUNICIPALITIES = {"北京", "天津", "上海", "重庆"}
_SUFFIX = {"内蒙古": "自治区", "广西": "壮族自治区", "西藏": "自治区", "宁夏": "回族自治区", "新疆": "维吾尔自治区",
           "香港": "特别行政区", "澳门": "特别行政区"}
_CITY = re.compile(r"^(.{2,8}?(?:自治州|地区|盟|市))")
_FOREIGN = ("日本", "美国", "韩国", "英国", "法国", "德国", "意大利", "新加坡", "澳大利亚", "加拿大", "瑞士",
            "荷兰", "西班牙", "泰国", "马来西亚", "越南", "印度", "俄罗斯", "新西兰", "瑞典", "比利时", "奥地利")


def province_name(short: str) -> str:
    if short in _MUNICIPALITIES:
        return short + "市"
    return short + _SUFFIX.get(short, "省")


def region_of(address: str | None, procedure: str = "national", country: str | None = None) -> tuple[str, str]:
    """(province, city) of an applicant address: 浙江省杭州市… → (浙江省, 杭州市); 上海市浦东新区… → (上海市,
    浦东新区); abroad → (境外, the country); unknown → (未知, '')."""
    text = re.sub(r"\s+", "", address or "")
    for short in sorted(PROVINCES, key=len, reverse=True):
        if text.startswith(short):
            rest = text[len(short):]
            for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市"):
                if rest.startswith(suffix):
                    rest = rest[len(suffix):]
                    break
            if short in _MUNICIPALITIES:
                district = re.match(r"^(.{1,6}?(?:区|县))", rest)
                return province_name(short), district.group(1) if district else ""
            city = _CITY.match(rest)
            return province_name(short), city.group(1) if city else ""
    for name in _FOREIGN:
        if text.startswith(name):
            return "境外", name
    city = _CITY.match(text)
    if city and not re.search(r"[A-Za-z]", city.group(1)):
        return "未知", city.group(1)
    if procedure == "madrid" or country or re.search(r"[A-Za-z]{3}", text):
        return "境外", country or ""
    return "未知", ""


def _row(key: dict, counts: dict[str, int]) -> dict:
    return {**key, "total": sum(counts.values()), **{o: counts.get(o, 0) for o in OUTCOMES}}


def station_statistics(s: Session, p: Principal, f: AlertFilter, today: date | None = None) -> dict:
    """`f` is checked as every alert list checks it (`since` after `until` is an error, not an empty
    table; `due` is the open alerts of a deadline window from `today`, the day in the settings' zone)."""
    f = scoped_filter(s, p, check_filter(f, today or date.today()))
    f.limit, f.offset = None, 0
    by: dict[str, dict[tuple, dict[str, int]]] = {k: defaultdict(lambda: defaultdict(int))
                                                  for k in ("brand", "region", "class", "week", "month")}
    brand_names: dict[tuple, dict] = {}
    totals: dict[str, int] = defaultdict(int)
    for a in s.scalars(alert_query(f)).unique():
        m, b = a.gazette_mark, a.brand
        status = a.status if a.status in OUTCOMES else "new"
        totals[status] += 1
        bkey = (a.watchlist_id, b.brand_id)
        brand_names[bkey] = {"watchlist": a.watchlist.name, "brand_id": b.brand_id, "brand": b.mark}
        by["brand"][bkey][status] += 1
        by["region"][region_of(m.applicant_address, m.procedure, (m.refs or {}).get("holder_country"))][status] += 1
        for c in m.classes or [0]:
            by["class"][(c,)][status] += 1
        day: date | None = m.publication_date or (a.created_at.date() if a.created_at else None)
        if day is not None:
            year, week, _ = day.isocalendar()
            by["week"][(f"{year}-W{week:02d}",)][status] += 1
            by["month"][(day.strftime("%Y-%m"),)][status] += 1

    def ranked(rows: list[dict]) -> list[dict]:
        return sorted(rows, key=lambda r: (-r["total"], str(list(r.values())[0])))

    return {
        "organisation": p.name,
        "totals": _row({}, totals),
        "by_brand": ranked([_row(brand_names[k], v) for k, v in by["brand"].items()]),
        "by_region": ranked([_row({"province": k[0], "city": k[1]}, v) for k, v in by["region"].items()]),
        "by_class": sorted((_row({"class": k[0] or None}, v) for k, v in by["class"].items()),
                           key=lambda r: (r["class"] is None, r["class"] or 0)),
        "by_week": sorted((_row({"week": k[0]}, v) for k, v in by["week"].items()), key=lambda r: r["week"]),
        "by_month": sorted((_row({"month": k[0]}, v) for k, v in by["month"].items()), key=lambda r: r["month"]),
    }


SHEETS = (("by_brand", "按品牌", (("watchlist", "监测名单"), ("brand_id", "品牌编号"), ("brand", "监测商标"))),
          ("by_region", "按地区", (("province", "省份"), ("city", "城市/区"))),
          ("by_class", "按类别", (("class", "类别"),)),
          ("by_week", "按周", (("week", "周"),)),
          ("by_month", "按月", (("month", "月份"),)))
_COUNTS = (("total", "预警总数"), *((o, OUTCOME_LABELS[o]) for o in OUTCOMES))


def write_statistics_xlsx(stats: dict, out: Path) -> Path:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference
    from openpyxl.styles import Font, PatternFill

    wb = Workbook()
    ws = wb.active
    ws.title = "汇总"
    ws.append(["单位", stats["organisation"]])
    for key, label in _COUNTS:
        ws.append([label, stats["totals"][key]])
    for key, title, columns in SHEETS:
        sheet = wb.create_sheet(title)
        sheet.append([h for _, h in columns] + [h for _, h in _COUNTS])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
        for row in stats[key]:
            sheet.append([safe_cell(row[k] if key != "by_class" else (f"第{row[k]}类" if row[k] else "未分类"))
                          for k, _ in columns] + [row[k] for k, _ in _COUNTS])
        for i, (_, h) in enumerate(columns + _COUNTS, start=1):
            sheet.column_dimensions[sheet.cell(row=1, column=i).column_letter].width = max(10, len(h) * 2 + 4)
        sheet.freeze_panes = "A2"
        if key in ("by_month", "by_week") and stats[key]:
            chart = BarChart()
            chart.type, chart.grouping, chart.overlap = "col", "stacked", 100
            chart.title = f"预警{title}（按处理结果）"
            first = len(columns) + 2
            data = Reference(sheet, min_col=first, max_col=first + len(OUTCOMES) - 1, min_row=1,
                             max_row=len(stats[key]) + 1)
            chart.add_data(data, titles_from_data=True)
            chart.set_categories(Reference(sheet, min_col=1, min_row=2, max_row=len(stats[key]) + 1))
            sheet.add_chart(chart, f"{chr(ord('A') + len(columns) + len(_COUNTS) + 1)}2")
    out = Path(out)
    with atomic_output(out) as tmp:
        wb.save(tmp)
    return out

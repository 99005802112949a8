"""The opposition pack as sections both writers lay out the same way: a title, then sections of fields
(label, value), tables (header, rows) or lists of paragraphs."""

from __future__ import annotations

from dataclasses import dataclass, field

GROUND_STATUS = {"applicable": "适用", "to verify": "待核实"}


@dataclass
class Section:
    heading: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)


def _text(value: object) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value)


def title(pack: dict) -> str:
    o = pack["opposed"]
    return f"商标异议材料：{o['mark'] or '（图形）'}（申请号 {o['application_no']}）"


def sections(pack: dict) -> list[Section]:
    o, p, d = pack["opposed"], pack["opponent"], pack["deadline"]
    page = o.get("page") or {}
    opposed = Section("一、被异议商标（按公告原样）", fields=[
        ("商标", o["mark"] or "（图形）"), ("商标类型", o["mark_type"]), ("申请号", o["application_no"]),
        ("国际分类", "、".join(f"第{c}类" for c in o["classes"]) or "—"), ("指定商品/服务", _text(o["goods"])),
        ("类似群", _text(o["similar_groups"])
         + ("（由商品名称对应）" if o.get("similar_groups_from_goods") and o["similar_groups"] else "")),
        ("申请人", _text(o["applicant"])),
        ("申请人地址", _text(o["applicant_address"])), ("代理机构", _text(o["agent"])),
        ("申请日期", _text(o["filing_date"])),
    ])
    if o["procedure"] == "madrid":
        opposed.fields += [("国际注册号", _text(o["international_registration_no"])),
                           ("《国际商标公告》期号", _text(o["wipo_gazette"])),
                           ("国际公告出版日期", _text(o["wipo_publication_date"])),
                           ("指定日期", _text(o["designation_date"]))]
    else:
        opposed.fields += [("公告期号", f"第{o['gazette_issue']}期" if o["gazette_issue"] else "—"),
                           ("初审公告日期", _text(o["publication_date"])),
                           ("公告页码", f"第{page['page_no']}页" if page.get("page_no") else "—")]
    if page.get("url"):
        opposed.fields.append(("公告页链接", page["url"]))
    opponent = Section("二、异议人及引证商标", fields=[
        ("引证商标", p["brand"]), ("商标编号", p["brand_id"]), ("权利人（异议人）", _text(p["owner"])),
        ("注册号", _text(p["registration_no"])), ("核定类别", "、".join(f"第{c}类" for c in p["classes"]) or "—"),
        ("驰名商标", _text(p["well_known"])), ("重点商标", _text(p["key"])),
        ("重点商标保护名录", f"{p['protection_list']}（{p['protection_year']}年）" if p["protection_list"]
         and p["protection_year"] else _text(p["protection_list"])),
        ("监测名单", pack["watchlist"]), ("指导站", pack["station"]),
    ])
    days = d["days_left"]
    left = "—" if days is None else (f"剩余 {days} 天" if days >= 0 else f"已过期 {-days} 天")
    deadline = Section("三、异议期限", fields=[
        ("异议截止日", _text(d["date"])), ("剩余天数", left), ("计算依据", _text(d["rule_text"])),
        ("节假日依据", {"official": "国务院节假日安排（chinesecalendar）", "operator": "运营方载入的节假日安排",
                     "weekends-only": "仅按周末顺延（未含法定节假日）"}.get(d["calendar"] or "", "—")),
    ] + ([("期限说明", d["note"])] if d["note"] else []))
    grounds = Section("四、异议理由提纲", header=["法律依据", "理由", "要点", "状态"],
                      rows=[[g["article"], g["title"], g["basis"], GROUND_STATUS.get(g["status"], g["status"])]
                            for g in pack["grounds"]])
    if not pack["grounds"]:
        grounds.paragraphs.append("预警理由未直接对应法定异议理由，请结合案情补充。")
    evidence = Section("五、证据目录", header=["序号", "证据名称", "来源", "证明内容", "页码"],
                       rows=[[str(e["no"]), e["name"], e["source"], e["proves"], e["pages"] or ""]
                             for e in pack["evidence"]])
    reasons = Section("六、预警依据", paragraphs=[f"{r['label']}：{r['detail']}" for r in pack["reasons"]]
                      + [f"近似度 {pack['score']:.2f}，风险等级 {pack['severity']}，处理状态 {pack['status']}"])
    out = [opposed, opponent, deadline, grounds, evidence, reasons]
    if pack["other_alerts"]:
        out.append(Section("七、同一申请人的其他预警", header=["预警编号", "商标", "申请号", "类别", "引证商标", "公告日期", "状态"],
                           rows=[[str(x["alert_id"]), x["mark"], x["application_no"], _text(x["classes"]), x["brand"],
                                  _text(x["publication_date"]), x["status"]] for x in pack["other_alerts"]]))
    return out


def footer(pack: dict) -> str:
    return (f"markwatch 预警 {pack['alert_id']}，生成于 {pack['generated_on']}。本材料为异议准备提纲，"
            "证据页码及事实请由指导站核实后提交。")

"""Station statistics (统计分析): alerts by brand, region, class, week and month with the review outcomes, as
JSON from the API and as an XLSX workbook."""

from __future__ import annotations

import io
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import load_workbook

from markwatch.api import create_app
from markwatch.service.statistics import region_of

from .servicekit import make_service

EXPORT = Path(__file__).resolve().parent / "data" / "cnipa" / "list-2004.json"
STATION, OTHER = "杭州市商标品牌指导站", "宁波市商标品牌指导站"


def test_region_from_the_applicant_address():
    assert region_of("广东省广州市白云区太和镇某某路18号") == ("广东省", "广州市")
    assert region_of("浙江省湖州市安吉县递铺街道") == ("浙江省", "湖州市")
    assert region_of("上海市浦东新区张江路1号") == ("上海市", "浦东新区")
    assert region_of("新疆维吾尔自治区乌鲁木齐市天山区") == ("新疆维吾尔自治区", "乌鲁木齐市")
    assert region_of("湖北省恩施土家族苗族自治州恩施市") == ("湖北省", "恩施土家族苗族自治州")
    assert region_of("日本国大阪府大阪市北区") == ("境外", "日本")
    assert region_of("10 Anson Road, Singapore 079903") == ("境外", "")
    assert region_of("1-2-3 Umeda, Osaka, JP", "madrid", "JP") == ("境外", "JP")
    assert region_of(None) == ("未知", "")


def test_statistics_per_organisation_by_api_and_xlsx(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path}/t.db", tmp_path)
    tokens = {STATION: svc.create_org(STATION, "station")[1], OTHER: svc.create_org(OTHER, "station")[1]}
    station = svc.as_org(svc.authenticate(tokens[STATION]))
    wl = station.create_watchlist("重点商标")["id"]
    station.create_brand(wl, {"brand_id": "HZ-0002", "mark": "康师傅", "classes": [30]})
    station.create_brand(wl, {"brand_id": "HZ-0003", "mark": "雪碧", "classes": [32]})
    svc.ingest([EXPORT])
    svc.run()
    client = TestClient(create_app(svc))
    h = {"Authorization": f"Bearer {tokens[STATION]}"}
    items = client.get("/api/v1/alerts", headers=h, params={"limit": 500}).json()["items"]
    by_no = {a["application_no"]: a["alert_id"] for a in items}
    client.post(f"/api/v1/alerts/{by_no['82025373']}/status", headers=h, json={"status": "opposition_filed"})
    client.post(f"/api/v1/alerts/{by_no['82025374']}/status", headers=h, json={"status": "dismissed"})

    stats = client.get("/api/v1/alerts/statistics", headers=h).json()
    total = len(items)
    assert stats["totals"]["total"] == total and stats["totals"]["opposition_filed"] == 1
    assert stats["totals"]["dismissed"] == 1 and stats["totals"]["new"] == total - 2
    brands = {r["brand"]: r for r in stats["by_brand"]}
    assert brands["康师傅"]["opposition_filed"] == 1 and brands["雪碧"]["dismissed"] == 1
    regions = {(r["province"], r["city"]): r for r in stats["by_region"]}
    assert regions[("广东省", "广州市")]["total"] >= 2 and regions[("广东省", "东莞市")]["dismissed"] == 1
    classes = {r["class"]: r["total"] for r in stats["by_class"]}
    assert classes[30] >= 3 and classes[32] >= 1
    assert stats["by_week"] == [{"week": "2026-W43", "total": total, "new": total - 2, "reviewing": 0,
                                 "opposition_filed": 1, "dismissed": 1}]
    assert stats["by_month"][0]["month"] == "2026-10"
    # another organisation counts nothing of the station's
    other = client.get("/api/v1/alerts/statistics", headers={"Authorization": f"Bearer {tokens[OTHER]}"}).json()
    assert other["totals"]["total"] == 0

    r = client.get("/api/v1/alerts/statistics/export", headers=h)
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["汇总", "按品牌", "按地区", "按类别", "按周", "按月"]
    header = [c.value for c in wb["按地区"][1]]
    assert header == ["省份", "城市/区", "预警总数", "新预警", "审查中", "已提异议", "已排除"]
    rows = {(row[0], row[1]): row for row in wb["按地区"].iter_rows(min_row=2, values_only=True)}
    assert rows[("广东省", "东莞市")][6] == 1
    assert [c.value for c in wb["按类别"]["A"][1:]][0] == "第29类" or "第30类" in [c.value for c in wb["按类别"]["A"]]
    assert wb["按月"]._charts  # a chart of the months by outcome
    assert dict(wb["汇总"].iter_rows(values_only=True))["已提异议"] == 1

    # the operator's view from the command line
    from typer.testing import CliRunner

    from markwatch.cli import app, common

    original = common.service
    common.service = lambda: svc
    try:
        result = CliRunner().invoke(app, ["alerts", "stats", "--organisation", STATION, "--out", str(tmp_path / "s.xlsx")])
    finally:
        common.service = original
    assert result.exit_code == 0, result.output
    assert f"{total} alerts, opposition filed 1, dismissed 1" in result.output and (tmp_path / "s.xlsx").exists()

"""Key-trademark protection lists (重点商标保护名录) imported into a watchlist with the list's name and year."""

from __future__ import annotations

import csv
from pathlib import Path

from fastapi.testclient import TestClient
from openpyxl import Workbook
from sqlalchemy import select
from typer.testing import CliRunner

from markwatch.api import create_app
from markwatch.service.alerts import AlertFilter
from markwatch.sources.protection_lists import read_protection_list
from markwatch.store.tables import BrandRow

from .servicekit import make_service, write_jsonl

LIST = Path(__file__).resolve().parent / "data" / "protection_lists" / "zhejiang-2025.csv"
STATION = "杭州市商标品牌指导站"


def _xlsx(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    with open(LIST, encoding="utf-8") as fh:
        for row in csv.reader(fh):
            ws.append(row)
    ws.merge_cells("A1:F1")  # the title spans the table, as published
    wb.save(path)
    return path


def test_the_list_is_read_with_its_name_and_year(tmp_path):
    for path in (LIST, _xlsx(tmp_path / "名录.xlsx")):
        parsed = read_protection_list(path)
        assert (parsed.name, parsed.year) == ("2025年度浙江省重点商标保护名录", 2025)
        brands = {b.brand_id: b for _, b in parsed.brands}
        assert sorted(brands) == ["1234567", "3456789", "3456790", "5678901", "9876543"]
        wahaha = brands["1234567"]
        assert (wahaha.mark, wahaha.classes, wahaha.owner, wahaha.key, wahaha.registration_no) == (
            "娃哈哈", (32,), "杭州娃哈哈集团有限公司", True, "1234567")
        assert (wahaha.protection_list, wahaha.protection_year) == ("2025年度浙江省重点商标保护名录", 2025)
        assert brands["3456790"].classes == (29, 30)
        assert parsed.errors == [("row 6", "missing registration number (缺少注册号)")]
    named = read_protection_list(LIST, name="杭州市重点商标保护名录", year=2026)
    assert (named.name, named.year) == ("杭州市重点商标保护名录", 2026)


def test_import_from_the_command_line_into_a_watchlist(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path}/t.db", tmp_path)
    from markwatch.cli import app, common

    original = common.service
    common.service = lambda: svc
    try:
        runner = CliRunner()
        result = runner.invoke(app, ["watchlist", "import-list", str(LIST), "--organisation", STATION])
        assert result.exit_code == 1, result.output  # one row lacked its registration number
        assert "brands new 5" in result.output and "缺少注册号" in result.output
        again = runner.invoke(app, ["watchlist", "import-list", str(LIST), "--organisation", STATION])
        assert "brands new 0, updated 0, unchanged 5" in again.output
    finally:
        common.service = original
    with svc.db.session() as s:
        rows = list(s.scalars(select(BrandRow)))
        assert {r.watchlist.name for r in rows} == {"2025年度浙江省重点商标保护名录"}
        assert all(r.key and r.protection_year == 2025 for r in rows)
    svc.ingest([write_jsonl(tmp_path / "g.jsonl", [
        {"application_no": "90000031", "mark": "娃哈娃", "classes": [32], "goods": ["果汁饮料"],
         "applicant": "某某饮料有限公司", "publication_date": "2026-10-20", "gazette_issue": "2004"}])])
    svc.run()
    [alert] = svc.alerts(AlertFilter())
    assert (alert["brand"], alert["brand_id"], alert["watchlist"]) == ("娃哈哈", "1234567", "2025年度浙江省重点商标保护名录")


def test_upload_through_the_api_is_recognised_as_a_list(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path}/t.db", tmp_path)
    token = svc.create_org(STATION, "station")[1]
    client = TestClient(create_app(svc))
    h = {"Authorization": f"Bearer {token}"}
    wl = client.post("/api/v1/watchlists", json={"name": "重点商标"}, headers=h).json()["id"]
    data = _xlsx(tmp_path / "名录.xlsx").read_bytes()
    r = client.post(f"/api/v1/watchlists/{wl}/brands/import", headers=h,
                    files={"file": ("名录.xlsx", data, "application/octet-stream")})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["brands_new"], body["protection_list"], body["year"]) == (5, "2025年度浙江省重点商标保护名录", 2025)
    assert body["errors"][0]["reason"] == "missing registration number (缺少注册号)"
    brand = client.get(f"/api/v1/watchlists/{wl}/brands/1234567", headers=h).json()
    assert (brand["protection_list"], brand["protection_year"], brand["registration_no"], brand["key"]) == (
        "2025年度浙江省重点商标保护名录", 2025, "1234567", True)
    # a brand of the list is edited like any other; its origin stays
    r = client.patch(f"/api/v1/watchlists/{wl}/brands/1234567", json={"aliases": ["WAHAHA"]}, headers=h)
    assert r.status_code == 200 and r.json()["protection_year"] == 2025 and r.json()["aliases"] == ["WAHAHA"]
    # the list's name and year may be given
    r = client.post(f"/api/v1/watchlists/{wl}/brands/import", headers=h, params={"list_name": "嘉兴市名录", "year": 2026},
                    files={"file": ("list.csv", LIST.read_bytes(), "text/csv")})
    assert r.json()["brands_updated"] == 5 and r.json()["year"] == 2026

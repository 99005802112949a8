"""The gazette site's list export (JSON, and the same columns in CSV/XLSX) read without hand mapping: only
初步审定 rows are watched, the page and file references stay on the mark, and each issue is checked for
completeness."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from openpyxl import Workbook
from sqlalchemy import select

from markwatch.service.alerts import AlertFilter
from markwatch.service.issues import merge_pages, missing_pages
from markwatch.sources.files import read_gazette_file
from markwatch.store.tables import GazetteMark, IngestedFile, QuarantinedRecord

from .servicekit import make_service

DATA = Path(__file__).resolve().parent / "data" / "cnipa"
EXPORT = DATA / "list-2004.json"


def _site_rows() -> list[dict]:
    return [row for page in json.loads(EXPORT.read_text(encoding="utf-8")) for row in page["data"]["list"]]


def _write_csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows({k: ("" if v is None else v) for k, v in r.items()} for r in rows)
    return path


def _write_xlsx(path: Path, rows: list[dict]) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.append(list(rows[0]))
    for r in rows:
        ws.append(list(r.values()))
    wb.save(path)
    return path


def test_site_export_is_read_without_mapping_and_only_preliminary_rows_are_watched(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path}/t.db", tmp_path)
    [summary] = svc.ingest([EXPORT])
    assert summary.error is None and summary.format == "json"
    assert (summary.read, summary.stored, summary.duplicates, summary.quarantined, summary.skipped) == (12, 8, 0, 1, 3)
    assert summary.read == summary.stored + summary.duplicates + summary.quarantined + summary.skipped
    assert {k.split(" ")[0]: v for k, v in summary.skipped_reasons.items()} == {"商标注册公告": 2, "送达公告": 1}
    assert any("declares 13 records but holds 12" in n for n in summary.notes)
    assert summary.issues == ["2004"]

    with svc.db.session() as s:
        marks = {m.application_no: m for m in s.scalars(select(GazetteMark))}
        row = s.scalar(select(IngestedFile))
        assert (row.skipped, row.quarantined) == (3, 1) and sum(row.skipped_reasons.values()) == 3
        q = s.scalar(select(QuarantinedRecord))
        assert (q.issue_key, q.page_no, q.locator) == ("2004", 5, "page 1 record 6")
        assert "class 99" in q.reason
    assert "71234567" not in marks and "69876543" not in marks  # 注册公告, 送达公告: not watched
    m = marks["82025373"]
    assert (m.mark, m.classes, m.gazette_issue, m.publication_date.isoformat(), m.filing_date.isoformat()) == (
        "康帅傅", [30], "2004", "2026-10-20", "2026-03-12")
    assert (m.applicant, m.applicant_address) == ("广州市某某食品有限公司", "广东省广州市白云区太和镇某某路18号")
    assert (m.page_no, m.page_count) == (1, 8)
    assert m.refs["fileId"] == "TMZCSQ200400001" and m.refs["imgDir"] == "/tmann/2004/TMZCSQ/00001.jpg"
    assert m.refs["id"] == m.refs["searchId"] == "8812400001" and m.refs["anncType"] == "TMZCSQ"
    assert m.refs["agentName"] == "某某知识产权代理有限公司"
    figurative = marks["82025376"]
    assert (figurative.mark, figurative.mark_type) == ("", "figurative")
    foreign = marks["82025377"]  # no Chinese name on the row: the English name and address are the applicant's
    assert foreign.applicant == "WAHAHA BEVERAGE TRADING PTE. LTD." and "Singapore" in foreign.applicant_address

    again = svc.ingest([EXPORT])[0]
    assert (again.stored, again.duplicates, again.quarantined, again.skipped) == (0, 8, 1, 3)
    assert len(svc.quarantine()) == 1


def test_the_same_columns_in_csv_and_xlsx_give_the_same_marks(tmp_path):
    rows = _site_rows()
    fields = ("application_no", "mark", "classes", "applicant", "applicant_address", "publication_date",
              "gazette_issue", "page_no", "page_count", "refs", "mark_type")

    def marks_of(path: Path) -> dict:
        items = list(read_gazette_file(path))
        assert sum(1 for i in items if i.skipped) == 3 and sum(1 for i in items if i.error) == 1
        return {i.record.application_no: tuple(getattr(i.record, f) for f in fields) for i in items if i.record}

    from_json = marks_of(EXPORT)
    assert len(from_json) == 8
    assert marks_of(_write_csv(tmp_path / "list-2004.csv", rows)) == from_json
    assert marks_of(_write_xlsx(tmp_path / "list-2004.xlsx", rows)) == from_json


def test_each_issue_is_checked_for_missing_pages_and_quarantined_rows(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path}/t.db", tmp_path)
    svc.ingest([EXPORT])
    [report] = svc.issues()
    assert (report["issue"], report["publication_date"], report["marks"], report["quarantined"]) == (
        "2004", "2026-10-20", 8, 1)
    assert (report["page_count"], report["pages_seen"], report["missing_pages"]) == (8, 7, [[7, 7]])
    assert report["status"] == "incomplete"
    assert "缺页 7" in report["summary"] and "missing pages 7" in report["summary"]

    # the missing page arrives in another export (one listing page of the site, as a CSV), the bad row is fixed
    page7 = dict(_site_rows()[0], id="8812400013", searchId="8812400013", regNo="82025390", tmName="康师付",
                 pageNo=7, fileId="TMZCSQ200400007", imgDir="/tmann/2004/TMZCSQ/00007.jpg")
    svc.ingest([_write_csv(tmp_path / "page7.csv", [page7])])
    qid = svc.quarantine()[0]["id"]
    assert svc.retry_quarantine([qid], {qid: {"classes": "29"}}) == {qid: "stored"}
    [report] = svc.issues(["2004"])
    assert (report["pages_seen"], report["missing_pages"], report["quarantined"], report["marks"]) == (8, [], 0, 10)
    assert report["status"] == "complete" and "完整" in report["summary"]


def test_a_listing_page_missing_from_the_export_is_named(tmp_path):
    pages = json.loads(EXPORT.read_text(encoding="utf-8"))
    pages[1]["data"]["pageIndex"] = 3
    pages[1]["data"]["pages"] = 3
    path = tmp_path / "gap.json"
    path.write_text(json.dumps(pages, ensure_ascii=False), encoding="utf-8")
    items = read_gazette_file(path)
    assert len(list(items)) == 12
    assert any("listing pages missing from the export: 2 of 3" in n for n in items.notes)


def test_a_plain_array_and_a_single_answer_are_read_too(tmp_path):
    rows = _site_rows()
    (tmp_path / "rows.json").write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "one.json").write_text(json.dumps({"code": 0, "data": {"list": rows, "total": 12}},
                                                  ensure_ascii=False), encoding="utf-8")
    for name, first in (("rows.json", "record 1"), ("one.json", "record 1")):
        items = list(read_gazette_file(tmp_path / name))
        assert len(items) == 12 and items[0].locator == first and items[0].record.mark == "康帅傅"
    (tmp_path / "error.json").write_text('{"code": -107, "msg": "请求过于频繁"}', encoding="utf-8")
    import pytest

    from markwatch.errors import FileFormatError

    with pytest.raises(FileFormatError, match="no list of records"):
        read_gazette_file(tmp_path / "error.json")


def test_alerts_link_to_their_gazette_page(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path}/t.db", tmp_path, gazette_page_url="https://gazette.example.cn{img_dir}")
    svc.ingest([EXPORT])
    station = svc.as_org(svc.authenticate(svc.create_org("杭州市商标品牌指导站", "station")[1]))
    wl = station.create_watchlist("重点商标")["id"]
    station.create_brand(wl, {"brand_id": "HZ-0002", "mark": "康师傅", "classes": [30]})
    svc.run()
    alert = next(a for a in svc.alerts(AlertFilter()) if a["application_no"] == "82025373")
    assert alert["gazette_page"] == {"issue": "2004", "page_no": 1, "page_count": 8, "file_id": "TMZCSQ200400001",
                                     "img_dir": "/tmann/2004/TMZCSQ/00001.jpg",
                                     "url": "https://gazette.example.cn/tmann/2004/TMZCSQ/00001.jpg"}
    out, _ = svc.export("csv", tmp_path / "alerts.csv")
    text = out.read_text(encoding="utf-8-sig")
    assert "公告页码" in text and "第2004期第1页 https://gazette.example.cn/tmann/2004/TMZCSQ/00001.jpg" in text


def test_page_ranges():
    ranges = merge_pages([], [5, 1, 2, 3, 9])
    assert ranges == [[1, 3], [5, 5], [9, 9]]
    assert merge_pages(ranges, [4, 6, 7, 8]) == [[1, 9]]
    assert missing_pages(ranges, 1, 10) == [[4, 4], [6, 8], [10, 10]]
    assert missing_pages([], 1, 3) == [[1, 3]]

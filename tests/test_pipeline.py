"""The watch pipeline end to end on a real SQLite database: ingest, watchlists, run, alerts, export."""

from __future__ import annotations

import csv
import dataclasses
import json
from datetime import date

import pytest
from openpyxl import load_workbook

from markwatch.deadline import opposition_deadline
from markwatch.service.alerts import COLUMNS, AlertFilter

from .conftest import DEMO, WATCHLISTS

WATCHLIST_YAML = """\
watchlist: 测试指导站重点商标
organisation: 测试商标品牌指导站
organisation_kind: station
subscribers:
  - organisation: 测试食品行业协会
    email: alerts@example.org
brands:
  - brand_id: T-1
    mark: 康师傅
    aliases: [KANGSHIFU]
    classes: [30]
    owner: 康师傅控股有限公司
    key: true
  - brand_id: T-2
    mark: 雪碧
    aliases: [SPRITE]
    classes: [32]
    owner: 可口可乐公司
"""


def gazette_lines(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def record(no: str, mark: str, classes: list[int], **extra) -> dict:
    base = {"application_no": no, "mark": mark, "classes": classes, "goods": ["方便面"] if 30 in classes else [],
            "applicant": "某某食品有限公司", "publication_date": "2026-10-20", "gazette_issue": "2004"}
    base.update(extra)
    return base


@pytest.fixture
def small(tmp_path, service):
    wl = tmp_path / "station.yaml"
    wl.write_text(WATCHLIST_YAML, encoding="utf-8")
    gz = tmp_path / "gazette.jsonl"
    gz.write_text(gazette_lines([
        record("70000001", "康帅傅", [30]),
        record("70000002", "雷碧", [32], goods=["汽水"]),
        record("70000003", "康師傅", [30]),
        record("70000004", "山水田园", [30]),
        record("70000005", "康帅傅", [9], goods=["手机"]),
        record("70000006", "康师傅", [30], applicant="康师傅控股有限公司"),
    ]) + "{not json}\n" + json.dumps({"application_no": "70000007", "mark": "好运来", "classes": [99]}) + "\n",
        encoding="utf-8")
    return service, wl, gz


def test_ingest_counts_stores_and_quarantines_with_reasons(small):
    svc, _, gz = small
    [summary] = svc.ingest([gz])
    assert (summary.read, summary.stored, summary.duplicates, summary.quarantined) == (8, 6, 0, 2)
    assert summary.read == summary.stored + summary.duplicates + summary.quarantined
    bad = svc.quarantine()
    assert [b["locator"] for b in bad] == ["line 7", "line 8"]
    assert all(b["reason"] and b["raw"] for b in bad)
    assert "99" in bad[1]["reason"]


def test_reingest_is_idempotent(small):
    svc, _, gz = small
    svc.ingest([gz])
    [again] = svc.ingest([gz])
    assert (again.stored, again.duplicates, again.quarantined) == (0, 6, 2)
    assert svc.counts()["gazette_marks"] == 6
    assert len(svc.quarantine()) == 2


def test_quarantined_record_can_be_fixed_and_reingested(small):
    svc, _, gz = small
    svc.ingest([gz])
    bad = [q for q in svc.quarantine() if q["locator"] == "line 8"][0]
    outcome = svc.retry_quarantine([bad["id"]], {bad["id"]: {"classes": "30"}})
    assert outcome[bad["id"]] == "stored"
    assert svc.counts()["gazette_marks"] == 7
    assert [q["locator"] for q in svc.quarantine()] == ["line 7"]


def test_run_alerts_knockoffs_and_rerun_adds_nothing(small):
    svc, wl, gz = small
    svc.ingest([gz])
    svc.import_watchlists([wl])
    first = svc.run()
    alerts = svc.alerts()
    pairs = {(a["brand_id"], a["application_no"]) for a in alerts}
    assert ("T-1", "70000001") in pairs  # look-alike 师/帅
    assert ("T-2", "70000002") in pairs  # look-alike 雪/雷
    assert ("T-1", "70000003") in pairs  # traditional characters
    assert ("T-1", "70000004") not in pairs  # unrelated mark
    assert ("T-1", "70000005") not in pairs  # other class, brand not well known
    assert ("T-1", "70000006") not in pairs  # the owner's own filing
    assert first.alerts_new == len(alerts)
    second = svc.run()
    assert second.alerts_new == 0 and second.marks_matched == 0
    assert len(svc.alerts()) == len(alerts)


def test_new_marks_and_new_brands_are_matched_once(small, tmp_path):
    svc, wl, gz = small
    svc.ingest([gz])
    svc.import_watchlists([wl])
    svc.run()
    more = tmp_path / "more.jsonl"
    more.write_text(gazette_lines([record("70000010", "雪璧", [32], goods=["汽水"], gazette_issue="2005")]),
                    encoding="utf-8")
    svc.ingest([more])
    r = svc.run()
    assert r.marks_matched == 1 and r.alerts_new == 1
    wl.write_text(WATCHLIST_YAML + """\
  - brand_id: T-3
    mark: 山水
    classes: [30]
""", encoding="utf-8")
    svc.import_watchlists([wl])
    r = svc.run()
    assert r.marks_matched == 7  # the new brand is compared with the whole register
    assert any(a["brand_id"] == "T-3" and a["mark"] == "山水田园" for a in svc.alerts())


def test_alert_contents_and_deadline(small):
    svc, wl, gz = small
    svc.ingest([gz])
    svc.import_watchlists([wl])
    svc.run()
    a = next(a for a in svc.alerts() if a["application_no"] == "70000001")
    assert 0 < a["score"] <= 1
    assert a["severity"] in ("high", "medium", "low")
    kinds = {r["kind"] for r in a["reasons"]}
    assert "look" in kinds and "goods" in kinds
    assert any("帅" in r["detail"] for r in a["reasons"])
    assert a["opposition_deadline"] == opposition_deadline(date(2026, 10, 20)).date.isoformat()
    assert a["watchlist"] == "测试指导站重点商标"


def test_export_formats(small, tmp_path):
    svc, wl, gz = small
    svc.ingest([gz])
    svc.import_watchlists([wl])
    svc.run()
    n = len(svc.alerts())
    path, count = svc.export("jsonl", tmp_path / "a.jsonl")
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]
    assert count == n == len(rows)
    for key in ("brand_id", "watchlist", "application_no", "mark", "score", "severity", "reasons",
                "opposition_deadline"):
        assert key in rows[0]
    path, _ = svc.export("xlsx", tmp_path / "a.xlsx")
    ws = load_workbook(path).active
    assert [c.value for c in ws[1]] == [h for _, h in COLUMNS]
    assert ws.max_row == n + 1
    path, _ = svc.export("csv", tmp_path / "a.csv")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0][0] == "预警编号" and len(table) == n + 1


def test_filters(small):
    svc, wl, gz = small
    svc.ingest([gz])
    svc.import_watchlists([wl])
    svc.run()
    only = svc.alerts(AlertFilter(brand_id="T-2"))
    assert only and all(a["brand_id"] == "T-2" for a in only)
    assert svc.alerts(AlertFilter(since=date(2027, 1, 1))) == []


# ---------------------------------------------------------------- the shipped demo
def planted() -> list[dict]:
    return [json.loads(x) for x in (DEMO / "planted.jsonl").read_text(encoding="utf-8").splitlines()]


def test_demo_accounting(demo_service):
    files = demo_service.ingest(sorted(DEMO.glob("gazette*")))  # second pass: nothing new
    for f in files:
        assert f.read == f.stored + f.duplicates + f.quarantined
        assert f.stored == 0
    bad = [p for p in planted() if p["kind"] == "bad_record"]
    assert len(demo_service.quarantine()) >= len(bad)


def test_demo_planted_knockoffs_alert_against_the_right_brands(demo_service):
    alerts = {(a["brand_id"], a["application_no"]) for a in demo_service.alerts()}
    expected = [p for p in planted() if p["expect_alert"]]
    caught = [p for p in expected if (p["brand_id"], p["application_no"]) in alerts]
    missed = [f"{p['brand_id']} {p['mark']} ({p['kind']})" for p in expected if p not in caught]
    assert len(caught) / len(expected) >= 0.95, missed
    not_expected = [p for p in planted() if not p["expect_alert"] and p["brand_id"]]
    wrong = [f"{p['brand_id']} {p['mark']} ({p['kind']})" for p in not_expected
             if (p["brand_id"], p["application_no"]) in alerts]
    assert len(wrong) <= 1, wrong


def test_demo_watchlists_cover_both_kinds_of_organisation():
    texts = [p.read_text(encoding="utf-8") for p in WATCHLISTS.glob("*.yaml")]
    assert any("organisation_kind: station" in t for t in texts)
    assert any("organisation_kind: association" in t and "geographical_indication" in t for t in texts)


def test_brand_changed_during_a_run_is_matched_in_its_new_form_by_the_next_run(small):
    """A brand edited between two chunks keeps its reset high-water mark, so its new version is compared."""
    from sqlalchemy import select

    from markwatch.model import Brand
    from markwatch.service.watchlists import upsert_brand
    from markwatch.store.tables import BrandRow, Watchlist

    svc, wl, gz = small
    svc.ingest([gz])
    svc.import_watchlists([wl])
    svc.settings = dataclasses.replace(svc.settings, run_chunk=2)
    edited = []

    def edit_brand_once(done, total):
        if edited:
            return
        with svc.db.session() as s:  # T-2 雪碧 becomes 山水 (class 30): only 山水田园 looks like it
            row = s.scalar(select(BrandRow).where(BrandRow.brand_id == "T-2"))
            upsert_brand(s, s.get(Watchlist, row.watchlist_id),
                         Brand(brand_id="T-2", mark="山水", classes=(30,), owner="可口可乐公司"))
        edited.append(done)

    first = svc.run(progress=edit_brand_once)
    assert edited and first.marks_matched > edited[0]  # the edit came between chunks, the run went on
    with svc.db.session() as s:
        assert s.scalar(select(BrandRow.matched_through).where(BrandRow.brand_id == "T-2")) == 0
    assert not any(a["brand_id"] == "T-2" and a["mark"] == "山水田园" for a in svc.alerts())
    second = svc.run()
    assert second.marks_matched > 0
    assert any(a["brand_id"] == "T-2" and a["mark"] == "山水田园" for a in svc.alerts())


def test_days_left_counts_in_the_settings_time_zone(small, monkeypatch):
    import datetime as dt

    from markwatch import config

    svc, wl, gz = small
    svc.ingest([gz])
    svc.import_watchlists([wl])
    svc.run()
    from markwatch.store.tables import AlertRow

    with svc.db.session() as s:
        s.query(AlertRow).update({AlertRow.opposition_deadline: dt.date(2027, 1, 20)})

    class Instant(dt.datetime):  # 2027-01-20 17:00 UTC: already the 21st in Asia/Shanghai
        @classmethod
        def now(cls, tz=None):
            return dt.datetime(2027, 1, 20, 17, 0, tzinfo=dt.timezone.utc).astimezone(tz)

    monkeypatch.setattr(config, "datetime", Instant)
    assert {a["days_left"] for a in svc.alerts()} == {-1}
    svc.settings = dataclasses.replace(svc.settings, timezone="UTC")
    assert {a["days_left"] for a in svc.alerts()} == {0}

"""Accounting on SQLite and PostgreSQL: for every file, read = stored + duplicates + quarantined; the
quarantine keeps the raw record and its reason, and a fixed record can be ingested again."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from markwatch.store.tables import GazetteMark, IngestedFile

from .conftest import DEMO
from .servicekit import db_url, make_service

__all__ = ["db_url"]


def test_every_record_is_stored_or_quarantined(db_url, tmp_path):
    svc = make_service(db_url, tmp_path)
    files = [DEMO / "gazette.jsonl", DEMO / "gazette-extra-gbk.csv"]
    first = svc.ingest(files)
    lines = sum(1 for _ in open(files[0], encoding="utf-8")) + sum(1 for _ in open(files[1], encoding="gbk")) - 1
    assert sum(s.read for s in first) == lines
    for s in first:
        assert s.error is None and s.read == s.stored + s.duplicates + s.quarantined
    with svc.db.session() as ses:
        assert ses.scalar(select(func.count(GazetteMark.id))) == sum(s.stored for s in first)
        rows = {r.path: r for r in ses.scalars(select(IngestedFile))}
        for s in first:
            row = rows[s.path]
            assert (row.records_read, row.stored, row.duplicates, row.quarantined) == (
                s.read, s.stored, s.duplicates, s.quarantined)
    bad = svc.quarantine()
    assert len(bad) == sum(s.quarantined for s in first) > 0
    assert all(q["raw"] and q["reason"] and q["locator"] for q in bad)

    again = svc.ingest(files)
    for a, b in zip(first, again):
        assert (a.read, b.stored, b.duplicates, b.quarantined) == (b.read, 0, a.stored + a.duplicates,
                                                                     a.quarantined)
    assert len(svc.quarantine()) == len(bad)  # the same bad records are not listed twice

    fixable = next(q for q in bad if q["raw"].lstrip().startswith("{") and _is_json(q["raw"]))
    raw = json.loads(fixable["raw"])
    fixes = {"application_no": raw.get("application_no") or "99999999", "classes": "30",
             "filing_date": "2026-01-05", "publication_date": "2026-10-20"}
    outcome = svc.retry_quarantine([fixable["id"]], {fixable["id"]: fixes})
    assert outcome[fixable["id"]] == "stored", outcome
    assert len(svc.quarantine()) == len(bad) - 1
    assert len(svc.quarantine(include_resolved=True)) == len(bad)


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
        return True
    except ValueError:
        return False

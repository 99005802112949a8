"""Ingest of a large JSON Lines file in forked workers: the same rows, counts and quarantine as in one
process, nothing stored twice on a re-run, a failing or dying worker reported as the file's error, and
no worker left behind when the parent is killed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from markwatch.service import ingest as ingest_module
from markwatch.service.ingest import Ingestor
from markwatch.store.db import Database
from markwatch.store.tables import GazetteIssue, GazetteMark, IngestedFile, QuarantinedRecord
from markwatch.text.normalise import Normaliser

from .servicekit import db_url

__all__ = ["db_url"]

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="forked workers")

MARKS = ["骆驼", "康师傅", "红牛饮料", "APPLE 苹果", "五常大米", "华为", "小米 MI", "天牌", "老干妈", "雪花"]


def gazette(path: Path, n: int = 900) -> Path:
    """Records of every kind: stored, duplicate, refused (bad JSON, bad class, no number), not watched
    (another announcement type of the gazette site's export), blank lines; with pages and images."""
    lines = []
    for i in range(n):
        rec = {"application_no": str(70000000 + i), "mark": f"{MARKS[i % len(MARKS)]}{i % 37}",
               "classes": [1 + i % 45], "applicant": f"申请人{i}有限公司", "publication_date": "2026-10-20",
               "gazette_issue": "1925", "page_no": 1 + i // 50, "page_count": 40}
        if i % 97 == 5:
            rec["classes"] = [99]  # refused: not a Nice class
        if i % 113 == 7:
            rec["image"] = f"images/{i}.png"
        lines.append(json.dumps(rec, ensure_ascii=False))
        if i % 101 == 3:
            lines.append(json.dumps(rec, ensure_ascii=False))  # the same mark again: a duplicate
        if i % 131 == 9:
            lines.append('{"application_no": "1", "mark": ')  # not JSON
        if i % 149 == 11:
            lines.append("")
            lines.append(json.dumps({"regNo": str(80000000 + i), "tmName": "X", "anncTypeName": "注册公告"},
                                    ensure_ascii=False))  # not watched
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ingest(url: str, path: Path, *, workers: int, batch: int = 64, apart_from: int = 0):
    db = Database(url)
    try:
        ingestor = Ingestor(db, Normaliser(), batch=batch, workers=workers, apart_from=apart_from)
        return ingestor.ingest_file(path)
    finally:
        db.dispose()


def stored(url: str) -> dict:
    db = Database(url)
    try:
        with db.session() as s:
            columns = [c for c in GazetteMark.__table__.columns.keys() if c not in ("id", "created_at")]
            marks = [tuple(getattr(m, c) for c in columns)
                     for m in s.scalars(select(GazetteMark).order_by(GazetteMark.id))]
            quarantine = [(q.locator, q.reason, q.raw, q.issue_key, q.page_no)
                          for q in s.scalars(select(QuarantinedRecord).order_by(QuarantinedRecord.id))]
            issues = [(i.office, i.issue_key, i.pages, i.page_count, i.publication_date)
                      for i in s.scalars(select(GazetteIssue))]
            files = [(f.status, f.records_read, f.stored, f.duplicates, f.quarantined, f.skipped,
                      f.skipped_reasons, f.checkpoint, f.error) for f in s.scalars(select(IngestedFile))]
        return {"columns": columns, "marks": marks, "quarantine": quarantine, "issues": issues, "files": files}
    finally:
        db.dispose()


def summary_counts(summary) -> tuple:
    return (summary.read, summary.stored, summary.duplicates, summary.quarantined, summary.skipped,
            summary.skipped_reasons, summary.issues, summary.error)


def test_workers_store_what_one_process_stores_column_by_column(tmp_path, monkeypatch):
    path = gazette(tmp_path / "gazette.jsonl")
    here, apart = f"sqlite:///{tmp_path}/here.db", f"sqlite:///{tmp_path}/apart.db"
    one = ingest(here, path, workers=1)
    forked = []

    class Counted(ingest_module.Workers):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            forked.append(len(self))

    monkeypatch.setattr(ingest_module, "Workers", Counted)
    two = ingest(apart, path, workers=2)
    assert forked == [2]
    assert summary_counts(two) == summary_counts(one)
    assert one.stored > 800 and one.duplicates and one.quarantined and one.skipped and one.error is None
    a, b = stored(here), stored(apart)
    assert "normal" in a["columns"] and "image_ref" in a["columns"]
    for row_here, row_apart in zip(a["marks"], b["marks"], strict=True):
        assert dict(zip(a["columns"], row_apart)) == dict(zip(a["columns"], row_here))
    assert b["quarantine"] == a["quarantine"]
    assert b["issues"] == a["issues"] and b["files"] == a["files"]


def test_refused_records_keep_their_reasons_and_lines(tmp_path):
    path = gazette(tmp_path / "gazette.jsonl")
    url = f"sqlite:///{tmp_path}/apart.db"
    ingest(url, path, workers=2)
    quarantine = {locator: (reason, raw) for locator, reason, raw, _, _ in stored(url)["quarantine"]}
    text = path.read_text(encoding="utf-8").split("\n")
    for locator, (reason, raw) in quarantine.items():
        number = int(locator.removeprefix("line "))
        assert text[number - 1] == raw  # the physical line the reason is about
        assert "not valid JSON" in reason or "class 99 is not a Nice class" in reason
    assert {r for r, _ in quarantine.values() if "class 99" in r} and len(quarantine) == 10 + 7


def test_a_rerun_stores_nothing_twice(tmp_path):
    path = gazette(tmp_path / "gazette.jsonl")
    url = f"sqlite:///{tmp_path}/apart.db"
    first = ingest(url, path, workers=2)
    again = ingest(url, path, workers=2)
    assert again.stored == 0 and again.duplicates == first.stored + first.duplicates
    after = stored(url)
    assert len(after["marks"]) == first.stored and len(after["quarantine"]) == first.quarantined


def prepare_failing_at(monkeypatch, application_no: str, fail) -> None:
    """Batch preparation calls `fail()` on the batch holding this application number (the workers are
    forked with it)."""
    prepare = Ingestor._prepare

    def failing(self, items):
        batch = prepare(self, items)
        if any(row[1] == application_no for row in batch.rows):
            fail()
        return batch

    monkeypatch.setattr(Ingestor, "_prepare", failing)

def test_a_worker_that_raises_fails_the_file_with_its_error(tmp_path, monkeypatch):
    path = gazette(tmp_path / "gazette.jsonl")
    url = f"sqlite:///{tmp_path}/apart.db"
    def fail():
        raise ValueError("cannot prepare this batch")
    prepare_failing_at(monkeypatch, "70000500", fail)
    started = time.monotonic()
    summary = ingest(url, path, workers=2)
    assert time.monotonic() - started < 60
    assert summary.error is not None and "ValueError: cannot prepare this batch" in summary.error
    after = stored(url)
    assert after["files"][0][0] == "failed"
    # every batch before the one that failed is stored, in file order, and nothing from it or after it
    numbers = [int(m[after["columns"].index("application_no")]) for m in after["marks"]]
    assert numbers == sorted(numbers) and 70000500 - 64 < max(numbers) < 70000500


def test_a_worker_that_dies_fails_the_file_instead_of_hanging(tmp_path, monkeypatch):
    path = gazette(tmp_path / "gazette.jsonl")
    url = f"sqlite:///{tmp_path}/apart.db"
    prepare_failing_at(monkeypatch, "70000300", lambda: os._exit(3))
    summary = ingest(url, path, workers=2)
    assert summary.error is not None and "ended without answering (exit code 3)" in summary.error


def test_a_small_file_is_read_in_this_process(tmp_path, monkeypatch):
    path = gazette(tmp_path / "gazette.jsonl", n=100)

    def no_fork(*args, **kwargs):
        raise AssertionError("forked for a small file")

    monkeypatch.setattr("markwatch.service.ingest.Workers", no_fork)
    summary = ingest(f"sqlite:///{tmp_path}/small.db", path, workers=2, apart_from=5000)
    assert summary.error is None and summary.stored > 90


def _processes_reading(path: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(path).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_killed_mid_file_leaves_no_worker_and_a_rerun_completes_it(tmp_path):
    path = gazette(tmp_path / "large.jsonl", n=5400)
    url = f"sqlite:///{tmp_path}/apart.db"
    env = {**os.environ, "MARKWATCH_DATABASE_URL": url, "MARKWATCH_INDEX_DIR": str(tmp_path / "indexes"),
           "MARKWATCH_INGEST_BATCH": "500", "MARKWATCH_LOCAL_WORKERS": "2"}
    env.pop("MARKWATCH_FAULT", None)
    killed = subprocess.run([sys.executable, "-m", "markwatch", "ingest", str(path)], capture_output=True,
                            env={**env, "MARKWATCH_FAULT": "ingest.before_commit:4"}, timeout=600)
    assert killed.returncode == -9
    deadline = time.monotonic() + 10
    while _processes_reading(path) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_reading(path) == []
    assert 0 < len(stored(url)["marks"]) < 5000  # the batches committed before the kill
    rerun = subprocess.run([sys.executable, "-m", "markwatch", "ingest", "--json", str(path)],
                           capture_output=True, text=True, env=env, timeout=600)
    assert rerun.returncode == 0, rerun.stderr
    reference = f"sqlite:///{tmp_path}/here.db"
    ingest(reference, path, workers=1, batch=500)
    assert stored(url)["marks"] == stored(reference)["marks"]
    assert stored(url)["quarantine"] == stored(reference)["quarantine"]


def test_a_service_ingest_stays_in_its_process_whatever_the_environment(tmp_path, monkeypatch):
    """The server and the scheduler ingest from threads: they never fork, MARKWATCH_LOCAL_WORKERS or not
    (that setting is the command line's)."""
    from .conftest import make_service

    path = gazette(tmp_path / "large.jsonl", n=5400)

    def no_fork(*args, **kwargs):
        raise AssertionError("a service ingest forked")

    monkeypatch.setattr(ingest_module, "Workers", no_fork)
    monkeypatch.setenv("MARKWATCH_LOCAL_WORKERS", "2")
    svc = make_service(tmp_path)
    try:
        [summary] = svc.ingest([path])
    finally:
        svc.db.dispose()
    assert summary.error is None and summary.stored > 5000


def test_workers_store_on_each_backend_what_one_process_stores(db_url, tmp_path):
    path = gazette(tmp_path / "gazette.jsonl", n=400)
    here = f"sqlite:///{tmp_path}/here.db"
    one = ingest(here, path, workers=1)
    two = ingest(db_url, path, workers=2)
    assert summary_counts(two) == summary_counts(one)
    a, b = stored(here), stored(db_url)
    assert b["marks"] == a["marks"] and b["quarantine"] == a["quarantine"]
    again = ingest(db_url, path, workers=2)
    assert again.stored == 0 and again.duplicates == one.stored + one.duplicates

"""The nightly cycle and its scheduler: run history, no overlap (threads and processes), failures
recorded and retried, APScheduler's persistent job with misfire grace and coalescing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from markwatch.composition import Engines
from markwatch.errors import MarkwatchError
from markwatch.store.tables import AlertRow, Run

from .servicekit import GAZETTE, LocalServer, clone_service, db_url, make_service, seed, wait_for, write_jsonl

__all__ = ["db_url"]  # the backend fixture, used by the process test


def _drop(tmp: Path, records=GAZETTE, name="gazette-2004.jsonl") -> Path:
    folder = tmp / "drop"
    folder.mkdir(exist_ok=True)
    write_jsonl(folder / name, records)
    return folder


def _service_with_drop(tmp: Path, url: str | None = None, **overrides):
    folder = _drop(tmp)
    svc = make_service(url or f"sqlite:///{tmp}/s.db", tmp, drop_folder=folder, **overrides)
    seed(svc, tmp, run=False)
    # the seed ingested the same records from another file; start from an empty register instead
    return svc


def _alerts(svc) -> int:
    with svc.db.session() as s:
        return s.scalar(select(func.count(AlertRow.id))) or 0


def _runs(svc) -> list[Run]:
    with svc.db.session() as s:
        return list(s.scalars(select(Run).order_by(Run.id)))


def test_cycle_pulls_runs_and_records_history(tmp_path):
    folder = _drop(tmp_path)
    svc = make_service(f"sqlite:///{tmp_path}/s.db", tmp_path, drop_folder=folder)
    w = seed(svc, tmp_path, run=False)
    Path(w.gazette).unlink()  # the register is filled by the pull below, not by the seed's file
    result = svc.cycle()
    assert result.status == "done", result
    run = _runs(svc)[-1]
    assert run.kind == "scheduled" and run.status == "done" and run.finished_at is not None
    assert run.files == 1 and run.marks_ingested == 0  # seed already stored these marks: duplicates
    assert run.alerts_new >= 2 and run.error is None
    listed = svc.runs()[0]
    assert listed["id"] == run.id and listed["files"] == 1 and listed["alerts_new"] == run.alerts_new
    # the same file is not taken again; a new one is, and only its new marks count
    again = svc.cycle()
    assert again.status == "done" and again.pull["files"] == [] and again.run["alerts_new"] == 0
    write_jsonl(folder / "gazette-2005.jsonl", [{**GAZETTE[0], "application_no": "90000099", "gazette_issue": "2005"}])
    third = svc.cycle()
    assert len(third.pull["files"]) == 1 and third.pull["marks_ingested"] == 1 and third.run["alerts_new"] == 1
    assert [r.files for r in _runs(svc)] == [1, 0, 1]
    # the cycle keeps the register index that searches use up to date
    answer = svc.search("康师傅")
    assert answer["marks_not_indexed"] == 0 and "90000099" in {r["application_no"] for r in answer["results"]}


def test_two_threads_at_once_only_one_runs(tmp_path):
    svc = _service_with_drop(tmp_path)
    a, b = clone_service(svc), clone_service(svc)
    _ = (a.db, b.db)  # open both databases first (as two running processes would have)
    barrier = threading.Barrier(2)
    results = []

    def slow(service):
        original = service.pull

        def pull():
            time.sleep(0.5)  # keep the lease long enough for the other thread to find it taken
            return original()

        service.pull = pull
        barrier.wait()
        results.append(service.cycle())

    threads = [threading.Thread(target=slow, args=(s,)) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(r.status for r in results) == ["done", "skipped"]
    skipped = next(r for r in results if r.status == "skipped")
    assert skipped.holder and skipped.run_id is None
    assert len(_runs(svc)) == 1


def test_manual_run_waits_for_no_one_but_refuses_to_overlap(tmp_path):
    svc = _service_with_drop(tmp_path)
    lock = clone_service(svc).lock("run")
    assert lock.acquire()
    try:
        with pytest.raises(MarkwatchError, match="another run is in progress"):
            svc.run()
        with pytest.raises(MarkwatchError, match="a run is in progress"):
            svc.pull()
        assert svc.cycle().status == "skipped"
    finally:
        lock.release()
    assert svc.cycle().status == "done"


LOCK_SCRIPT = textwrap.dedent("""
    import sys, time
    from markwatch.store.db import Database
    from markwatch.store.locks import DbLock
    url, start = sys.argv[1], float(sys.argv[2])
    db = Database(url)
    lock = DbLock(db, "run", lease_seconds=30)
    time.sleep(max(0.0, start - time.time()))
    ok = lock.acquire()
    print("acquired" if ok else "busy", flush=True)
    if ok:
        time.sleep(1.5)
        lock.release()
""")


def test_two_processes_at_once_only_one_gets_the_lease(db_url, tmp_path):
    from markwatch.store.db import Database
    from markwatch.store.locks import DbLock

    Database(db_url).dispose()  # migrate first
    start = time.time() + 2.5
    env = {**os.environ}
    procs = [subprocess.Popen([sys.executable, "-c", LOCK_SCRIPT, db_url, str(start)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=60) for p in procs]
    answers = sorted(o[0].strip() for o in outs)
    assert answers == ["acquired", "busy"], outs
    db = Database(db_url)
    try:
        assert DbLock(db, "run").acquire()  # released by its holder
    finally:
        db.dispose()


class FlakyMatcher:
    """The real matcher, except that comparing fails while ``broken`` is set (a crash mid-run)."""

    def __init__(self, real):
        self._real = real
        self.broken = True

    def compare_profiles(self, *args, **kwargs):
        if self.broken:
            raise RuntimeError("matcher crashed (simulated)")
        return self._real.compare_profiles(*args, **kwargs)

    def __getattr__(self, name):
        return getattr(self._real, name)


def test_failing_run_is_recorded_and_the_next_slot_retries(tmp_path):
    folder = _drop(tmp_path)
    svc = make_service(f"sqlite:///{tmp_path}/f.db", tmp_path, drop_folder=folder)
    seed(svc, tmp_path, run=False)
    real = svc.matcher
    flaky = FlakyMatcher(real)
    svc.engines = Engines.of(flaky)
    first = svc.cycle()
    assert first.status == "failed" and "matcher crashed" in first.error
    run = _runs(svc)[-1]
    assert run.status == "failed" and "RuntimeError: matcher crashed" in run.error and run.files == 1
    assert run.finished_at is not None and _alerts(svc) == 0
    flaky.broken = False
    second = svc.cycle()
    assert second.status == "done" and second.run["alerts_new"] >= 2
    n = _alerts(svc)
    third = svc.cycle()
    assert third.run["alerts_new"] == 0 and _alerts(svc) == n  # nothing duplicates
    assert [r["status"] for r in svc.runs()] == ["done", "done", "failed"]


def test_failing_source_makes_a_partial_run_and_is_retried(tmp_path):
    state = {"fail": True}
    body = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in GAZETTE).encode()

    def handle(_server, req):
        if state["fail"]:
            return 500, {}, b"upstream down"
        return 200, {"Content-Type": "application/x-ndjson", "ETag": '"g-2004"'}, body

    server = LocalServer(handle).start()
    try:
        svc = make_service(f"sqlite:///{tmp_path}/p.db", tmp_path,
                           source_urls=(f"{server.url}/gazette/2004.jsonl",))
        seed(svc, tmp_path, run=False)
        first = svc.cycle()
        assert first.status == "partial" and "HTTP 500" in first.error
        run = _runs(svc)[-1]
        assert run.status == "partial" and "HTTP 500" in run.error and run.files == 0
        state["fail"] = False
        second = svc.cycle()
        assert second.status == "done" and len(second.pull["files"]) == 1
        assert _runs(svc)[-1].files == 1 and _runs(svc)[-1].error is None
        third = svc.cycle()
        assert third.status == "done" and third.pull["not_modified"] == 1 and third.pull["files"] == []
    finally:
        server.stop()


# ---------------------------------------------------------------- APScheduler
def test_job_is_persisted_with_the_cron_in_shanghai_time(tmp_path):
    from markwatch.scheduler import JOB_ID, build_scheduler

    svc = _service_with_drop(tmp_path)
    sched = build_scheduler(svc, blocking=False)
    sched.start(paused=True)
    job = sched.get_job(JOB_ID)
    nrt = job.next_run_time
    sched.shutdown(wait=False)
    assert (nrt.hour, nrt.minute) == (2, 0) and nrt.utcoffset() == timedelta(hours=8)
    assert nrt > datetime.now(timezone.utc) and nrt - datetime.now(timezone.utc) <= timedelta(days=1)
    assert job.coalesce is True and job.max_instances == 1 and job.misfire_grace_time == 6 * 3600
    # stored in the markwatch database: a new scheduler finds the same job (and its next run)
    again = build_scheduler(clone_service(svc), blocking=False)
    again.start(paused=True)
    assert again.get_job(JOB_ID).next_run_time == nrt
    again.shutdown(wait=False)
    # a changed cron replaces it
    other = build_scheduler(clone_service(svc, schedule_cron="30 3 * * 1-5"), blocking=False)
    other.start(paused=True)
    nrt2 = other.get_job(JOB_ID).next_run_time
    other.shutdown(wait=False)
    assert (nrt2.hour, nrt2.minute) == (3, 30) and nrt2.weekday() < 5


def test_missed_slots_run_once_after_restart(tmp_path):
    """The scheduler was down for three nights: on start the missed slots are coalesced into one run."""
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler

    from markwatch.scheduler import JOB_ID, JOBS_TABLE, build_scheduler

    svc = _service_with_drop(tmp_path, misfire_grace_seconds=7 * 86400)
    sched = build_scheduler(svc, blocking=False)
    sched.start(paused=True)
    sched.shutdown(wait=True)
    # while no scheduler runs, wind the stored job back three days (as if the machine had been off)
    store = SQLAlchemyJobStore(engine=svc.db.engine, tablename=JOBS_TABLE)
    store.start(BackgroundScheduler(), "default")
    job = store.lookup_job(JOB_ID)
    job.next_run_time = datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(days=3)
    store.update_job(job)
    assert _runs(svc) == []
    restarted = build_scheduler(clone_service(svc, misfire_grace_seconds=7 * 86400), blocking=False)
    restarted.start()
    try:
        assert wait_for(lambda: any(r.status != "running" for r in _runs(svc)), timeout=60)
        time.sleep(0.5)  # a second (wrong) firing would have started by now
        runs = _runs(svc)
        assert len(runs) == 1 and runs[0].kind == "scheduled" and runs[0].status == "done"
        assert restarted.get_job(JOB_ID).next_run_time > datetime.now(timezone.utc)
    finally:
        restarted.shutdown(wait=True)


def test_schedule_once_and_pull_and_deliver_commands(tmp_path, monkeypatch):
    from markwatch.cli import app
    from markwatch.cli import common as cli_common

    svc = _service_with_drop(tmp_path)
    monkeypatch.setattr(cli_common, "service", lambda: svc)
    runner = CliRunner()
    r = runner.invoke(app, ["schedule", "--once", "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert out["status"] == "done" and out["run"]["alerts_new"] >= 2
    r = runner.invoke(app, ["pull", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["files"] == []
    r = runner.invoke(app, ["deliver", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["skipped"] is False
    r = runner.invoke(app, ["runs", "--json"])
    assert json.loads(r.stdout)[0]["kind"] == "scheduled"
    lock = clone_service(svc).lock("run")
    assert lock.acquire()
    try:
        r = runner.invoke(app, ["schedule", "--once"])
        assert r.exit_code == 0 and "skipped" in r.output
    finally:
        lock.release()


def _hold_write_lock(svc):
    """Another connection holding SQLite's write lock (BEGIN IMMEDIATE), with our busy_timeout short."""
    import sqlite3

    from sqlalchemy import event

    event.listen(svc.db.engine, "connect", lambda conn, _rec: conn.execute("PRAGMA busy_timeout=200"))
    svc.db.engine.dispose()  # pooled connections were opened with the 30 s timeout
    other = sqlite3.connect(svc.db.url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


def test_locked_database_fails_the_cycle_without_a_traceback_and_retries_in_minutes(tmp_path):
    from markwatch import scheduler
    from markwatch.scheduler import RETRY_JOB_ID, RETRY_LIMIT, build_scheduler, scheduled_cycle

    svc = _service_with_drop(tmp_path)
    sched = build_scheduler(svc, blocking=False)
    sched.start(paused=True)
    try:
        runs_before = len(_runs(svc))
        other = _hold_write_lock(svc)
        try:
            outcome = scheduled_cycle()
        finally:
            other.rollback()
            other.close()
        assert outcome["status"] == "failed" and "database is busy" in outcome["error"]
        retry = sched.get_job(RETRY_JOB_ID)
        assert retry is not None and retry.kwargs == {"attempt": 1}
        wait = retry.next_run_time - datetime.now(timezone.utc)
        assert timedelta(minutes=1) < wait <= timedelta(minutes=scheduler.RETRY_MINUTES)
        # the lock gone, the retry does the night's work and needs no further retry
        sched.remove_job(RETRY_JOB_ID)
        done = scheduled_cycle(attempt=1)
        assert done["status"] == "done" and done["run"]["alerts_new"] >= 2 and "retry_at" not in done
        assert sched.get_job(RETRY_JOB_ID) is None
        assert len(_runs(svc)) == runs_before + 1
        # retries are bounded
        other = _hold_write_lock(svc)
        try:
            last = scheduled_cycle(attempt=RETRY_LIMIT)
        finally:
            other.rollback()
            other.close()
        assert last["status"] == "failed" and last["retry_at"] is None
    finally:
        sched.shutdown(wait=False)
        scheduler._scheduler = scheduler._service = None


def test_locked_database_is_recorded_as_a_failed_run_when_writable_again(tmp_path, monkeypatch):
    svc = _service_with_drop(tmp_path)
    calls = []
    real = svc.lock

    def lock_while_busy(name):  # the lease INSERT meets the lock; the Run row afterwards does not
        lock = real(name)
        acquire = lock.acquire

        def locked_acquire():
            other = _hold_write_lock(svc)
            try:
                return acquire()
            finally:
                other.rollback()
                other.close()
                calls.append(name)
        lock.acquire = locked_acquire
        return lock

    monkeypatch.setattr(svc, "lock", lock_while_busy)
    result = svc.cycle()
    assert calls and result.status == "failed" and result.run_id is not None
    run = _runs(svc)[-1]
    assert run.id == result.run_id and run.status == "failed" and "database is busy" in run.error


def test_manual_run_on_a_locked_database_prints_an_error_not_a_traceback(tmp_path, monkeypatch):
    from markwatch.cli import common as cli_common

    svc = _service_with_drop(tmp_path)
    monkeypatch.setattr(cli_common, "service", lambda: svc)
    other = _hold_write_lock(svc)
    try:
        res = CliRunner().invoke(cli_common.app, ["run"])
    finally:
        other.rollback()
        other.close()
    assert res.exit_code == 2, res.output
    assert "database is busy" in res.output and "Traceback" not in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


LEAKY = ("pull https://gazette-user:S3cretPw@gazette.example.cn/feed?api_key=K3Y failed\n"
         "[SQL: INSERT INTO locks (name, owner) VALUES (?, ?)]\n[parameters: ('run', 'tok-secret-9')]")


def test_a_crashed_cycle_is_logged_returned_and_recorded_redacted(tmp_path, monkeypatch, caplog):
    import logging

    from markwatch import scheduler

    svc = make_service(f"sqlite:///{tmp_path}/r.db", tmp_path)

    def crash(**_kw):
        raise RuntimeError(LEAKY)

    monkeypatch.setattr(svc, "cycle", crash)
    scheduler._service = svc
    try:
        with caplog.at_level(logging.INFO):
            out = scheduler.scheduled_cycle()
    finally:
        scheduler._service = None
    run = _runs(svc)[-1]
    assert out["status"] == "failed" and run.status == "failed"
    for text in (caplog.text, json.dumps(out, default=str), run.error):
        assert "gazette.example.cn/feed" in text and "INSERT INTO locks" in text, text
        for leak in ("S3cretPw", "K3Y", "tok-secret-9"):
            assert leak not in text, (leak, text)
    assert "Traceback" in caplog.text  # the operator still gets where it crashed


def test_a_failed_pull_inside_the_cycle_is_logged_redacted(tmp_path, monkeypatch, caplog):
    import logging

    svc = make_service(f"sqlite:///{tmp_path}/p.db", tmp_path)

    def broken_pull():
        raise RuntimeError(LEAKY)

    monkeypatch.setattr(svc, "pull", broken_pull)
    with caplog.at_level(logging.INFO):
        result = svc.cycle()
    assert result.status == "failed" and "gazette.example.cn/feed" in caplog.text
    for text in (caplog.text, result.error, _runs(svc)[-1].error):
        for leak in ("S3cretPw", "K3Y", "tok-secret-9"):
            assert leak not in text, (leak, text)


def test_cron_weekdays_count_as_cron_counts_them():
    """0 or 7 is Sunday and 1 is Monday, as in crontab(5), not APScheduler's 0 = Monday."""
    from apscheduler.triggers.cron import CronTrigger

    from markwatch.scheduler import crontab_weekdays_named

    tz = ZoneInfo("Asia/Shanghai")
    friday_after_the_slot = datetime(2026, 12, 4, 4, 0, tzinfo=tz)

    def next_day(expression: str) -> str:
        trigger = CronTrigger.from_crontab(crontab_weekdays_named(expression), timezone=tz)
        return trigger.get_next_fire_time(None, friday_after_the_slot).strftime("%a %Y-%m-%d")

    assert next_day("30 3 * * 1-5") == "Mon 2026-12-07"
    assert next_day("0 2 * * 0") == next_day("0 2 * * 7") == "Sun 2026-12-06"
    assert next_day("0 2 * * 6") == "Sat 2026-12-05"
    assert next_day("0 2 * * sat,sun") == "Sat 2026-12-05"
    assert next_day("0 2 * * */2") == "Sat 2026-12-05"  # 0,2,4,6: Sunday, Tuesday, Thursday, Saturday
    assert crontab_weekdays_named("0 2 * * *") == "0 2 * * *"

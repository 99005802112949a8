"""The delivery job: retries within minutes instead of the next night, never two passes at once, and
`markwatch deliver --retry-failed` for messages that were given up."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from markwatch.store.tables import OutboxMessage, Run

from .servicekit import ASSOCIATION, MORE_KNOCKOFFS, STATION, clone_service, make_service, seed, wait_for
from .test_delivery import SECRET, Receiver, _alert_ids, _outbox, receiver

__all__ = ["receiver"]  # the webhook receiver fixture


def _world(tmp_path, name: str, receiver: Receiver, **overrides):
    svc = make_service(f"sqlite:///{tmp_path}/{name}.db", tmp_path, **overrides)
    w = seed(svc, tmp_path, run=False, extra_records=MORE_KNOCKOFFS)
    station = svc.as_org(svc.authenticate(w.tokens[STATION]))
    sub = station.subscribe(w.watchlist_a, organisation=ASSOCIATION, webhook=receiver.url, webhook_secret=SECRET)
    svc.run()
    return svc, w, sub


def _runs(svc) -> int:
    with svc.db.session() as s:
        return s.scalar(select(func.count(Run.id))) or 0


def test_delivery_job_retries_within_minutes_without_a_cycle(tmp_path, receiver):
    from markwatch import scheduler
    from markwatch.scheduler import DELIVERY_JOB_ID, build_scheduler

    # 0.02 min = 1.2 s stands for the default 5 minutes; the backoff is 50 ms here
    svc, w, _sub = _world(tmp_path, "job", receiver, delivery_interval_minutes=0.02)
    n = len(_alert_ids(svc, w.watchlist_a))
    receiver.set("down")
    first = svc.deliver()  # the night's pass: the receiver is down
    assert first.webhook_failures == 1 and first.webhooks_sent == 0
    runs_before = _runs(svc)
    receiver.set("up")
    sched = build_scheduler(svc, blocking=False)
    sched.start()
    try:
        job = sched.get_job(DELIVERY_JOB_ID)
        assert job is not None and job.max_instances == 1 and job.coalesce is True
        assert wait_for(lambda: all(m.status == "delivered" for m in _outbox(svc)), timeout=20)
    finally:
        sched.shutdown(wait=True)
        scheduler._scheduler = scheduler._service = None
    assert len(receiver.unique_deliveries()) == n == len(receiver.accepted)
    assert _runs(svc) == runs_before  # delivery only: no pull, no matching


def test_delivery_interval_is_a_setting_and_zero_disables_the_job(tmp_path):
    from markwatch import scheduler
    from markwatch.config import Settings
    from markwatch.errors import ConfigError
    from markwatch.scheduler import DELIVERY_JOB_ID, JOB_ID, build_scheduler

    assert Settings().delivery_interval_minutes == 5
    assert Settings.load(env={"MARKWATCH_DELIVERY_INTERVAL_MINUTES": "0"}).delivery_interval_minutes == 0
    with pytest.raises(ConfigError, match="delivery_interval_minutes"):
        Settings(delivery_interval_minutes=-1)
    svc = make_service(f"sqlite:///{tmp_path}/i.db", tmp_path)
    try:
        sched = build_scheduler(svc, blocking=False)
        sched.start(paused=True)
        job = sched.get_job(DELIVERY_JOB_ID)
        sched.shutdown(wait=False)
        assert job is not None and job.trigger.interval.total_seconds() == 300
        assert job.func_ref == "markwatch.scheduler:scheduled_delivery"
        off = build_scheduler(clone_service(svc, delivery_interval_minutes=0), blocking=False)
        off.start(paused=True)
        try:
            assert off.get_job(DELIVERY_JOB_ID) is None
            nightly = off.get_job(JOB_ID)
            assert nightly is not None and nightly.func_ref == "markwatch.scheduler:scheduled_cycle"
        finally:
            off.shutdown(wait=False)
    finally:
        scheduler._scheduler = scheduler._service = None


def test_delivery_job_skips_while_another_pass_holds_the_lease(tmp_path, receiver):
    from markwatch import scheduler

    svc, w, _sub = _world(tmp_path, "lease", receiver)
    receiver.set("up")
    scheduler._service = svc
    try:
        lock = clone_service(svc).lock("delivery")  # as a cycle's or `markwatch deliver`'s pass holds it
        assert lock.acquire()
        try:
            assert scheduler.scheduled_delivery()["status"] == "skipped"
            assert receiver.keys_seen == []
        finally:
            lock.release()
        out = scheduler.scheduled_delivery()
        assert out["status"] == "done" and out["webhooks_sent"] == len(_alert_ids(svc, w.watchlist_a))
    finally:
        scheduler._service = None


def test_delivery_job_and_a_cycle_together_send_each_alert_once(tmp_path, receiver):
    from markwatch import scheduler

    svc, w, _sub = _world(tmp_path, "both", receiver)
    receiver.set("up")
    scheduler._service = clone_service(svc)  # the job's service, as in another scheduler thread
    jobs = 3
    barrier = threading.Barrier(jobs + 1)
    outcomes: list = []

    def job() -> None:
        barrier.wait()
        outcomes.append(scheduler.scheduled_delivery())

    def cycle() -> None:
        barrier.wait()
        outcomes.append(svc.cycle(kind="scheduled").delivery)

    threads = [threading.Thread(target=job) for _ in range(jobs)] + [threading.Thread(target=cycle)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        scheduler._service = None
    n = len(_alert_ids(svc, w.watchlist_a))
    assert len(receiver.keys_seen) == n == len(set(receiver.keys_seen)), outcomes
    assert all(m.status == "delivered" for m in _outbox(svc))


def test_scheduled_delivery_never_raises(tmp_path, monkeypatch, caplog):
    from markwatch import scheduler

    svc = make_service(f"sqlite:///{tmp_path}/x.db", tmp_path)

    def broken(**_kw):
        raise RuntimeError("smtp relay https://mw:relay-pw-3@smtp.example.cn/ went away")

    monkeypatch.setattr(svc, "deliver", broken)
    scheduler._service = svc
    try:
        out = scheduler.scheduled_delivery()
    finally:
        scheduler._service = None
    assert out["status"] == "failed" and "went away" in out["error"]
    text = out["error"] + "".join(r.getMessage() for r in caplog.records)
    assert "relay-pw-3" not in text and "went away" in text


# ---------------------------------------------------------------- markwatch deliver --retry-failed
def test_deliver_retry_failed_requeues_filters_and_exits_non_zero_on_failure(tmp_path, receiver, monkeypatch):
    from markwatch.cli import app
    from markwatch.cli import common as cli_common

    svc, w, sub = _world(tmp_path, "cli", receiver, delivery_max_attempts=1)
    n = len(_alert_ids(svc, w.watchlist_a))
    receiver.set("500")
    monkeypatch.setattr(cli_common, "service", lambda: svc)
    runner = CliRunner()
    r = runner.invoke(app, ["deliver"])  # max_attempts = 1: each message is given up, the queue moves on
    assert r.exit_code == 1 and "HTTP 500" in r.output, r.output
    rows = [m for m in _outbox(svc) if m.subscription_id == sub["id"]]
    assert len(rows) == n and all(m.status == "failed" and "HTTP 500" in m.last_error for m in rows)
    # nothing is due and nothing fails: exit 0, and a plain pass does not touch failed messages
    r = runner.invoke(app, ["deliver"])
    assert r.exit_code == 0 and all(m.status == "failed" for m in _outbox(svc)), r.output

    # requeue one alert while the receiver still fails: printed, tried again, exit 1
    alert_id = rows[0].alert_id
    r = runner.invoke(app, ["deliver", "--retry-failed", "--alert", str(alert_id)])
    assert r.exit_code == 1, r.output
    assert "requeued 1 failed message" in r.stdout and f"alert {alert_id}" in r.stdout and "HTTP 500" in r.stdout
    assert "webhooks sent 0" in r.stdout

    # receiver back: requeue the whole subscription; everything goes, in order, exit 0
    receiver.set("up")
    r = runner.invoke(app, ["deliver", "--retry-failed", "--subscription", str(sub["id"]), "--json"])
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert len(out["requeued"]) == n and out["webhooks_sent"] == n and out["webhook_failures"] == 0
    assert {q["subscription_id"] for q in out["requeued"]} == {sub["id"]}
    assert receiver.unique_deliveries() == [f"alert-{a}-sub-{sub['id']}" for a in _alert_ids(svc, w.watchlist_a)]
    with svc.db.session() as s:
        done = s.scalars(select(OutboxMessage).where(OutboxMessage.subscription_id == sub["id"])).all()
        assert all(m.status == "delivered" and m.attempts == 1 for m in done)
    # the filters need --retry-failed
    r = runner.invoke(app, ["deliver", "--alert", "1"])
    assert r.exit_code == 2 and "--retry-failed" in r.output


def test_retry_failed_waits_for_the_lease(tmp_path, receiver):
    svc, w, sub = _world(tmp_path, "held", receiver, delivery_max_attempts=1)
    receiver.set("500")
    svc.deliver()
    assert all(m.status == "failed" for m in _outbox(svc))
    lock = clone_service(svc).lock("delivery")
    assert lock.acquire()
    try:
        d = svc.deliver(retry_failed=True)
        assert d.skipped and d.requeued == []
        assert all(m.status == "failed" for m in _outbox(svc))  # nothing changed under another pass
    finally:
        lock.release()
    receiver.set("up")
    d = svc.deliver(retry_failed=True, subscription_id=sub["id"])
    assert d.webhooks_sent == len(_alert_ids(svc, w.watchlist_a)) and len(d.requeued) == d.webhooks_sent

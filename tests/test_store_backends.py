"""The store on SQLite and on PostgreSQL (when MARKWATCH_TEST_POSTGRES_URL is set): ingest idempotency,
alert uniqueness, run and re-run, the outbox, leases, tokens, source checkpoints."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from markwatch.service.alerts import AlertFilter
from markwatch.service.delivery import enqueue
from markwatch.store.locks import DbLock
from markwatch.store.tables import AlertRow, BrandRow, GazetteMark, Lock, OutboxMessage, SourceCheckpoint

from .servicekit import (
    ASSOCIATION,
    GAZETTE,
    MORE_KNOCKOFFS,
    STATION,
    LocalServer,
    confirm_addresses,
    db_url,
    make_service,
    seed,
    write_jsonl,
)

__all__ = ["db_url"]


def _count(svc, col) -> int:
    with svc.db.session() as s:
        return s.scalar(select(func.count(col))) or 0


def test_backend_is_the_one_asked_for(db_url, tmp_path):
    svc = make_service(db_url, tmp_path)
    assert svc.db.engine.dialect.name == ("sqlite" if db_url.startswith("sqlite") else "postgresql")
    with svc.db.engine.connect() as conn:
        tables = set(svc.db.engine.dialect.get_table_names(conn))
    assert {"locks", "outbox", "alerts", "source_checkpoints", "alembic_version"} <= tables


def test_ingest_is_idempotent(db_url, tmp_path):
    svc = make_service(db_url, tmp_path)
    path = write_jsonl(tmp_path / "g.jsonl", GAZETTE)
    [first] = svc.ingest([path])
    assert first.stored == len(GAZETTE) and first.duplicates == 0
    [again] = svc.ingest([path])
    assert again.stored == 0 and again.duplicates == len(GAZETTE)
    overlapping = write_jsonl(tmp_path / "h.jsonl", GAZETTE[:2] + MORE_KNOCKOFFS)
    [third] = svc.ingest([overlapping])
    assert third.stored == len(MORE_KNOCKOFFS) and third.duplicates == 2
    assert _count(svc, GazetteMark.id) == len(GAZETTE) + len(MORE_KNOCKOFFS)
    with svc.db.session() as s:
        marks = set(s.scalars(select(GazetteMark.mark)))
    assert {"康帅傅", "雷碧", "青山绿水"} <= marks  # Chinese text survives the round trip


def test_run_and_rerun_never_duplicate_alerts(db_url, tmp_path):
    svc = make_service(db_url, tmp_path)
    w = seed(svc, tmp_path, run=False)
    first = svc.run()
    pairs = _pairs(svc)
    assert ("康师傅", "康帅傅") in pairs and ("雪碧", "雷碧") in pairs and ("康师傅", "青山绿水") not in pairs
    assert first.alerts_new == len(pairs)
    second = svc.run()
    assert second.alerts_new == 0 and second.marks_matched == 0
    # a brand changed (matched again against the whole register): still one alert per pair
    with svc.db.session() as s:
        s.execute(update(BrandRow).values(matched_through=0))
    third = svc.run()
    assert third.alerts_new == 0 and third.marks_matched == len(GAZETTE) and _pairs(svc) == pairs
    # the database itself refuses a duplicate pair
    with pytest.raises(IntegrityError), svc.db.session() as s:
        a = s.scalars(select(AlertRow)).first()
        s.add(AlertRow(brand_pk=a.brand_pk, gazette_mark_id=a.gazette_mark_id, watchlist_id=a.watchlist_id,
                       score=0.9, severity="high", reasons=[]))
    # new marks: only they are compared
    svc.ingest([write_jsonl(tmp_path / "more.jsonl", MORE_KNOCKOFFS)])
    fourth = svc.run()
    assert fourth.marks_matched == len(MORE_KNOCKOFFS) and fourth.alerts_new == len(MORE_KNOCKOFFS)
    assert [r["status"] for r in svc.runs()] == ["done"] * 4
    assert w.watchlist_a


def _pairs(svc) -> set[tuple[str, str]]:
    with svc.db.session() as s:
        rows = s.scalars(select(AlertRow)).all()
        out = [(a.brand.mark, a.gazette_mark.mark, a.gazette_mark.application_no) for a in rows]
    assert len(out) == len({(b, n) for b, _, n in out})
    return {(b, m) for b, m, _ in out}


def test_outbox_queue_and_delivery_state(db_url, tmp_path):
    got: list[str] = []

    def handle(_server, req):
        got.append(req.headers["Idempotency-Key"])
        return (500, {}, b"no") if len(got) == 1 else (204, {}, b"")

    server = LocalServer(handle).start()
    try:
        svc = make_service(db_url, tmp_path, delivery_backoff_seconds=30.0)
        w = seed(svc, tmp_path, run=False)
        station = svc.as_org(svc.authenticate(w.tokens[STATION]))
        station.subscribe(w.watchlist_a, organisation=ASSOCIATION, email="alerts@food.example.org",
                          webhook=server.url + "/hook")
        confirm_addresses(svc)
        svc.run()
        with svc.db.session() as s:
            n = s.scalar(select(func.count(AlertRow.id)).where(AlertRow.watchlist_id == w.watchlist_a))
        assert n >= 2 and _count(svc, AlertRow.id) > n  # the other station's 娃哈哈 alert is not theirs
        assert enqueue(svc.db) == 2 * n  # webhook and e-mail for each alert
        assert enqueue(svc.db) == 0
        with pytest.raises(IntegrityError), svc.db.session() as s:
            m = s.scalars(select(OutboxMessage)).first()
            s.add(OutboxMessage(alert_id=m.alert_id, subscription_id=m.subscription_id, channel=m.channel))
        t0 = datetime.now(timezone.utc) + timedelta(seconds=1)
        d = svc.deliver(now=t0)  # webhook answers 500 once; no SMTP host is set, so e-mail fails
        assert d.webhook_failures == 1 and d.email_failures == 1 and "smtp_host" in d.errors[-1]
        d = svc.deliver(now=t0 + timedelta(seconds=31))
        assert d.webhooks_sent == n
        with svc.db.session() as s:
            hooks = s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook")
                              .order_by(OutboxMessage.id)).all()
            mails = s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "email")).all()
            assert [m.status for m in hooks] == ["delivered"] * n and hooks[0].attempts == 2
            assert all(m.status == "pending" and m.attempts == 2 and m.next_attempt_at is not None for m in mails)
        assert len(got) == n + 1 and len(set(got)) == n
    finally:
        server.stop()


def test_leases(db_url, tmp_path):
    svc = make_service(db_url, tmp_path)
    a = DbLock(svc.db, "run", lease_seconds=60, owner="a")
    b = DbLock(svc.db, "run", lease_seconds=60, owner="b")
    assert a.acquire() and not b.acquire()
    assert a.holder()["owner"] == "a"
    assert a.renew()
    a.release()
    assert b.acquire()
    b.release()
    # a holder that died leaves an expired row; the next one takes it over
    with svc.db.session() as s:
        past = datetime.now(timezone.utc) - timedelta(minutes=5)
        s.add(Lock(name="run", owner="dead", acquired_at=past, expires_at=past + timedelta(seconds=60)))
    c = DbLock(svc.db, "run", lease_seconds=60, owner="c")
    assert c.acquire() and c.holder()["owner"] == "c"
    dead = DbLock(svc.db, "run", owner="dead")
    assert not dead.renew()  # the dead holder cannot extend what it lost
    c.release()
    assert c.holder() is None
    # the heartbeat keeps a short lease alive while the holder works
    d = DbLock(svc.db, "run", lease_seconds=0.6, owner="d")
    assert d.acquire()
    import time

    time.sleep(1.2)
    assert not DbLock(svc.db, "run", owner="e").acquire()
    d.release()


def test_tokens_and_checkpoints(db_url, tmp_path):
    svc = make_service(db_url, tmp_path)
    _, token = svc.create_org("嘉兴市商标品牌指导站", "station")
    assert svc.authenticate(token).name == "嘉兴市商标品牌指导站"
    assert svc.authenticate(token + "x") is None and svc.authenticate("") is None
    from markwatch.errors import Conflict

    with pytest.raises(Conflict):
        svc.create_org("嘉兴市商标品牌指导站", "station")
    from markwatch.sources.remote import get_checkpoint, save_checkpoint

    save_checkpoint(svc.db, "http:x", "https://gazette.example.cn/2004.jsonl", etag='"abc"', sha256="0" * 64)
    save_checkpoint(svc.db, "http:x", "https://gazette.example.cn/2004.jsonl", etag='"def"', sha256="1" * 64)
    cp = get_checkpoint(svc.db, "http:x", "https://gazette.example.cn/2004.jsonl")
    assert cp.etag == '"def"' and _count(svc, SourceCheckpoint.id) == 1


def test_deleting_a_watchlist_removes_its_alerts_and_queue(db_url, tmp_path):
    from markwatch.store.tables import AlertEvent, BrandRow, Subscription

    svc = make_service(db_url, tmp_path)
    w = seed(svc, tmp_path, run=False)
    station = svc.as_org(svc.authenticate(w.tokens[STATION]))
    station.subscribe(w.watchlist_a, organisation=ASSOCIATION, email="alerts@food.example.org")
    svc.run()
    alert = station.alerts(AlertFilter())["items"][0]
    station.review(alert["alert_id"], "reviewing", "核实中")
    assert enqueue(svc.db) > 0
    station.delete_watchlist(w.watchlist_a)
    with svc.db.session() as s:
        for table in (OutboxMessage, AlertEvent, Subscription):
            assert s.scalar(select(func.count()).select_from(table)) == 0, table
        # the other organisation's list and its alert (娃哈哈) stay
        assert set(s.scalars(select(AlertRow.watchlist_id))) == {w.watchlist_c}
        assert set(s.scalars(select(BrandRow.brand_id))) == {"NB-0001"}


def test_work_queue_filters_and_bulk_review_on_each_backend(db_url, tmp_path):
    svc = make_service(db_url, tmp_path)
    world = seed(svc, tmp_path, extra_records=MORE_KNOCKOFFS)
    station = svc.as_org(svc.authenticate(world.tokens[STATION]))
    everything = station.alerts(AlertFilter())["items"]
    by_class = station.alerts(AlertFilter(mark_class=30))["items"]  # a class inside a JSON list
    assert by_class and {a["alert_id"] for a in by_class} == {a["alert_id"] for a in everything if 30 in a["classes"]}
    assert station.alerts(AlertFilter(mark_class=3))["total"] == 0
    found = station.alerts(AlertFilter(text="食品厂"))["items"]  # the applicants 甲食品厂, 乙食品厂
    assert {a["applicant"] for a in found} == {"甲食品厂", "乙食品厂"}
    ordered = [a["score"] for a in station.alerts(AlertFilter(sort="-score"))["items"]]
    assert ordered == sorted(ordered, reverse=True)
    severities = [a["severity"] for a in station.alerts(AlertFilter(sort="severity"))["items"]]
    assert severities == sorted(severities, key=("high", "medium", "low").index)
    ids = [a["alert_id"] for a in everything]
    done = station.review_many(ids, "reviewing", "一并复核")
    assert sorted(done["changed"]) == sorted(ids)
    assert station.review_many(ids, "reviewing", "一并复核")["changed"] == []
    assert all(len(station.alert(i)["history"]) == 1 for i in ids)

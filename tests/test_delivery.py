"""Delivery through the outbox: webhooks to a real local receiver that is down, then failing, then up;
e-mail digests to a real local SMTP server (aiosmtpd)."""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from markwatch.service.delivery import SIGNATURE_HEADER, _aware, enqueue, verify
from markwatch.store.tables import AlertRow, BrandRow, OutboxMessage

from .servicekit import (
    ASSOCIATION,
    MORE_KNOCKOFFS,
    OTHER,
    STATION,
    LocalServer,
    Recorded,
    confirm_addresses,
    free_port,
    make_service,
    seed,
)

SECRET = "assoc-webhook-secret"


class Receiver:
    """A webhook receiver that can be down (port closed), answer 500, hang, or accept (200)."""

    def __init__(self) -> None:
        self.mode = "down"
        self.port = free_port()
        self.server: LocalServer | None = None
        self.accepted: list[Recorded] = []  # every 2xx, repeats included
        self.keys_seen: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/markwatch"

    def set(self, mode: str) -> None:
        self.mode = mode
        if mode == "down" and self.server is not None:
            self.server.stop()
            self.server = None
        elif mode != "down" and self.server is None:
            self.server = LocalServer(self._handle, port=self.port).start()

    def _handle(self, _server: LocalServer, req: Recorded):
        if self.mode == "500":
            return 500, {}, b"internal error"
        self.keys_seen.append(req.headers.get("Idempotency-Key", ""))
        if self.mode == "slow":  # takes the delivery, but answers after the sender gave up
            time.sleep(1.0)
        self.accepted.append(req)
        return 200, {"Content-Type": "application/json"}, b'{"ok": true}'

    def unique_deliveries(self) -> list[str]:
        out: list[str] = []
        for key in self.keys_seen:
            if key not in out:
                out.append(key)
        return out


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.set("down")


@pytest.fixture
def world(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path}/d.db", tmp_path, delivery_max_attempts=5)
    w = seed(svc, tmp_path, run=False, extra_records=MORE_KNOCKOFFS)
    return w


def test_webhook_to_loopback_is_refused_at_connect_time_without_allow_list(tmp_path, receiver):
    """A loopback URL stored before the policy (or resolving there later) never gets a request."""
    from sqlalchemy import update

    from markwatch.store.tables import Subscription

    svc = make_service(f"sqlite:///{tmp_path}/o.db", tmp_path, outbound_allow=())
    w = seed(svc, tmp_path, run=False)
    station = svc.as_org(svc.authenticate(w.tokens[STATION]))
    sub = station.subscribe(w.watchlist_a, webhook="https://hooks.example.org/mw")
    with svc.db.session() as s:  # as if a name had been re-pointed to 127.0.0.1 after it was saved
        s.execute(update(Subscription).where(Subscription.id == sub["id"]).values(webhook=receiver.url))
    svc.run()
    receiver.set("ok")
    d = svc.deliver()
    assert d.webhooks_sent == 0 and d.webhook_failures == 1
    assert "internal address" in d.errors[0] and "/hooks/markwatch" not in d.errors[0]
    assert receiver.keys_seen == []


def test_webhook_to_loopback_arrives_with_allow_list(tmp_path, receiver):
    svc = make_service(f"sqlite:///{tmp_path}/o2.db", tmp_path, outbound_allow=("127.0.0.1/32",))
    w = seed(svc, tmp_path, run=False)
    svc.as_org(svc.authenticate(w.tokens[STATION])).subscribe(w.watchlist_a, webhook=receiver.url)
    svc.run()
    receiver.set("ok")
    d = svc.deliver()
    assert d.webhooks_sent > 0 and d.webhook_failures == 0 and len(receiver.accepted) == d.webhooks_sent


class RawReceiver:
    """Answers every POST with 500 and then a body, written `chunk` bytes every `pause` seconds."""

    def __init__(self, body_size: int, chunk: int, pause: float) -> None:
        import socket

        self.body_size, self.chunk, self.pause = body_size, chunk, pause
        self.sent = 0
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/hook"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                try:
                    conn.sendall(f"HTTP/1.1 500 Oops\r\nContent-Length: {self.body_size}\r\n\r\n".encode())
                    while self.sent < self.body_size:
                        conn.sendall(b"x" * self.chunk)
                        self.sent += self.chunk
                        time.sleep(self.pause)
                except OSError:
                    pass  # the sender hung up

    def close(self) -> None:
        self.sock.close()


def _one_webhook(tmp_path, url: str, name: str):
    svc = make_service(f"sqlite:///{tmp_path}/{name}.db", tmp_path, webhook_timeout=1.0)
    w = seed(svc, tmp_path, run=False)
    svc.as_org(svc.authenticate(w.tokens[STATION])).subscribe(w.watchlist_a, webhook=url)
    svc.run()
    return svc


def test_slow_drip_receiver_is_cut_off_at_the_overall_deadline(tmp_path):
    drip = RawReceiver(body_size=30, chunk=1, pause=1.0)  # every read succeeds within the timeout
    try:
        svc = _one_webhook(tmp_path, drip.url, "drip")
        t0 = time.monotonic()
        d = svc.deliver()
        took = time.monotonic() - t0
    finally:
        drip.close()
    assert d.webhooks_sent == 0 and d.webhook_failures == 1
    assert took < 3.0, took
    assert "Timeout" in d.errors[0] or "HTTP 500" in d.errors[0]


def test_huge_error_body_is_not_read_whole(tmp_path):
    big = RawReceiver(body_size=200 << 20, chunk=1 << 16, pause=0.0)
    try:
        svc = _one_webhook(tmp_path, big.url, "big")
        t0 = time.monotonic()
        d = svc.deliver()
        took = time.monotonic() - t0
        time.sleep(0.2)
    finally:
        big.close()
    assert d.webhook_failures == 1 and "HTTP 500: xxx" in d.errors[0] and len(d.errors[0]) < 400
    assert took < 3.0 and big.sent < 50 << 20, (took, big.sent)


def _outbox(svc) -> list[OutboxMessage]:
    with svc.db.session() as s:
        return list(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def _alert_ids(svc, watchlist_id: int) -> list[int]:
    with svc.db.session() as s:
        return list(s.scalars(select(AlertRow.id).where(AlertRow.watchlist_id == watchlist_id)
                              .order_by(AlertRow.created_at, AlertRow.id)))


def test_webhook_outage_then_recovery_delivers_each_alert_once_in_order(tmp_path, receiver):
    # real backoff figures (60 s, doubling); the passes are given their time instead of sleeping
    svc = make_service(f"sqlite:///{tmp_path}/d.db", tmp_path, delivery_backoff_seconds=60.0,
                       delivery_backoff_max_seconds=3600.0, delivery_max_attempts=8)
    world = seed(svc, tmp_path, run=False, extra_records=MORE_KNOCKOFFS)
    station = svc.as_org(svc.authenticate(world.tokens[STATION]))
    station.subscribe(world.watchlist_a, organisation=ASSOCIATION, webhook=receiver.url, webhook_secret=SECRET)
    svc.run()
    alerts = _alert_ids(svc, world.watchlist_a)
    assert len(alerts) >= 3  # 康帅傅 ×3 and 雷碧
    t0 = datetime.now(timezone.utc)

    passes = []
    # 1. receiver down: connection refused; the first alert fails, the rest wait behind it
    receiver.set("down")
    d = svc.deliver(now=t0)
    passes.append(("down", d))
    assert d.queued == len(alerts) and d.webhooks_sent == 0 and d.webhook_failures == 1
    assert "ConnectError" in d.errors[0]
    rows = _outbox(svc)
    assert [r.attempts for r in rows] == [1] + [0] * (len(alerts) - 1)
    assert all(r.status == "pending" for r in rows) and "ConnectError" in rows[0].last_error
    # before the backoff (60 s) has passed nothing is tried, even with the receiver back
    receiver.set("500")
    d = svc.deliver(now=t0 + timedelta(seconds=30))
    assert d.webhook_failures == 0 and d.waiting == 1 and _outbox(svc)[0].attempts == 1
    assert receiver.keys_seen == []

    # 2. receiver up but failing (HTTP 500): second attempt, backoff doubles to 120 s
    t1 = t0 + timedelta(seconds=61)
    d = svc.deliver(now=t1)
    passes.append(("500", d))
    assert d.webhooks_sent == 0 and d.webhook_failures == 1 and "HTTP 500" in _outbox(svc)[0].last_error
    first = _outbox(svc)[0]
    assert first.attempts == 2
    assert abs((_aware(first.next_attempt_at) - t1).total_seconds() - 120) < 1
    assert receiver.accepted == []

    # 3. receiver healthy: after the backoff everything goes, in creation order
    receiver.set("up")
    d = svc.deliver(now=t1 + timedelta(seconds=121))
    passes.append(("up", d))
    assert d.webhooks_sent == len(alerts) and d.webhook_failures == 0
    rows = _outbox(svc)
    assert all(r.status == "delivered" and r.delivered_at is not None for r in rows)
    sub_id = rows[0].subscription_id
    assert receiver.unique_deliveries() == [f"alert-{a}-sub-{sub_id}" for a in alerts]
    assert len(receiver.accepted) == len(alerts)  # exactly once each
    for req in receiver.accepted:
        assert verify(req.body, SECRET, req.headers.get(SIGNATURE_HEADER))
        assert not verify(req.body, "wrong-secret", req.headers.get(SIGNATURE_HEADER))
        payload = json.loads(req.body)
        assert req.headers["Idempotency-Key"] == payload["idempotency_key"]
        assert payload["event"] == "alert.created" and payload["organisation"] == ASSOCIATION
        assert payload["alert"]["reasons"] and payload["alert"]["opposition_deadline"]
    assert {json.loads(r.body)["alert"]["mark"] for r in receiver.accepted} >= {"康帅傅", "雷碧"}

    # 4. nothing more to send; re-running the matcher adds nothing either
    svc.run()
    d = svc.deliver()
    assert d.queued == 0 and d.webhooks_sent == 0 and len(receiver.accepted) == len(alerts)
    attempts = [r.attempts for r in _outbox(svc)]
    print(f"\noutage test: {len(alerts)} alerts; attempts per message {attempts}; "
          f"passes {[(name, p.webhooks_sent, p.webhook_failures) for name, p in passes]}")


def test_lost_answer_is_retried_with_the_same_idempotency_key(tmp_path, receiver):
    svc = make_service(f"sqlite:///{tmp_path}/l.db", tmp_path, webhook_timeout=0.5)
    world = seed(svc, tmp_path, run=False, extra_records=MORE_KNOCKOFFS)
    station = svc.as_org(svc.authenticate(world.tokens[STATION]))
    sub = station.subscribe(world.watchlist_a, webhook=receiver.url)  # no secret given: one is generated
    svc.run()
    n = len(_alert_ids(svc, world.watchlist_a))
    receiver.set("slow")  # webhook_timeout is 0.5 s here, the receiver answers after 1 s
    d = svc.deliver()
    assert d.webhooks_sent == 0 and d.webhook_failures == 1 and "Timeout" in d.errors[0]
    receiver.mode = "up"
    time.sleep(0.1)
    d = svc.deliver()
    assert d.webhooks_sent == n
    first_key = receiver.keys_seen[0]
    assert receiver.keys_seen.count(first_key) == 2  # the receiver saw the repeat and can drop it by key
    assert len(receiver.unique_deliveries()) == n
    assert all(verify(r.body, sub["webhook_secret"], r.headers[SIGNATURE_HEADER]) for r in receiver.accepted)


def test_gives_up_after_max_attempts_and_moves_on(tmp_path, receiver):
    svc = make_service(f"sqlite:///{tmp_path}/g.db", tmp_path, delivery_max_attempts=3)
    w = seed(svc, tmp_path, run=False)
    svc.as_org(svc.authenticate(w.tokens[STATION])).subscribe(w.watchlist_a, webhook=receiver.url)
    svc.run()
    n = len(_alert_ids(svc, w.watchlist_a))
    receiver.set("500")
    gave_up = 0
    for _ in range(3):
        d = svc.deliver()
        gave_up += d.gave_up
        time.sleep(0.25)
    rows = _outbox(svc)
    assert gave_up == 1 and rows[0].status == "failed" and rows[0].attempts == 3
    # the next message in the queue is now being tried; once the receiver is back it is delivered
    receiver.set("up")
    time.sleep(0.3)
    d = svc.deliver()
    assert d.webhooks_sent == n - 1
    assert [r.status for r in _outbox(svc)] == ["failed"] + ["delivered"] * (n - 1)


def test_new_subscription_does_not_replay_history(world, receiver):
    svc = world.svc
    svc.run()
    assert enqueue(svc.db) == 0  # nobody subscribed yet
    svc.as_org(svc.authenticate(world.tokens[STATION])).subscribe(world.watchlist_a, organisation=ASSOCIATION,
                                                                   webhook=receiver.url)
    assert enqueue(svc.db) == 0  # alerts older than the subscription are history


# ---------------------------------------------------------------- e-mail
class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    yield inbox
    controller.stop()


def _parts(raw: bytes):
    msg = message_from_bytes(raw, policy=policy.default)
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    return msg, text, html


def test_email_digest_one_per_subscriber_per_pass(tmp_path, smtp):
    svc = make_service(f"sqlite:///{tmp_path}/e.db", tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.port,
                       smtp_sender="markwatch@station.example.org")
    w = seed(svc, tmp_path, run=False, extra_records=MORE_KNOCKOFFS)
    station = svc.as_org(svc.authenticate(w.tokens[STATION]))
    station.subscribe(w.watchlist_a, organisation=ASSOCIATION, email="alerts@food.example.org")
    # the association also subscribes (same address) to the Ningbo list: still one e-mail per pass
    other = svc.as_org(svc.authenticate(w.tokens[OTHER]))
    other.subscribe(w.watchlist_c, organisation=ASSOCIATION, email="Alerts@food.example.org")
    confirm_addresses(svc)
    svc.run()
    n = len(_alert_ids(svc, w.watchlist_a)) + len(_alert_ids(svc, w.watchlist_c))
    d = svc.deliver()
    assert d.emails_sent == 1 and d.email_alerts == n and d.email_failures == 0
    assert len(smtp.messages) == 1
    mail_from, rcpts, raw = smtp.messages[0]
    assert mail_from == "markwatch@station.example.org" and [r.lower() for r in rcpts] == ["alerts@food.example.org"]
    msg, text, html = _parts(raw)
    assert msg.get_content_type() == "multipart/alternative"
    assert "商标预警" in msg["Subject"] and f"{n} 条" in msg["Subject"]
    for body in (text, html):
        assert "康帅傅" in body and "康师傅" in body and "雷碧" in body and "雪碧" in body
        assert "异议截止日" in body and "字形" in body and ASSOCIATION in body
    # grouped by brand: 康师傅's heading once, with its three knock-offs under it
    assert text.count("监测商标：康师傅") == 1 and text.count("「康帅傅」") == 3
    assert "<script" not in html
    # nothing new: no second e-mail
    d = svc.deliver()
    assert d.emails_sent == 0 and len(smtp.messages) == 1


def test_a_line_break_in_another_orgs_brand_does_not_fail_the_digest(tmp_path, smtp):
    svc = make_service(f"sqlite:///{tmp_path}/e3.db", tmp_path, smtp_host="127.0.0.1", smtp_port=smtp.port)
    w = seed(svc, tmp_path, run=False, extra_records=MORE_KNOCKOFFS)
    svc.as_org(svc.authenticate(w.tokens[STATION])).subscribe(
        w.watchlist_a, organisation=ASSOCIATION, email="alerts@food.example.org")
    # another org subscribes the association, at its real address, to its own list
    svc.as_org(svc.authenticate(w.tokens[OTHER])).subscribe(
        w.watchlist_c, organisation=ASSOCIATION, email="alerts@food.example.org")
    confirm_addresses(svc)
    svc.run()
    # a name with a line break, as stored before such names were cleaned at the boundary
    with svc.db.session() as s:
        for row in s.scalars(select(BrandRow).where(BrandRow.watchlist_id == w.watchlist_c)):
            row.mark = "娃\n哈哈"
        s.commit()
    n = len(_alert_ids(svc, w.watchlist_a)) + len(_alert_ids(svc, w.watchlist_c))
    d = svc.deliver()
    assert d.emails_sent == 1 and d.email_failures == 0 and d.email_alerts == n
    msg, text, _html = _parts(smtp.messages[0][2])
    assert "\n" not in msg["Subject"] and "康师傅" in text
    assert all(r.status == "delivered" for r in _outbox(svc))


def test_email_smtp_down_then_up(tmp_path, smtp):
    dead_port = free_port()
    svc = make_service(f"sqlite:///{tmp_path}/e2.db", tmp_path, smtp_host="127.0.0.1", smtp_port=dead_port)
    w = seed(svc, tmp_path, run=False)
    svc.as_org(svc.authenticate(w.tokens[STATION])).subscribe(w.watchlist_a, email="clerk@station.example.org")
    confirm_addresses(svc)
    svc.run()
    d = svc.deliver()
    assert d.emails_sent == 0 and d.email_failures == 1
    rows = _outbox(svc)
    assert all(r.attempts == 1 and r.status == "pending" and "ConnectionRefused" in r.last_error for r in rows)
    # the SMTP server is "back": the operator points the settings at the live one
    from .servicekit import clone_service

    live = clone_service(svc, smtp_port=smtp.port)
    time.sleep(0.08)
    d = live.deliver()
    assert d.emails_sent == 1 and d.email_alerts == len(rows) and len(smtp.messages) == 1
    assert all(r.status == "delivered" and r.attempts == 2 for r in _outbox(svc))


def test_one_delivery_pass_at_a_time(world):
    svc = world.svc
    lock = svc.lock("delivery")
    assert lock.acquire()
    try:
        assert svc.deliver().skipped is True
    finally:
        lock.release()
    assert svc.deliver().skipped is False


def test_concurrent_passes_do_not_send_twice(world, receiver):
    svc = world.svc
    svc.as_org(svc.authenticate(world.tokens[STATION])).subscribe(world.watchlist_a, webhook=receiver.url)
    svc.run()
    receiver.set("up")
    from .servicekit import clone_service

    others = [clone_service(svc) for _ in range(3)]
    results = []
    barrier = threading.Barrier(len(others))

    def go(s):
        barrier.wait()
        results.append(s.deliver())

    threads = [threading.Thread(target=go, args=(s,)) for s in others]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    n = len(_alert_ids(svc, world.watchlist_a))
    assert sum(r.webhooks_sent for r in results) == n
    assert len(receiver.keys_seen) == n == len(set(receiver.keys_seen))


def test_delivery_settings_from_toml_and_environment(tmp_path):
    from markwatch.config import Settings

    toml = tmp_path / "markwatch.toml"
    toml.write_text('smtp_host = "smtp.example.cn"\nsmtp_port = 465\nsmtp_tls = "ssl"\n'
                    'source_urls = ["https://gazette.example.cn/index.json"]\n'
                    'drop_folder = "/srv/markwatch/incoming"\n', encoding="utf-8")
    s = Settings.load(env={"MARKWATCH_SMTP_PASSWORD": "pw", "MARKWATCH_DELIVERY_MAX_ATTEMPTS": "3",
                           "MARKWATCH_DELIVERY_BACKOFF_SECONDS": "5", "MARKWATCH_SCHEDULE_CRON": "0 3 * * *"},
                      config_file=toml)
    assert (s.smtp_host, s.smtp_port, s.smtp_tls, s.smtp_password) == ("smtp.example.cn", 465, "ssl", "pw")
    assert s.delivery_max_attempts == 3 and s.delivery_backoff_seconds == 5.0 and s.schedule_cron == "0 3 * * *"
    assert s.source_urls == ("https://gazette.example.cn/index.json",) and str(s.drop_folder) == "/srv/markwatch/incoming"

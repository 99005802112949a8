"""Delivery of alerts (预警推送) to subscribers: webhooks and e-mail digests, through an outbox.

1. ``enqueue``: every alert of a watchlist created since a subscription was made gets one outbox row
   per target of that subscription (webhook and/or e-mail). The row is unique per (alert,
   subscription, channel), so enqueueing again never duplicates.
2. ``deliver_due``: webhooks are POSTed one alert at a time, per subscription in order of alert
   creation. A failure (connection refused, timeout, non-2xx) sets ``next_attempt_at`` with
   exponential backoff and stops that subscription's queue, so a later alert never overtakes an
   earlier one; after ``delivery_max_attempts`` the row is ``failed`` and the queue moves on.
   E-mail is one digest per recipient per pass, grouped by brand, in Chinese (HTML + text).

Each webhook carries ``Idempotency-Key: alert-<id>-sub-<id>`` (the same on every retry, so a receiver
that saw a delivery whose answer was lost drops the repeat) and ``X-Markwatch-Signature:
sha256=<hex HMAC-SHA256 of the body>`` keyed with the subscription's secret, else the global one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import socket
import ssl
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from markwatch.outbound import guarded_client, mask_url
from markwatch.service.alerts import SEVERITY_LABELS, alert_dict
from markwatch.store.tables import AlertRow, OutboxMessage, Subscription

if TYPE_CHECKING:  # pragma: no cover
    from markwatch.config import Settings
    from markwatch.store.db import Database

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Markwatch-Signature"
TEMPLATES = Path(__file__).resolve().parent.parent / "web" / "templates"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _aware(dt: datetime) -> datetime:
    # SQLite hands DateTime(timezone=True) back naive; every stored time is UTC
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=timezone.utc)


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify(body: bytes, secret: str, header: str | None) -> bool:
    """For receivers (and tests): does the signature header match the body?"""
    return bool(header) and hmac.compare_digest(sign(body, secret), header or "")


def idempotency_key(alert_id: int, subscription_id: int) -> str:
    return f"alert-{alert_id}-sub-{subscription_id}"


@dataclass
class DeliverySummary:
    queued: int = 0
    webhooks_sent: int = 0
    webhook_failures: int = 0
    emails_sent: int = 0
    email_alerts: int = 0
    email_failures: int = 0
    gave_up: int = 0
    waiting: int = 0
    skipped: bool = False
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------- enqueue
def enqueue(db: Database, now: datetime | None = None) -> int:
    """Queue every not yet queued alert for every target of its watchlist's subscriptions."""
    now = now or _now()
    added = 0
    with db.session() as s:
        subs = list(s.scalars(select(Subscription).order_by(Subscription.id)))
        for sub in subs:
            for channel, target in (("webhook", sub.webhook), ("email", sub.email)):
                if not target:
                    continue
                queued = exists().where(and_(OutboxMessage.alert_id == AlertRow.id,
                                             OutboxMessage.subscription_id == sub.id,
                                             OutboxMessage.channel == channel))
                # alerts made before the subscription are history, not news: they are not sent
                ids = list(s.scalars(select(AlertRow.id).where(
                    AlertRow.watchlist_id == sub.watchlist_id, AlertRow.created_at >= sub.created_at, ~queued)
                    .order_by(AlertRow.created_at, AlertRow.id)))
                for alert_id in ids:
                    s.add(OutboxMessage(alert_id=alert_id, subscription_id=sub.id, channel=channel,
                                        next_attempt_at=now, created_at=now))
                added += len(ids)
    return added


def backoff(settings: Settings, attempts: int) -> timedelta:
    """attempts = failures so far (≥ 1): base, 2×base, 4×base … up to the cap."""
    seconds = settings.delivery_backoff_seconds * (2 ** max(attempts - 1, 0))
    return timedelta(seconds=min(seconds, settings.delivery_backoff_max_seconds))


def _failed(msg: OutboxMessage, error: str, settings: Settings, now: datetime, summary: DeliverySummary) -> None:
    msg.attempts += 1
    msg.last_error = error[:2000]
    if msg.attempts >= settings.delivery_max_attempts:
        msg.status = "failed"
        summary.gave_up += 1
        log.error("giving up outbox message %s after %s attempts: %s", msg.id, msg.attempts, error)
    else:
        msg.next_attempt_at = now + backoff(settings, msg.attempts)


def _delivered(msg: OutboxMessage, now: datetime) -> None:
    msg.attempts += 1
    msg.status = "delivered"
    msg.delivered_at = now
    msg.last_error = None


# ---------------------------------------------------------------- webhooks
def webhook_body(alert: AlertRow, sub: Subscription, today: date) -> bytes:
    payload = {
        "event": "alert.created",
        "idempotency_key": idempotency_key(alert.id, sub.id),
        "subscription_id": sub.id,
        "organisation": sub.organisation.name,
        "alert": alert_dict(alert, today),
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _due_webhooks(s: Session) -> dict[int, list[OutboxMessage]]:
    rows = s.scalars(select(OutboxMessage).join(AlertRow, OutboxMessage.alert_id == AlertRow.id)
                     .where(OutboxMessage.channel == "webhook", OutboxMessage.status == "pending")
                     .order_by(OutboxMessage.subscription_id, AlertRow.created_at, AlertRow.id))
    by_sub: dict[int, list[OutboxMessage]] = defaultdict(list)
    for m in rows:
        by_sub[m.subscription_id].append(m)
    return by_sub


# A receiver's answer only matters for its status; the start of an error body is kept for the operator.
MAX_ANSWER_BYTES = 1024


def post_webhook(client: httpx.Client, url: str, body: bytes, headers: dict[str, str],
                 deadline_seconds: float) -> str | None:
    """POST once; None when delivered, else the error text.

    httpx's timeout applies to each read, so a receiver dripping one byte a second would hold delivery
    for every org indefinitely. A watchdog shuts the request's socket down when the whole exchange passes
    `deadline_seconds`; the answer is streamed and at most MAX_ANSWER_BYTES of it are read.
    """
    sockets: list[socket.socket] = []
    expired = threading.Event()

    def trace(event: str, info: dict) -> None:
        if event.endswith(("connect_tcp.complete", "start_tls.complete")) and info.get("return_value") is not None:
            sock = info["return_value"].get_extra_info("socket")
            if sock is not None:
                sockets.append(sock)
                if expired.is_set():
                    _shut(sock)

    def expire() -> None:
        expired.set()
        for sock in sockets:
            _shut(sock)

    timer = threading.Timer(deadline_seconds, expire)
    timer.daemon = True
    timer.start()
    try:
        with client.stream("POST", url, content=body, headers=headers, extensions={"trace": trace}) as resp:
            if 200 <= resp.status_code < 300:
                return None
            head = b""
            for chunk in resp.iter_raw():
                head += chunk
                if len(head) >= MAX_ANSWER_BYTES:
                    break
            text = head[:MAX_ANSWER_BYTES].decode("utf-8", "replace")
            return f"HTTP {resp.status_code}: {text[:200]}"
    except httpx.HTTPError as exc:
        if expired.is_set():
            return f"Timeout: no complete answer within {deadline_seconds:g} s"
        return f"{type(exc).__name__}: {exc}"
    finally:
        timer.cancel()


def _shut(sock: socket.socket) -> None:
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # already closed


def deliver_webhooks(db: Database, settings: Settings, summary: DeliverySummary, *, now: datetime,
                     client: httpx.Client) -> None:
    with db.session() as s:
        queues = {k: [m.id for m in v] for k, v in _due_webhooks(s).items()}
    for sub_id, ids in queues.items():
        for msg_id in ids:
            with db.session() as s:
                msg = s.get(OutboxMessage, msg_id)
                if msg is None or msg.status != "pending":
                    continue
                if _aware(msg.next_attempt_at) > now:
                    summary.waiting += 1
                    break  # keep creation order: later alerts wait behind this one
                sub = s.get(Subscription, sub_id)
                alert = s.get(AlertRow, msg.alert_id)
                if sub is None or alert is None or not sub.webhook:
                    msg.status = "failed"
                    msg.last_error = "subscription or alert gone, or webhook removed"
                    continue
                body = webhook_body(alert, sub, settings.today(now))
                headers = {
                    "Content-Type": "application/json; charset=utf-8",
                    "Idempotency-Key": idempotency_key(alert.id, sub.id),
                    SIGNATURE_HEADER: sign(body, sub.webhook_secret or settings.webhook_secret),
                    "User-Agent": "markwatch-webhook",
                }
                error = post_webhook(client, sub.webhook, body, headers, settings.webhook_timeout)
                if error is None:
                    _delivered(msg, now)
                    summary.webhooks_sent += 1
                    continue
                _failed(msg, error, settings, now, summary)
                summary.webhook_failures += 1
                summary.errors.append(f"webhook {mask_url(sub.webhook)} ({idempotency_key(alert.id, sub.id)}): {error}")
                if msg.status == "pending":
                    break  # retry later, in order


# ---------------------------------------------------------------- e-mail
def _env():
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    return Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html"]),
                       trim_blocks=True, lstrip_blocks=True)


def digest_groups(alerts: list[dict]) -> list[dict]:
    """Alerts grouped by brand, each group and its alerts sorted by opposition deadline."""
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for a in alerts:
        groups[(a["watchlist"], a["brand_id"])].append(a)
    out = []
    for (watchlist, brand_id), items in groups.items():
        items.sort(key=lambda a: (a["opposition_deadline"] or "9999", -a["score"]))
        out.append({"watchlist": watchlist, "brand_id": brand_id, "brand": items[0]["brand"], "alerts": items})
    out.sort(key=lambda g: g["alerts"][0]["opposition_deadline"] or "9999")
    return out


def compose_digest(settings: Settings, to: str, organisation: str, alerts: list[dict],
                   today: date) -> EmailMessage:
    groups = digest_groups(alerts)
    ctx = {"organisation": organisation, "groups": groups, "count": len(alerts), "today": today.isoformat(),
           "severity_labels": SEVERITY_LABELS}
    env = _env()
    msg = EmailMessage()
    # Brand names are other tenants' input and may hold line breaks (rows stored before they were
    # refused): a header with one raises, which would fail the whole digest.
    brands = "、".join(" ".join(str(g["brand"]).split()) for g in groups[:3]) + ("等" if len(groups) > 3 else "")
    msg["Subject"] = f"【商标预警】{len(alerts)} 条近似商标待审查（{brands}）"
    msg["From"] = formataddr(("markwatch 商标监测", settings.smtp_sender))
    msg["To"] = to
    msg["Message-ID"] = make_msgid(domain=settings.smtp_sender.split("@")[-1] or "markwatch")
    msg.set_content(env.get_template("email/digest.txt").render(**ctx))
    msg.add_alternative(env.get_template("email/digest.html").render(**ctx), subtype="html")
    return msg


def smtp_send(settings: Settings, msg: EmailMessage) -> None:
    if not settings.smtp_host:
        raise RuntimeError("smtp_host is not set (MARKWATCH_SMTP_HOST); e-mail cannot be sent")
    mode = settings.smtp_tls
    if mode not in ("none", "starttls", "ssl"):
        raise RuntimeError(f"smtp_tls must be none, starttls or ssl (got {mode!r})")
    ctx = ssl.create_default_context()
    smtp: smtplib.SMTP
    if mode == "ssl":
        smtp = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout, context=ctx)
    else:
        smtp = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout)
    try:
        smtp.ehlo()
        if mode == "starttls":
            smtp.starttls(context=ctx)
            smtp.ehlo()
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(msg)
    finally:
        try:
            smtp.quit()
        except smtplib.SMTPException:
            smtp.close()


def deliver_emails(db: Database, settings: Settings, summary: DeliverySummary, *, now: datetime,
                   send: Callable[[Settings, EmailMessage], None]) -> None:
    with db.session() as s:
        rows = list(s.scalars(select(OutboxMessage).join(AlertRow, OutboxMessage.alert_id == AlertRow.id)
                              .where(OutboxMessage.channel == "email", OutboxMessage.status == "pending")
                              .order_by(AlertRow.created_at, AlertRow.id)))
        recipients: dict[tuple[int, str], list[int]] = defaultdict(list)
        for m in rows:
            sub = s.get(Subscription, m.subscription_id)
            if sub is None or not sub.email:
                m.status, m.last_error = "failed", "subscription gone or e-mail removed"
                continue
            if _aware(m.next_attempt_at) > now:
                summary.waiting += 1
                continue
            recipients[(sub.organisation_id, sub.email.strip().lower())].append(m.id)
    for (_, address), ids in recipients.items():
        with db.session() as s:
            msgs = [m for m in (s.get(OutboxMessage, i) for i in ids) if m is not None and m.status == "pending"]
            if not msgs:
                continue
            alerts = [alert_dict(s.get_one(AlertRow, m.alert_id), settings.today(now), settings.gazette_page_url)
                      for m in msgs]
            org = s.get_one(Subscription, msgs[0].subscription_id).organisation.name
            try:
                send(settings, compose_digest(settings, address, org, alerts, settings.today(now)))
            except Exception as exc:
                error = f"{type(exc).__name__}: {exc}"
                for m in msgs:
                    _failed(m, error, settings, now, summary)
                summary.email_failures += 1
                summary.errors.append(f"e-mail to {address}: {error}")
                continue
            for m in msgs:
                _delivered(m, now)
            summary.emails_sent += 1
            summary.email_alerts += len(msgs)


# ---------------------------------------------------------------- a pass
def deliver(db: Database, settings: Settings, *, now: datetime | None = None,
            client: httpx.Client | None = None,
            send: Callable[[Settings, EmailMessage], None] | None = None) -> DeliverySummary:
    """Queue new alerts and deliver what is due; one pass at a time (a database lease guards it)."""
    from markwatch.store.locks import DbLock

    summary = DeliverySummary()
    lock = DbLock(db, "delivery", lease_seconds=max(settings.lock_lease_seconds, 60))
    if not lock.acquire():
        summary.skipped = True
        return summary
    own = client is None
    # no keep-alive: post_webhook's deadline watchdog needs to see each request's own connection
    client = client or guarded_client(settings.outbound_allow, timeout=settings.webhook_timeout,
                                      follow_redirects=False, limits=httpx.Limits(max_keepalive_connections=0))
    try:
        now = now or _now()
        summary.queued = enqueue(db, now)
        deliver_webhooks(db, settings, summary, now=now, client=client)
        deliver_emails(db, settings, summary, now=now, send=send or smtp_send)
    finally:
        if own:
            client.close()
        lock.release()
    return summary


def outbox_status(db: Database) -> dict:
    from sqlalchemy import func

    with db.session() as s:
        rows = s.execute(select(OutboxMessage.channel, OutboxMessage.status, func.count(OutboxMessage.id))
                         .group_by(OutboxMessage.channel, OutboxMessage.status)).all()
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for channel, status, n in rows:
        out[channel][status] = n
    return dict(out)

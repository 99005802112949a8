"""E-mail addresses confirm that they want the digests (double opt-in), so markwatch relays no mail.

A watchlist's owner names who receives its alerts, and owners and subscribers type the addresses. A
digest carries text the owner chose (watchlist and brand names), so without a check the server would
mail an owner's text to any address. An address is therefore confirmed once per organisation:

1. Setting an address through the API records it for the subscriber organisation, unconfirmed.
2. The next delivery pass sends that address one short confirmation e-mail with a link (no tenant's
   text in it: the subscriber organisation's name, which the operator created, and the link). Digests
   for it wait in the outbox; waiting is not a failed attempt.
3. The link opens a page on ``public_url`` with a button; pressing it (a POST, so that a mail
   scanner fetching the link confirms nothing) confirms the address, and the waiting digests go.

Setting the same address again sends a new link (the old one stops working). Addresses in the
operator's watchlist files are confirmed as they are imported; addresses in use before this check
existed were kept as confirmed by the migration.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from markwatch.store.tables import EmailAddress

if TYPE_CHECKING:  # pragma: no cover
    from markwatch.config import Settings

CONFIRM_PATH = "/confirm-email"


def normal_address(email: str) -> str:
    return email.strip().lower()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _now() -> datetime:
    return datetime.now(timezone.utc)


def address_row(s: Session, organisation_id: int, email: str) -> EmailAddress | None:
    return s.scalar(select(EmailAddress).where(EmailAddress.organisation_id == organisation_id,
                                               EmailAddress.address == normal_address(email)))


def is_confirmed(s: Session, organisation_id: int, email: str) -> bool:
    row = address_row(s, organisation_id, email)
    return row is not None and row.confirmed_at is not None


def _row(s: Session, organisation_id: int, email: str) -> EmailAddress:
    row = address_row(s, organisation_id, email)
    if row is None:
        row = EmailAddress(organisation_id=organisation_id, address=normal_address(email))
        s.add(row)
        s.flush()
    return row


def request_confirmation(s: Session, organisation_id: int, email: str) -> EmailAddress:
    """An address set through the API: recorded, and (unless confirmed already) a new link is due,
    sent by the next delivery pass."""
    row = _row(s, organisation_id, email)
    if row.confirmed_at is None:
        row.token_hash, row.requested_at = None, None
    return row


def trust(s: Session, organisation_id: int, email: str) -> EmailAddress:
    """An address from the operator (a watchlist file): confirmed as it is."""
    row = _row(s, organisation_id, email)
    if row.confirmed_at is None:
        row.confirmed_at, row.token_hash = _now(), None
    return row


def issue_token(row: EmailAddress, now: datetime | None = None) -> str:
    """A new link token for `row` (the previous one stops working); only its hash is stored."""
    token = secrets.token_urlsafe(32)
    row.token_hash, row.requested_at = _hash(token), now or _now()
    return token


def confirm(s: Session, token: str) -> EmailAddress | None:
    """Confirm the address whose link carries `token`; None for an unknown or used token."""
    if not token or len(token) > 200:
        return None
    row = s.scalar(select(EmailAddress).where(EmailAddress.token_hash == _hash(token)))
    if row is None:
        return None
    row.confirmed_at, row.token_hash = _now(), None
    return row


def confirmation_link(settings: Settings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}{CONFIRM_PATH}?token={token}"


def compose_confirmation(settings: Settings, to: str, organisation: str, token: str) -> EmailMessage:
    """The confirmation e-mail: fixed text, the subscriber organisation's name and the link."""
    link = confirmation_link(settings, token)
    msg = EmailMessage()
    msg["Subject"] = "【商标预警】请确认接收预警邮件的地址"
    msg["From"] = formataddr(("markwatch 商标监测", settings.smtp_sender))
    msg["To"] = to
    msg["Message-ID"] = make_msgid(domain=settings.smtp_sender.split("@")[-1] or "markwatch")
    org = " ".join(organisation.split())
    msg.set_content(
        f"您好：\n\n商标监测服务 markwatch 将把「{org}」订阅的商标预警发送到本邮箱（{to}）。\n"
        f"如同意接收，请打开下面的链接并点击“确认”：\n\n{link}\n\n"
        "确认之前，本邮箱不会收到任何预警。如果您不了解此事，请忽略本邮件。\n\n"
        f"markwatch will send the trademark alerts subscribed by {org} to {to}. To agree, open the link "
        "above and press the button. Until then this address receives nothing; if this is unexpected, "
        "ignore this message.\n")
    return msg

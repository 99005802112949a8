"""Organisations (单位) and their API tokens.

A token is shown once, when made; the database keeps only HMAC-SHA256(pepper, token). Tokens are 256
random bits, so a keyed fast hash is enough (there is nothing to guess by brute force) and it lets the
lookup use the unique index on ``token_hash``; the final check is a constant-time comparison.
A token may carry an expiry (``token_expires_at``); revoking one clears the hash, so nothing matches it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection, bindparam, select
from sqlalchemy.orm import Session

from markwatch.errors import Conflict, MarkwatchError, NotFound
from markwatch.model import ORG_KINDS
from markwatch.store.tables import Organisation

TOKEN_PREFIX = "mw_"
HASH_SCHEME = "hmac-sha256:"


@dataclass(frozen=True)
class Principal:
    """The organisation an API call is made as."""

    id: int
    name: str
    kind: str

    @property
    def is_admin(self) -> bool:
        return self.kind == "admin"


# Whoever runs the command line on the server: sees and may change everything, as an admin may.
OPERATOR = Principal(id=0, name="operator", kind="admin")


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str, pepper: str = "") -> str:
    digest = hmac.new(pepper.encode("utf-8"), token.encode("utf-8"), hashlib.sha256).hexdigest()
    return HASH_SCHEME + digest


def principal_of(org: Organisation) -> Principal:
    return Principal(id=org.id, name=org.name, kind=org.kind)


# Every API call looks its token up: a Core statement built once (its cache key too) of the columns a
# Principal needs, rather than an ORM object, costs a quarter as much.
_BY_TOKEN_HASH = select(Organisation.id, Organisation.name, Organisation.kind, Organisation.token_hash,
                        Organisation.token_expires_at).where(Organisation.token_hash == bindparam("wanted"))


def authenticate(s: Session | Connection, token: str | None, pepper: str = "") -> Principal | None:
    """The organisation holding ``token``, or None."""
    if not token or len(token) > 200:
        return None
    wanted = hash_token(token, pepper)
    org = s.execute(_BY_TOKEN_HASH, {"wanted": wanted}).first()
    if org is None or org.token_hash is None or not hmac.compare_digest(org.token_hash, wanted):
        return None
    if org.token_expires_at is not None and _utc(org.token_expires_at) <= datetime.now(timezone.utc):
        return None
    return Principal(id=org.id, name=org.name, kind=org.kind)


def _utc(dt: datetime) -> datetime:
    # SQLite hands back naive datetimes; they were stored in UTC
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=timezone.utc)


def _issue(org: Organisation, pepper: str, expires_days: int | None) -> str:
    """A new token for ``org``; the previous one, if any, stops working."""
    if expires_days is not None and expires_days < 1:
        raise MarkwatchError("--expires-days must be at least 1")
    token = new_token()
    org.token_hash = hash_token(token, pepper)
    org.token_expires_at = (datetime.now(timezone.utc) + timedelta(days=expires_days)
                            if expires_days is not None else None)
    return token


def _check_kind(kind: str) -> None:
    if kind not in ORG_KINDS:
        raise MarkwatchError(f"unknown organisation kind {kind!r}; use one of {', '.join(ORG_KINDS)}")


def create_org(s: Session, name: str, kind: str, pepper: str = "",
               expires_days: int | None = None) -> tuple[Organisation, str]:
    """A new organisation with a new token; an organisation that exists without a token (made by a
    watchlist import) gets its token here."""
    _check_kind(kind)
    name = name.strip()
    if not name:
        raise MarkwatchError("an organisation needs a name")
    org = s.scalar(select(Organisation).where(Organisation.name == name))
    if org is not None and org.token_hash is not None:
        raise Conflict(f"organisation {name!r} already exists; use `markwatch org token {name}` for a new token")
    if org is None:
        org = Organisation(name=name, kind=kind)
        s.add(org)
    org.kind = kind
    token = _issue(org, pepper, expires_days)
    s.flush()
    return org, token


def _named(s: Session, name: str) -> Organisation:
    org = s.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        raise NotFound(f"no organisation named {name!r}; create it with `markwatch org create`")
    return org


def named_org(s: Session, name: str) -> Organisation:
    """The organisation of that name; NotFound naming the command that creates it."""
    return _named(s, name)


def rotate_token(s: Session, name: str, pepper: str = "", expires_days: int | None = None) -> str:
    return _issue(_named(s, name), pepper, expires_days)


def revoke_token(s: Session, name: str) -> bool:
    """Cut the organisation's token off; its data stays. False when it had no token."""
    org = _named(s, name)
    had = org.token_hash is not None
    org.token_hash, org.token_expires_at = None, None
    return had


def list_orgs(s: Session) -> list[dict]:
    from markwatch.store.rows import iso

    return [{"id": o.id, "name": o.name, "kind": o.kind, "has_token": o.token_hash is not None,
             "token_expires_at": iso(o.token_expires_at), "created_at": iso(o.created_at)}
            for o in s.scalars(select(Organisation).order_by(Organisation.id))]

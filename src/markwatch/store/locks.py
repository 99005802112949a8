"""Database leases (锁): one holder at a time per name, across threads, processes and machines.

A lease is a row in ``locks``. Taking it is an INSERT (the name is the primary key, so only one of
two racing inserts succeeds) or, when the row exists, an UPDATE that only matches a free or expired
row, so the database decides who wins on SQLite and PostgreSQL alike. A holder that dies leaves a
row that expires after the lease; a live holder renews it from a heartbeat thread.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from datetime import datetime, timedelta, timezone
from types import TracebackType

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from markwatch.store.db import Database, rows_changed
from markwatch.store.tables import Lock

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def holder_name() -> str:
    """host:pid:random, so a lease is recognisable in the table and never mistaken for another's."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _dead_local_owner(owner: str) -> bool:
    """Whether a holder name points at a process of this machine that no longer exists."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class DbLock:
    """A named lease. ``acquire()`` returns False at once when another holder has it."""

    def __init__(self, db: Database, name: str, *, lease_seconds: float = 900.0, owner: str | None = None):
        self.db = db
        self.name = name
        self.lease = timedelta(seconds=lease_seconds)
        self.owner = owner or holder_name()
        self.held = False
        # Set when the last acquire() failed because the database itself was busy (SQLite: another
        # writer past busy_timeout), not because another holder has the lease: worth a retry soon.
        self.busy = False
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    def acquire(self) -> bool:
        now = _now()
        self.busy = False
        try:
            with self.db.session() as s:
                s.add(Lock(name=self.name, owner=self.owner, acquired_at=now, expires_at=now + self.lease))
            self.held = True
        except OperationalError:  # SQLite: another writer kept the database busy past busy_timeout
            log.warning("lease %s: database busy, not acquired", self.name)
            self.held, self.busy = False, True
        except IntegrityError:
            # the row exists: take it over only if it is free (expired), already ours, or left by a
            # process of this machine that is gone (killed: it could not release it)
            current = self.holder()
            takeable = [Lock.expires_at < now, Lock.owner == self.owner]
            if current is not None and _dead_local_owner(current["owner"]):
                takeable.append(Lock.owner == current["owner"])
            try:
                with self.db.session() as s:
                    res = s.execute(
                        update(Lock)
                        .where(Lock.name == self.name, or_(*takeable))
                        .values(owner=self.owner, acquired_at=now, expires_at=now + self.lease)
                    )
                    self.held = rows_changed(res) == 1
            except OperationalError:  # SQLite: the other writer kept the database busy past busy_timeout
                self.held, self.busy = False, True
        if self.held:
            self._start_heartbeat()
        return self.held

    def renew(self) -> bool:
        """Push the expiry forward; False if the lease was lost (expired and taken by another)."""
        with self.db.session() as s:
            res = s.execute(update(Lock).where(Lock.name == self.name, Lock.owner == self.owner)
                            .values(expires_at=_now() + self.lease))
            return rows_changed(res) == 1

    def release(self) -> None:
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(timeout=5)
            self._heartbeat = None
        if self.held:
            with self.db.session() as s:
                s.execute(delete(Lock).where(Lock.name == self.name, Lock.owner == self.owner))
            self.held = False

    def holder(self) -> dict | None:
        with self.db.session() as s:
            row = s.scalar(select(Lock).where(Lock.name == self.name))
            if row is None:
                return None
            return {"name": row.name, "owner": row.owner, "acquired_at": row.acquired_at,
                    "expires_at": row.expires_at}

    def _start_heartbeat(self) -> None:
        self._stop.clear()
        interval = max(self.lease.total_seconds() / 3, 0.05)

        def beat() -> None:
            while not self._stop.wait(interval):
                try:
                    if not self.renew():
                        return
                except Exception:
                    log.warning("lease %s: renewal failed, retrying", self.name, exc_info=True)

        self._heartbeat = threading.Thread(target=beat, name=f"lock-{self.name}", daemon=True)
        self._heartbeat.start()

    def __enter__(self) -> DbLock:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()

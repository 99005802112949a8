"""The database handle: one engine built at start-up, schema brought to head by Alembic."""

from __future__ import annotations

import functools
import json
import os
import re
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from json.encoder import encode_basestring_ascii
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import CursorResult, Engine, Result
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from markwatch.errors import ConfigError

MIGRATIONS = Path(__file__).parent / "migrations"

# json.dumps with its default arguments, without building an encoder for every call (it does): the
# same text for every value, ~5× faster on the small lists and forms every gazette row holds six of.
_make_encoder: Any = getattr(json.encoder, "c_make_encoder", None)
_ENCODE = _make_encoder(None, json.JSONEncoder().default, encode_basestring_ascii, None, ": ", ", ",
                        False, False, True) if _make_encoder is not None else None


def json_dumps(value: Any) -> str:
    """`json.dumps(value)`, character for character (JSON columns are written with it)."""
    if _ENCODE is None:  # pragma: no cover  (CPython has the C encoder)
        return json.dumps(value)
    return "".join(_ENCODE(value, 0))


# Alembic's command API keeps its context in module globals: one migration at a time per process.
_MIGRATE_LOCK = threading.Lock()


class Database:
    def __init__(self, url: str, *, migrate: bool = True, echo: bool = False, create_folder: bool = True):
        """`create_folder`: make the folder of a SQLite file when it is missing; otherwise such a URL is
        refused with a ConfigError saying so."""
        self.url = url
        folder = sqlite_folder(url)
        if folder is not None and not folder.is_dir():
            if not create_folder:
                raise ConfigError(
                    f"the folder {str(folder)!r} of the SQLite database {url!r} does not exist: create it "
                    f"(mkdir -p {folder}) or correct MARKWATCH_DATABASE_URL (数据库所在文件夹不存在)")
            folder.mkdir(parents=True, exist_ok=True)
        try:
            # A server's connections can drop (a restart, an idle timeout) and are pinged before use; a
            # SQLite file's cannot, and the ping is a query more on every session of a busy API.
            self.engine: Engine = create_engine(url, echo=echo, future=True,
                                                pool_pre_ping=not url.startswith("sqlite"),
                                                json_serializer=json_dumps)
        except Exception as exc:
            raise ConfigError(
                f"cannot open database {url!r}: {exc}. Set MARKWATCH_DATABASE_URL to a valid SQLAlchemy URL "
                "(PostgreSQL needs `pip install 'markwatch[postgres]'`)."
            ) from exc
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_pragmas)
        # Connections are closed when the process ends, however it ends (`cli.exit.leave` skips the
        # freeing of objects): SQLite folds its write-ahead log into the file on the last close, so
        # the database file alone (a copy, a backup) holds every commit.
        weakref.finalize(self, _close_at_exit, self.engine, os.getpid())
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        if migrate:
            self.migrate()

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def migrate(self) -> None:
        """Bring the schema to head. A database already at head (every command after the first) is
        told by one query, without loading Alembic."""
        head = head_revision()
        if head is not None and self._current_revisions() == [head]:
            return
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with _MIGRATE_LOCK, self.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")

    def _current_revisions(self) -> list[str] | None:
        """The revisions Alembic recorded in the database; None when it has none (a new database)."""
        try:
            with self.engine.connect() as conn:
                rows = conn.exec_driver_sql("SELECT version_num FROM alembic_version").fetchall()
        except DBAPIError:
            return None
        return sorted(str(r[0]) for r in rows)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on error."""
        s = self.sessions()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    def dispose(self) -> None:
        self.engine.dispose()


def _close_at_exit(engine: Engine, pid: int) -> None:
    if os.getpid() == pid:  # a forked child leaves its parent's connections alone
        engine.dispose()


_REVISION = re.compile(r"^revision\s*=\s*['\"]([^'\"]+)['\"]\s*$", re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*=\s*(?:['\"]([^'\"]+)['\"]|None)\s*$", re.M)


@functools.lru_cache(maxsize=1)
def head_revision() -> str | None:
    """The one head of the migrations (the revision no other one revises), read from their files;
    None when that cannot be told this simply (a merge, an unusual file): Alembic decides then."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        revision, down = _REVISION.findall(text), _DOWN_REVISION.findall(text)
        if len(revision) != 1 or len(down) != 1:
            return None
        revisions.add(revision[0])
        if down[0]:
            parents.add(down[0])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def sqlite_folder(url: str) -> Path | None:
    """The folder of a SQLite file URL (sqlite:///var/x.db → var); None for other databases and :memory:."""
    if not url.startswith("sqlite:///"):
        return None
    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    return Path(path).parent


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def rows_changed(result: Result) -> int:
    """How many rows an UPDATE or DELETE touched (0 where the driver cannot tell)."""
    return result.rowcount or 0 if isinstance(result, CursorResult) else 0

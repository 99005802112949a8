"""One base error class; every message says what happened and what to do next."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit


class MarkwatchError(Exception):
    """Base class of every error markwatch raises on purpose."""


class RecordError(MarkwatchError):
    """One input record is unusable; it is quarantined with this reason, the file goes on."""


class FileFormatError(MarkwatchError):
    """A whole input file cannot be read (unknown format, undecodable, not XML...)."""


class ConfigError(MarkwatchError):
    """Settings are missing or invalid."""


class DatabaseBusy(MarkwatchError):
    """The database stayed locked by another writer past its busy timeout (SQLite)."""

    def __init__(self, detail: str = ""):
        super().__init__("the database is busy (another writer holds it: an import, a backup, a sqlite3 "
                         f"shell){': ' + detail if detail else ''}; try again in a few minutes")


class NotFound(MarkwatchError):
    """An object does not exist, or is not visible to the caller."""


class Forbidden(MarkwatchError):
    """The caller sees the object but may not do this to it (e.g. a subscriber editing a watchlist)."""


class Conflict(MarkwatchError):
    """The request clashes with the object's state (a disallowed status move, a duplicate name)."""


class MissingExtra(MarkwatchError):
    """An optional dependency is not installed."""

    def __init__(self, feature: str, extra: str, package: str):
        super().__init__(
            f"{feature} needs the optional package {package!r}: install it with "
            f"`pip install 'markwatch[{extra}]'`"
        )
        self.extra = extra


# a URL ends before the punctuation that follows it in a message ("<url>: ConnectError", "<url>, …")
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]*[^\s'\"<>:;,.)]")


def redact_urls(text: str | None) -> str | None:
    """``text`` with every URL cut down to scheme, host, port and path.

    Source URLs often carry credentials (``user:pw@``, ``?api_key=``, ``#token``), and error texts
    that name them are stored and shown; the host and path are enough to see which source failed.
    """
    if not text:
        return text
    return _URL.sub(_redact_url, text)


def redact_error(text: str | None) -> str | None:
    """An error text fit for a log line or a stored row: URLs as in `redact_urls`, and the bound
    values of a database statement (SQLAlchemy's ``[parameters: …]`` line, which may hold secrets,
    tokens' hashes or tenants' data) left out; the statement itself stays, it shows what failed."""
    if not text:
        return text
    lines = [_PARAMETERS_LINE if line.lstrip().startswith("[parameters:") else line for line in text.split("\n")]
    return redact_urls("\n".join(lines))


_PARAMETERS_LINE = "[parameters: …]"


def redacted_traceback(exc: BaseException) -> str:
    """The traceback of `exc` as text, redacted like `redact_error` (for logging a crash)."""
    import traceback

    return redact_error("".join(traceback.format_exception(exc))) or ""


def _redact_url(m: re.Match) -> str:
    try:
        parts = urlsplit(m.group(0))
        host = parts.hostname or ""
        if ":" in host:  # IPv6
            host = f"[{host}]"
        netloc = f"{host}:{parts.port}" if parts.port is not None else host
    except ValueError:  # not parseable as a URL (a bad port, a stray bracket): keep only the scheme
        return m.group(0).split("://", 1)[0] + "://…"
    redacted = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    return redacted + ("?…" if parts.query else "")
class Unavailable(MarkwatchError):
    """Something a call needs is not there yet (the register index before its first build); retry later."""

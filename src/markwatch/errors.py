"""One base error class; every message says what happened and what to do next."""


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

"""Typed settings, read once from the environment (and an optional TOML file) and passed down."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timezone
from pathlib import Path

import tomllib

from markwatch.errors import ConfigError

ENV_PREFIX = "MARKWATCH_"


@dataclass(frozen=True)
class Settings:
    database_url: str = "sqlite:///var/markwatch.db"
    index_dir: Path = Path("indexes")
    export_dir: Path = Path("exports")
    # Mark images and brand logos, named by their content hash (the database keeps references)
    image_dir: Path = Path("var/images")
    timezone: str = "Asia/Shanghai"
    # Batch sizes: records per ingest transaction, gazette marks per run chunk
    ingest_batch: int = 2000
    run_chunk: int = 20000
    # Link of an alert to its gazette page: a template with {img_dir} {file_id} {issue} {page}
    # {application_no}, e.g. "https://gazette.example.cn{img_dir}"; empty: only an image path that is a URL
    gazette_page_url: str = ""
    # A TrueType font with Chinese for the opposition pack's PDF; empty: the Debian fonts found
    pdf_font: str = ""
    # Reminders of each calendar feed event, in days before the deadline
    calendar_reminder_days: tuple[int, ...] = (7, 1)
    # Matching
    default_threshold: float = 0.62
    embedding_model_path: str | None = None
    # Scheduler and sources
    schedule_cron: str = "0 2 * * *"
    drop_folder: Path | None = None
    source_urls: tuple[str, ...] = ()
    http_timeout: float = 30.0
    download_dir: Path = Path("var/downloads")
    max_download_bytes: int = 1 << 30
    # Host names or CIDR ranges outbound requests may reach although they are internal (see outbound.py),
    # e.g. "127.0.0.1/32,hooks.internal"; empty: only public addresses.
    outbound_allow: tuple[str, ...] = ()
    misfire_grace_seconds: int = 6 * 3600
    lock_lease_seconds: float = 900.0
    # Delivery
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_tls: str = "none"  # none | starttls | ssl
    smtp_sender: str = "markwatch@localhost"
    smtp_timeout: float = 30.0
    webhook_secret: str = "change-me"
    webhook_timeout: float = 10.0
    delivery_max_attempts: int = 8
    delivery_backoff_seconds: float = 60.0
    delivery_backoff_max_seconds: float = 6 * 3600.0
    # API request bodies: the brand import route takes a table of up to 20 MiB, every other route far less
    max_body_bytes: int = 1 << 20
    max_import_bytes: int = 21 << 20
    # Compare/search per API token: calls per minute (0 = no limit) after a burst, then at most
    # tool_concurrency running at once and tool_queue waiting (503 beyond), so they cannot take every
    # server thread from the other endpoints.
    tool_rate_per_minute: float = 60.0
    tool_rate_burst: int = 20
    tool_concurrency: int = 2
    tool_queue: int = 8
    # API tokens are stored as HMAC-SHA256(pepper, token); changing the pepper invalidates every token.
    token_pepper: str = ""
    extra: dict = field(default_factory=dict)

    def today(self, now: datetime | None = None) -> date:
        """The calendar day in the configured time zone, not the process's: days left to an opposition
        deadline count in Beijing time whatever zone the server runs in. `now` must be aware."""
        from zoneinfo import ZoneInfo

        return (now or datetime.now(timezone.utc)).astimezone(ZoneInfo(self.timezone)).date()

    @classmethod
    def load(cls, env: dict[str, str] | None = None, config_file: Path | None = None) -> Settings:
        """Defaults, then a TOML file (MARKWATCH_CONFIG or markwatch.toml), then MARKWATCH_* variables."""
        env = dict(os.environ if env is None else env)
        values: dict = {}
        path = config_file or (Path(env["MARKWATCH_CONFIG"]) if env.get("MARKWATCH_CONFIG") else None)
        if path is None and Path("markwatch.toml").exists():
            path = Path("markwatch.toml")
        if path is not None:
            try:
                values.update(tomllib.loads(path.read_text(encoding="utf-8")))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ConfigError(f"cannot read config file {path}: {exc}") from exc
        for f in fields(cls):
            key = ENV_PREFIX + f.name.upper()
            if key in env and env[key] != "":
                values[f.name] = env[key]
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")
        return cls(**{k: _coerce(cls, k, v) for k, v in values.items()})


def _coerce(cls, name: str, value):
    default = getattr(cls(), name) if name != "extra" else {}
    typ = type(default)
    try:
        if name in ("index_dir", "export_dir", "drop_folder", "download_dir", "image_dir"):
            return Path(value) if value is not None else None
        if name in ("source_urls", "outbound_allow"):
            return tuple(value) if isinstance(value, list) else tuple(u for u in str(value).split(",") if u)
        if name == "calendar_reminder_days":
            items = value if isinstance(value, (list, tuple)) else [v for v in str(value).split(",") if v.strip()]
            return tuple(int(v) for v in items)
        if isinstance(default, bool):
            return str(value).lower() in ("1", "true", "yes")
        if typ in (int, float):
            return typ(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"setting {name}: cannot read {value!r} as {typ.__name__}") from exc
    return value

"""Typed settings, read once from the environment (and an optional TOML file) and passed down."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from datetime import date, datetime, timezone
from pathlib import Path

import tomllib

from markwatch.errors import ConfigError

ENV_PREFIX = "MARKWATCH_"
# The shipped value of `webhook_secret`: everybody knows it, so nothing is signed with it.
DEFAULT_WEBHOOK_SECRET = "change-me"
SMTP_TLS_MODES = ("none", "starttls", "ssl")
# The default database sits in markwatch's own folder var/, made on first use; a folder named in any
# other URL must exist (a typo must not leave a stray folder and an empty database behind).
DEFAULT_DATABASE_URL = "sqlite:///var/markwatch.db"


@dataclass(frozen=True)
class Settings:
    # Secrets are left out of repr(), so that no log line or traceback shows them: the passwords,
    # the signing secret, the pepper, and the URLs that may carry credentials (database, sources).
    database_url: str = field(default=DEFAULT_DATABASE_URL, repr=False)
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
    goods_notes_path: str | None = None  # JSON lines of the 区分表's notes (goods.notes); none shipped
    # How many stored marks contain each word (`markwatch words build`): a word in very many marks is weak
    word_counts_path: str | None = None
    # How the matcher combines its findings: "rules" (strongest + agreement bonus) or "learned"
    # (the shipped logistic model, matching/combination.py, the default: see docs/QUALITY.md)
    combination: str = "learned"
    # Scheduler and sources
    schedule_cron: str = "0 2 * * *"
    drop_folder: Path | None = None
    source_urls: tuple[str, ...] = field(default=(), repr=False)
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
    smtp_password: str | None = field(default=None, repr=False)
    smtp_tls: str = "none"  # none | starttls | ssl
    # A login over a connection without TLS sends the password in clear: refused unless opted in.
    smtp_allow_plain_login: bool = False
    smtp_sender: str = "markwatch@localhost"
    smtp_timeout: float = 30.0
    # Where people reach `markwatch serve` (behind its proxy): the base of the address confirmation links.
    public_url: str = "http://127.0.0.1:8000"
    # Signs the webhooks of subscriptions without a secret of their own; nothing is signed with the default.
    webhook_secret: str = field(default=DEFAULT_WEBHOOK_SECRET, repr=False)
    webhook_timeout: float = 10.0
    delivery_max_attempts: int = 8
    delivery_backoff_seconds: float = 60.0
    delivery_backoff_max_seconds: float = 6 * 3600.0
    # The scheduler's own delivery pass (retries, alerts of manual runs) every so many minutes; 0: only
    # the nightly cycle delivers.
    delivery_interval_minutes: float = 5.0
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
    token_pepper: str = field(default="", repr=False)
    extra: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.combination not in ("rules", "learned"):
            raise ConfigError(f"combination must be rules or learned (got {self.combination!r})")
        if self.smtp_tls not in SMTP_TLS_MODES:
            raise ConfigError(f"smtp_tls must be none, starttls or ssl (got {self.smtp_tls!r})")
        if self.smtp_user and self.smtp_tls == "none" and not self.smtp_allow_plain_login:
            raise ConfigError("smtp_user is set but smtp_tls is none: the SMTP password would travel in clear. "
                              "Set smtp_tls to starttls or ssl (MARKWATCH_SMTP_TLS), or, for a server on a "
                              "trusted link only, smtp_allow_plain_login = true (MARKWATCH_SMTP_ALLOW_PLAIN_LOGIN)")
        if self.delivery_interval_minutes < 0:
            raise ConfigError("delivery_interval_minutes must be 0 (off) or more "
                              f"(got {self.delivery_interval_minutes!r})")

    def default_webhook_secret(self) -> bool:
        """Whether `webhook_secret` is still the shipped (public) value, or empty."""
        return not self.webhook_secret or self.webhook_secret == DEFAULT_WEBHOOK_SECRET

    def startup_problems(self) -> list[str]:
        """Settings that work but must not stay as they are; logged as errors when serve/schedule start."""
        problems = []
        if self.default_webhook_secret():
            problems.append("webhook_secret is the default 'change-me' (or empty): webhooks of subscriptions "
                            "without their own secret are not sent until MARKWATCH_WEBHOOK_SECRET is set "
                            "to a long random string")
        return problems

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

"""SQLAlchemy tables. SQLite by default, PostgreSQL supported; the schema is created by Alembic migrations."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates

from markwatch.errors import redact_error


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Base(DeclarativeBase):
    pass


def core_table(model: type[Base]) -> Table:
    """The Core table of a mapped class, for bulk statements that need no ORM objects."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


class Organisation(Base):
    """A guidance station (商标品牌指导站), a regional brand association, or an admin."""

    __tablename__ = "organisations"
    __table_args__ = (Index("ix_org_calendar_token", "calendar_token_hash", unique=True),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="station")
    token_hash: Mapped[str | None] = mapped_column(String(128), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))  # None: no expiry
    # the deadline calendar feed has its own token (it travels in a URL): HMAC like token_hash
    calendar_token_hash: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Watchlist(Base):
    __tablename__ = "watchlists"
    __table_args__ = (UniqueConstraint("organisation_id", "name", name="uq_watchlist_org_name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    description: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    brands: Mapped[list[BrandRow]] = relationship(back_populates="watchlist", cascade="all, delete-orphan")
    subscriptions: Mapped[list[Subscription]] = relationship(
        back_populates="watchlist", cascade="all, delete-orphan"
    )


class Subscription(Base):
    """An organisation that receives a watchlist's alerts, by e-mail and/or webhook."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("watchlist_id", "organisation_id", name="uq_subscription"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    email: Mapped[str | None] = mapped_column(String(300))
    webhook: Mapped[str | None] = mapped_column(String(1000))
    webhook_secret: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    watchlist: Mapped[Watchlist] = relationship(back_populates="subscriptions")
    organisation: Mapped[Organisation] = relationship()


class EmailAddress(Base):
    """An e-mail address an organisation receives digests at, and whether the address has agreed to.

    Digests go only to confirmed addresses: the first time an address is set through the API, markwatch
    sends it a confirmation link (``token_hash`` is the SHA-256 of the link's token, ``requested_at``
    when it was sent) and waits for ``confirmed_at``. Addresses from the operator's watchlist files are
    confirmed as they are imported.
    """

    __tablename__ = "email_addresses"
    __table_args__ = (UniqueConstraint("organisation_id", "address", name="uq_email_address"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    address: Mapped[str] = mapped_column(String(300))  # stripped, lower case
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    requested_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    organisation: Mapped[Organisation] = relationship()


class BrandRow(Base):
    """A watched brand (重点商标). `matched_through` is the highest gazette mark id already compared."""

    __tablename__ = "brands"
    __table_args__ = (UniqueConstraint("watchlist_id", "brand_id", name="uq_brand_in_watchlist"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id", ondelete="CASCADE"))
    brand_id: Mapped[str] = mapped_column(String(100))
    mark: Mapped[str] = mapped_column(String(500))
    aliases: Mapped[list] = mapped_column(JSON, default=list)
    classes: Mapped[list] = mapped_column(JSON, default=list)
    similar_groups: Mapped[list] = mapped_column(JSON, default=list)
    owner: Mapped[str | None] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(40), default="enterprise")
    key: Mapped[bool] = mapped_column(Boolean, default=False)
    well_known: Mapped[bool] = mapped_column(Boolean, default=False)
    threshold: Mapped[float | None] = mapped_column(Float)
    exclude_applicants: Mapped[list] = mapped_column(JSON, default=list)
    exclude_words: Mapped[list] = mapped_column(JSON, default=list)
    # the logo: the reference as written, the stored file's hash and name in the image folder, the
    # features' key (hash, and for a PDF the region); see markwatch.images.refs
    logo_ref: Mapped[str | None] = mapped_column(Text)
    logo_sha256: Mapped[str | None] = mapped_column(String(64))
    logo_file: Mapped[str | None] = mapped_column(String(200))
    logo_key: Mapped[str | None] = mapped_column(String(200))
    vienna_codes: Mapped[list | None] = mapped_column(JSON, default=list)
    # where a brand came from when it was imported from a key-trademark protection list (重点商标保护名录)
    registration_no: Mapped[str | None] = mapped_column(String(40))
    protection_list: Mapped[str | None] = mapped_column(String(200))
    protection_year: Mapped[int | None] = mapped_column(Integer)
    matched_through: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    watchlist: Mapped[Watchlist] = relationship(back_populates="brands")


class IngestedFile(Base):
    """One input file and its accounting: read = stored + duplicates + quarantined + skipped."""

    __tablename__ = "ingested_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(2000))
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    format: Mapped[str | None] = mapped_column(String(20))
    encoding: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="started")  # started | done | failed
    records_read: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    # records read but not watched (another announcement type, a Madrid record not designating China)
    skipped: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    skipped_reasons: Mapped[dict | None] = mapped_column(JSON)  # reason → count
    checkpoint: Mapped[int] = mapped_column(Integer, default=0)  # items fully accounted for
    error: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class GazetteMark(Base):
    """A mark published in a 初步审定公告; unique on office + application number + gazette issue."""

    __tablename__ = "gazette_marks"
    __table_args__ = (
        UniqueConstraint("office", "application_no", "issue_key", name="uq_gazette_identity"),
        Index("ix_gazette_publication", "publication_date"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    office: Mapped[str] = mapped_column(String(8), default="CN")
    application_no: Mapped[str] = mapped_column(String(40))
    issue_key: Mapped[str] = mapped_column(String(40), default="")
    mark: Mapped[str] = mapped_column(Text, default="")
    classes: Mapped[list] = mapped_column(JSON, default=list)
    goods: Mapped[list] = mapped_column(JSON, default=list)
    similar_groups: Mapped[list] = mapped_column(JSON, default=list)
    applicant: Mapped[str | None] = mapped_column(Text)
    applicant_address: Mapped[str | None] = mapped_column(Text)
    agent: Mapped[str | None] = mapped_column(Text)  # 代理机构
    filing_date: Mapped[date | None] = mapped_column(Date)
    publication_date: Mapped[date | None] = mapped_column(Date)
    gazette_issue: Mapped[str | None] = mapped_column(String(40))
    mark_type: Mapped[str] = mapped_column(String(20), default="word")
    # where the mark stands in its gazette: page, the issue's page count, the site's row and file ids
    page_no: Mapped[int | None] = mapped_column(Integer)
    page_count: Mapped[int | None] = mapped_column(Integer)
    refs: Mapped[dict | None] = mapped_column(JSON)
    # national (初步审定公告) or madrid (a designation of China published in the WIPO Gazette)
    procedure: Mapped[str] = mapped_column(String(20), default="national", server_default="national")
    international_registration_no: Mapped[str | None] = mapped_column(String(40))
    designation_date: Mapped[date | None] = mapped_column(Date)
    wipo_gazette: Mapped[str | None] = mapped_column(String(40))
    wipo_publication_date: Mapped[date | None] = mapped_column(Date)
    normal: Mapped[dict | None] = mapped_column(JSON)
    normaliser_version: Mapped[str | None] = mapped_column(String(20))
    file_id: Mapped[int | None] = mapped_column(ForeignKey("ingested_files.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # the mark's image (as BrandRow's logo) and its Vienna codes
    image_ref: Mapped[str | None] = mapped_column(Text)
    image_sha256: Mapped[str | None] = mapped_column(String(64))
    image_file: Mapped[str | None] = mapped_column(String(200))
    image_key: Mapped[str | None] = mapped_column(String(200))
    vienna_codes: Mapped[list | None] = mapped_column(JSON)


class ImageFeatures(Base):
    """What the image channel read from one picture, once (markwatch.images.features): keyed by the
    picture (content hash and region) and how many views were read (1 for a gazette mark, more for a
    logo); `error` when the picture could not be read."""

    __tablename__ = "image_features"
    __table_args__ = (PrimaryKeyConstraint("key", "views", name="pk_image_features"),)
    key: Mapped[str] = mapped_column(String(200))
    views: Mapped[int] = mapped_column(Integer)
    version: Mapped[str] = mapped_column(String(20))
    model: Mapped[str] = mapped_column(String(60))
    dim: Mapped[int] = mapped_column(Integer, default=0)
    vectors: Mapped[bytes | None] = mapped_column(LargeBinary)
    hashes: Mapped[list] = mapped_column(JSON, default=list)
    words: Mapped[list] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class QuarantinedRecord(Base):
    """A record set aside with its reason; kept raw so it can be fixed and re-ingested."""

    __tablename__ = "quarantine"
    __table_args__ = (UniqueConstraint("file_sha256", "locator", name="uq_quarantine_place"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int | None] = mapped_column(ForeignKey("ingested_files.id", ondelete="SET NULL"))
    file_sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(2000))
    locator: Mapped[str] = mapped_column(String(100))
    # the gazette issue and page the record claims, when they could be read (completeness report)
    issue_key: Mapped[str | None] = mapped_column(String(40))
    page_no: Mapped[int | None] = mapped_column(Integer)
    raw: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Run(Base):
    """One matching run (or scheduled pull + run) and what it did."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default="manual")  # manual | scheduled
    status: Mapped[str] = mapped_column(String(20), default="running")  # running | done | failed
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    files: Mapped[int] = mapped_column(Integer, default=0)
    marks_ingested: Mapped[int] = mapped_column(Integer, default=0)
    marks_matched: Mapped[int] = mapped_column(Integer, default=0)
    pairs_compared: Mapped[int] = mapped_column(Integer, default=0)
    alerts_new: Mapped[int] = mapped_column(Integer, default=0)
    alerts_total: Mapped[int] = mapped_column(Integer, default=0)
    # pairs not alerted again because the station dismissed the same mark with the same goods
    alerts_suppressed: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    engine: Mapped[str] = mapped_column(String(20), default="local")

    @validates("error")
    def _redact_error(self, _key: str, value: str | None) -> str | None:
        # every error text reaches the row through here: source URLs lose their credentials first,
        # database errors their bound parameters
        return redact_error(value)


class AlertRow(Base):
    """An early warning: unique per (brand, gazette mark), so re-running never duplicates."""

    __tablename__ = "alerts"
    __table_args__ = (
        UniqueConstraint("brand_pk", "gazette_mark_id", name="uq_alert_pair"),
        Index("ix_alert_watchlist", "watchlist_id"),
        Index("ix_alert_deadline", "opposition_deadline"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    brand_pk: Mapped[int] = mapped_column(ForeignKey("brands.id", ondelete="CASCADE"))
    gazette_mark_id: Mapped[int] = mapped_column(ForeignKey("gazette_marks.id", ondelete="CASCADE"))
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id", ondelete="CASCADE"))
    score: Mapped[float] = mapped_column(Float)
    severity: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    opposition_deadline: Mapped[date | None] = mapped_column(Date)
    deadline_note: Mapped[str | None] = mapped_column(Text)
    deadline_rule: Mapped[str | None] = mapped_column(String(40))  # deadline.RULES key
    deadline_calendar: Mapped[str | None] = mapped_column(String(20))  # official | operator | weekends-only
    status: Mapped[str] = mapped_column(String(30), default="new")
    status_comment: Mapped[str | None] = mapped_column(Text)
    status_by: Mapped[str | None] = mapped_column(String(200))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    brand: Mapped[BrandRow] = relationship()
    gazette_mark: Mapped[GazetteMark] = relationship()
    watchlist: Mapped[Watchlist] = relationship()


class AlertEvent(Base):
    """The review history of an alert: who moved it to which status, with what comment."""

    __tablename__ = "alert_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(30))
    comment: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AlertDismissal(Base):
    """A station's 已排除: the same brand and the same mark with the same goods do not alert again.

    Keyed by the brand's id in its watchlist (not the row, which a re-import may recreate) and the mark's
    application number and content fingerprint (``service.dismissals.mark_fingerprint``): a new record
    of the mark with other text or goods has another fingerprint and alerts again.
    """

    __tablename__ = "alert_dismissals"
    __table_args__ = (UniqueConstraint("watchlist_id", "brand_id", "office", "application_no", "fingerprint",
                                       name="uq_dismissal"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id", ondelete="CASCADE"))
    brand_id: Mapped[str] = mapped_column(String(100))
    office: Mapped[str] = mapped_column(String(8))
    application_no: Mapped[str] = mapped_column(String(40))
    fingerprint: Mapped[str] = mapped_column(String(64))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))
    actor: Mapped[str | None] = mapped_column(String(200))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class GazetteIssue(Base):
    """What has been read of one gazette issue's 初步审定 announcements: the pages seen (as [first, last]
    ranges) and the page count the issue declares (``anncPageNum``), for the completeness report."""

    __tablename__ = "gazette_issues"
    __table_args__ = (UniqueConstraint("office", "issue_key", name="uq_gazette_issue"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    office: Mapped[str] = mapped_column(String(8), default="CN")
    issue_key: Mapped[str] = mapped_column(String(40))
    publication_date: Mapped[date | None] = mapped_column(Date)
    page_count: Mapped[int | None] = mapped_column(Integer)
    pages: Mapped[list] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class HolidayCalendar(Base):
    """The State Council's holiday arrangement for one year (节假日安排), loaded by the operator for a year
    the calendar package does not cover: official holidays and the weekend days worked instead (调休)."""

    __tablename__ = "holiday_calendars"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holidays: Mapped[list] = mapped_column(JSON, default=list)  # ISO dates
    workdays: Mapped[list] = mapped_column(JSON, default=list)  # ISO dates
    names: Mapped[dict | None] = mapped_column(JSON)  # ISO date → festival name
    source: Mapped[str | None] = mapped_column(Text)  # the notice it was copied from
    path: Mapped[str | None] = mapped_column(String(2000))
    sha256: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class OutboxMessage(Base):
    """One alert to deliver to one subscriber target; retried with backoff until delivered."""

    __tablename__ = "outbox"
    __table_args__ = (UniqueConstraint("alert_id", "subscription_id", "channel", name="uq_outbox_target"),
                      Index("ix_outbox_due", "status", "next_attempt_at"))
    id: Mapped[int] = mapped_column(primary_key=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(10))  # webhook | email
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class SourceCheckpoint(Base):
    """What a configured gazette source has already handed over (file name, ETag, Last-Modified)."""

    __tablename__ = "source_checkpoints"
    __table_args__ = (UniqueConstraint("source", "item", name="uq_source_item"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(200))
    item: Mapped[str] = mapped_column(String(2000))
    etag: Mapped[str | None] = mapped_column(String(500))
    last_modified: Mapped[str | None] = mapped_column(String(100))
    sha256: Mapped[str | None] = mapped_column(String(64))
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class Lock(Base):
    """A named lease held by one process (the scheduler's run, a delivery pass); free once it expires.

    Taken with a plain INSERT, or an UPDATE that only matches a free or expired row, so it works on
    SQLite and PostgreSQL alike and across processes and machines sharing the database.
    """

    __tablename__ = "locks"
    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    owner: Mapped[str] = mapped_column(String(200))
    acquired_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

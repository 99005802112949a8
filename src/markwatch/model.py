"""Plain domain objects shared by every layer. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

MARK_TYPES = ("word", "figurative", "combined", "3d", "colour", "sound")
BRAND_KINDS = ("enterprise", "collective", "certification", "geographical_indication")
ORG_KINDS = ("station", "association", "admin")
SEVERITIES = ("high", "medium", "low")

Severity = Literal["high", "medium", "low"]


PROCEDURES = ("national", "madrid")


@dataclass(frozen=True)
class GazetteRecord:
    """One mark of a 初步审定公告 (preliminary approval announcement), or a Madrid designation of China
    (procedure "madrid": an international registration published in the WIPO Gazette, office WO)."""

    application_no: str
    mark: str
    classes: tuple[int, ...]
    goods: tuple[str, ...] = ()
    similar_groups: tuple[str, ...] = ()
    applicant: str | None = None
    applicant_address: str | None = None
    filing_date: date | None = None
    publication_date: date | None = None
    gazette_issue: str | None = None
    mark_type: str = "word"
    office: str = "CN"
    image: str | None = None  # the mark's image: a file path, a URL, or "page.pdf#page=N&box=x0,y0,x1,y1"
    vienna_codes: tuple[str, ...] = ()  # 图形要素编码 as "3.7.1"
    # where the mark stands in its gazette: page, the announcement's page count, the site's references
    # (row id, fileId, imgDir, announcement type, agent...) as (name, value) pairs
    page_no: int | None = None
    page_count: int | None = None
    refs: tuple[tuple[str, str], ...] = ()
    procedure: str = "national"
    international_registration_no: str | None = None
    designation_date: date | None = None
    wipo_gazette: str | None = None
    wipo_publication_date: date | None = None
    agent: str | None = None  # the trademark agency (代理机构) that filed it

    @property
    def issue_key(self) -> str:
        """The publication part of the identity: gazette issue, else publication date."""
        if self.gazette_issue:
            return self.gazette_issue
        return self.publication_date.isoformat() if self.publication_date else ""


@dataclass(frozen=True)
class Brand:
    """A watched mark (重点商标) on a watchlist."""

    brand_id: str
    mark: str
    classes: tuple[int, ...] = ()
    aliases: tuple[str, ...] = ()
    similar_groups: tuple[str, ...] = ()
    owner: str | None = None
    kind: str = "enterprise"
    key: bool = False
    well_known: bool = False
    threshold: float | None = None
    exclude_applicants: tuple[str, ...] = ()
    exclude_words: tuple[str, ...] = ()
    logo: str | None = None  # the brand's logo, referenced like a gazette record's image
    vienna_codes: tuple[str, ...] = ()
    # a brand imported from a key-trademark protection list (重点商标保护名录): its registration, the list
    registration_no: str | None = None
    protection_list: str | None = None
    protection_year: int | None = None


@dataclass(frozen=True)
class Subscriber:
    organisation: str
    email: str | None = None
    # a webhook URL often carries its receiver's token (?access_token=…): kept out of repr()
    webhook: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class WatchlistSpec:
    """A watchlist as read from a file: owner organisation, brands, subscribers."""

    name: str
    organisation: str
    organisation_kind: str = "station"
    description: str | None = None
    brands: tuple[Brand, ...] = ()
    subscribers: tuple[Subscriber, ...] = ()


@dataclass(frozen=True)
class Reason:
    """One piece of evidence, in words a clerk reads: kind + Chinese + English detail."""

    kind: str  # sound, look, meaning, contains, order, translation, pinyin, goods, exception...
    detail: str  # Chinese
    detail_en: str = ""
    score: float | None = None

    def as_dict(self) -> dict:
        out: dict[str, object] = {"kind": self.kind, "detail": self.detail, "detail_en": self.detail_en}
        if self.score is not None:
            out["score"] = round(self.score, 3)
        return out


@dataclass(frozen=True)
class Match:
    """The verdict of comparing one brand with one mark; a score always travels with its reasons."""

    score: float
    similar: bool
    severity: Severity | None
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    mark_score: float = 0.0
    goods_score: float = 0.0

    def as_dict(self) -> dict:
        return {
            "score": round(self.score, 4),
            "similar": self.similar,
            "severity": self.severity,
            "mark_score": round(self.mark_score, 4),
            "goods_score": round(self.goods_score, 4),
            "reasons": [r.as_dict() for r in self.reasons],
        }

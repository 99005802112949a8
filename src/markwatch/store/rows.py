"""Stored rows as the rest of the system reads them: brands as `Brand`, times as ISO 8601."""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import NamedTuple

from markwatch.model import Brand
from markwatch.store.tables import BrandRow, GazetteMark


def iso(dt: datetime | None) -> str | None:
    """ISO 8601 with the UTC offset (SQLite hands stored UTC times back without one)."""
    if dt is None:
        return None
    return (dt if dt.tzinfo is not None else dt.replace(tzinfo=timezone.utc)).isoformat()


def brand_from_row(row: BrandRow) -> Brand:
    return Brand(
        brand_id=row.brand_id, mark=row.mark, classes=tuple(row.classes or ()), aliases=tuple(row.aliases or ()),
        similar_groups=tuple(row.similar_groups or ()), owner=row.owner, kind=row.kind, key=row.key,
        well_known=row.well_known, threshold=row.threshold, exclude_applicants=tuple(row.exclude_applicants or ()),
        exclude_words=tuple(row.exclude_words or ()), logo=row.logo_ref, vienna_codes=tuple(row.vienna_codes or ()),
        registration_no=row.registration_no,
        protection_list=row.protection_list, protection_year=row.protection_year,
    )


class ScreenedMark(NamedTuple):
    """The columns of a gazette mark that screening and its alerts read: a run selects only these
    (no ORM objects, no addresses or page references decoded for nothing)."""

    id: int
    office: str
    application_no: str
    mark: str
    mark_type: str
    classes: list
    goods: list
    similar_groups: list
    applicant: str | None
    procedure: str
    publication_date: date | None
    wipo_publication_date: date | None
    normal: dict | None
    normaliser_version: str | None
    image_ref: str | None
    image_file: str | None
    image_key: str | None
    vienna_codes: list | None


SCREENED_COLUMNS = tuple(getattr(GazetteMark, name) for name in ScreenedMark._fields)

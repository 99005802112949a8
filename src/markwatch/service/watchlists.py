"""Watchlist use cases: import from files (upsert), and reading brands back."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from markwatch.model import Brand, WatchlistSpec
from markwatch.service.email_addresses import trust
from markwatch.store.db import Database
from markwatch.store.tables import BrandRow, Organisation, Subscription, Watchlist

if TYPE_CHECKING:
    from markwatch.service.pictures import Pictures

# Fields whose change means the brand must be compared again with the whole register.
MATCH_FIELDS = ("mark", "aliases", "classes", "similar_groups", "kind", "well_known", "threshold",
                "exclude_applicants", "exclude_words", "owner", "logo_key", "vienna_codes")


@dataclass
class ImportSummary:
    files: int = 0
    watchlists: int = 0
    brands_new: int = 0
    brands_updated: int = 0
    brands_unchanged: int = 0
    subscriptions: int = 0
    errors: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # files with an error: nothing of them was stored
    notes: list[str] = field(default_factory=list)  # what was read but not used (ignored columns)

    def as_dict(self) -> dict:
        return asdict(self)


def get_or_create_org(s: Session, name: str, kind: str = "station") -> Organisation:
    org = s.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name, kind=kind)
        s.add(org)
        s.flush()
    return org


def brand_values(b: Brand) -> dict:
    return dict(
        mark=b.mark, aliases=list(b.aliases), classes=list(b.classes), similar_groups=list(b.similar_groups),
        owner=b.owner, kind=b.kind, key=b.key, well_known=b.well_known, threshold=b.threshold,
        exclude_applicants=list(b.exclude_applicants), exclude_words=list(b.exclude_words),
        registration_no=b.registration_no, protection_list=b.protection_list, protection_year=b.protection_year,
    )


def logo_values(b: Brand, pictures: Pictures | None, base_dir: Path | None, errors: list[str],
                where: str) -> dict:
    """The logo and Vienna columns of a brand read from a file: the logo kept in the image folder, or
    only its reference (with the reason in `errors`)."""
    from markwatch.errors import RecordError

    out = {"logo_ref": b.logo, "vienna_codes": list(b.vienna_codes),
           "logo_sha256": None, "logo_file": None, "logo_key": None}
    if not b.logo or pictures is None:
        return out
    try:
        stored = pictures.keep(b.logo, base_dir)
    except RecordError as exc:
        errors.append(f"{where}: brand {b.brand_id}: logo not stored: {exc}")
        return out
    return {**out, "logo_sha256": stored.sha256, "logo_file": stored.file, "logo_key": stored.key}


def upsert_brand(s: Session, wl: Watchlist, b: Brand, logo: dict | None = None) -> str:
    """Insert or update one brand; returns new, updated or unchanged. `logo`: the logo and Vienna
    columns (`logo_values`), set only by a file import; other edits leave them as they are."""
    row = s.scalar(select(BrandRow).where(BrandRow.watchlist_id == wl.id, BrandRow.brand_id == b.brand_id))
    values = brand_values(b)
    if logo is not None:
        values.update(logo)
    if row is None:
        s.add(BrandRow(watchlist_id=wl.id, brand_id=b.brand_id, matched_through=0, **values))
        return "new"
    changed = {k for k, v in values.items() if getattr(row, k) != v}
    if not changed:
        return "unchanged"
    for k in changed:
        setattr(row, k, values[k])
    if changed & set(MATCH_FIELDS):
        row.matched_through = 0
    return "updated"


def save_watchlist(s: Session, spec: WatchlistSpec, summary: ImportSummary, *, pictures: Pictures | None = None,
                   base_dir: Path | None = None) -> Watchlist:
    org = get_or_create_org(s, spec.organisation, spec.organisation_kind)
    wl = s.scalar(select(Watchlist).where(Watchlist.organisation_id == org.id, Watchlist.name == spec.name))
    if wl is None:
        wl = Watchlist(name=spec.name, organisation_id=org.id, description=spec.description)
        s.add(wl)
        s.flush()
    elif spec.description is not None:
        wl.description = spec.description
    summary.watchlists += 1
    for b in spec.brands:
        logo = logo_values(b, pictures, base_dir, summary.errors, spec.name)
        outcome = upsert_brand(s, wl, b, logo)
        setattr(summary, f"brands_{outcome}", getattr(summary, f"brands_{outcome}") + 1)
    for sub in spec.subscribers:
        sub_org = get_or_create_org(s, sub.organisation, "association")
        row = s.scalar(select(Subscription).where(Subscription.watchlist_id == wl.id,
                                                  Subscription.organisation_id == sub_org.id))
        if row is None:
            s.add(Subscription(watchlist_id=wl.id, organisation_id=sub_org.id, email=sub.email, webhook=sub.webhook))
        else:
            row.email, row.webhook = sub.email, sub.webhook
        if sub.email:  # the operator's file: its addresses need no confirmation link
            trust(s, sub_org.id, sub.email)
        summary.subscriptions += 1
    return wl


def import_watchlist_files(db: Database, paths: list[Path], *, pictures: Pictures | None = None) -> ImportSummary:
    """Each file all or nothing: a file with any bad brand, row or column stores nothing (no empty or
    half watchlist is left behind); its problems are listed and the other files are still imported."""
    from markwatch.errors import FileFormatError
    from markwatch.sources.watchlists import read_watchlist_file_with_errors

    summary = ImportSummary()
    for path in paths:
        summary.files += 1
        try:
            specs, errors = read_watchlist_file_with_errors(Path(path), summary.notes)
        except FileFormatError as exc:
            summary.errors.append(str(exc))
            summary.refused.append(str(path))
            continue
        if errors:
            summary.errors += [f"{path}: {loc}: {reason}" for loc, reason in errors]
            summary.refused.append(str(path))
            continue
        with db.session() as s:
            for spec in specs:
                save_watchlist(s, spec, summary, pictures=pictures, base_dir=Path(path).parent)
    return summary


def import_protection_list(db: Database, path: Path, *, organisation: str, watchlist: str | None = None,
                           list_name: str | None = None, year: int | None = None,
                           organisation_kind: str = "station") -> dict:
    """A key-trademark protection list (重点商标保护名录) into a watchlist of the organisation (the list's
    name unless one is given): one key brand per registration, upserted by registration number."""
    from markwatch.sources.protection_lists import read_protection_list

    parsed = read_protection_list(Path(path), name=list_name, year=year)
    summary: dict[str, Any] = {"watchlist": watchlist or parsed.name, "list_name": parsed.name, "year": parsed.year,
                               "brands_new": 0, "brands_updated": 0, "brands_unchanged": 0,
                               "errors": [f"{path}: {loc}: {reason}" for loc, reason in parsed.errors]}
    with db.session() as s:
        org = get_or_create_org(s, organisation, organisation_kind)
        name = summary["watchlist"] or Path(path).stem
        wl = s.scalar(select(Watchlist).where(Watchlist.organisation_id == org.id, Watchlist.name == name))
        if wl is None:
            description = f"{parsed.name}（{parsed.year}年）" if parsed.year else parsed.name
            wl = Watchlist(name=name, organisation_id=org.id, description=description)
            s.add(wl)
            s.flush()
        for _, brand in parsed.brands:
            outcome = upsert_brand(s, wl, brand)
            summary[f"brands_{outcome}"] += 1
        summary["watchlist_id"] = wl.id
    return summary


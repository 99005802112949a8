"""Dismissals that stay dismissed (已排除): a station that dismissed an alert is not alerted again for the
same brand and the same mark, unless the mark or its goods change (a new record with other content).

A dismissal is kept apart from the alert (table ``alert_dismissals``), keyed by the watchlist, the
brand's id in it, the mark's office and application number, and the fingerprint of the mark's content:
text, type, classes, goods and 类似群. The run asks ``dismissed_keys`` before it stores an alert.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from markwatch.store.rows import ScreenedMark
from markwatch.store.tables import AlertDismissal, AlertRow, GazetteMark


def _text(value: Any) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(value or "")))


def mark_fingerprint(mark: str | None, mark_type: str | None, classes: Iterable[Any] | None,
                     goods: Iterable[Any] | None, similar_groups: Iterable[Any] | None) -> str:
    """SHA-256 of the mark's content as it matters for an opposition: width, case of full-width forms
    and blanks do not change it; other text, another type, other classes, goods or 类似群 do.
    (Migration 0004 repeats this function to fill in the dismissals made before it.)"""
    payload = {"mark": _text(mark), "type": mark_type or "word",
               "classes": sorted({int(c) for c in classes or []}),
               "goods": sorted({_text(g) for g in goods or [] if _text(g)}),
               "groups": sorted({str(g) for g in similar_groups or []})}
    data = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def fingerprint_of(m: GazetteMark | ScreenedMark) -> str:
    return mark_fingerprint(m.mark, m.mark_type, m.classes, m.goods, m.similar_groups)


DismissalKey = tuple[int, str, str, str, str]  # watchlist id, brand id, office, application no, fingerprint


def key_of(alert: AlertRow) -> DismissalKey:
    m = alert.gazette_mark
    return (alert.watchlist_id, alert.brand.brand_id, m.office, m.application_no, fingerprint_of(m))


def record_dismissal(s: Session, alert: AlertRow, *, actor: str | None, comment: str | None) -> None:
    """Remember that the station dismissed this brand against this mark content (once)."""
    watchlist_id, brand_id, office, application_no, fp = key_of(alert)
    exists = s.scalar(select(AlertDismissal.id).where(
        AlertDismissal.watchlist_id == watchlist_id, AlertDismissal.brand_id == brand_id,
        AlertDismissal.office == office, AlertDismissal.application_no == application_no,
        AlertDismissal.fingerprint == fp))
    if exists is None:
        s.add(AlertDismissal(watchlist_id=watchlist_id, brand_id=brand_id, office=office,
                             application_no=application_no, fingerprint=fp, alert_id=alert.id, actor=actor,
                             comment=comment))


def withdraw_dismissal(s: Session, alert: AlertRow) -> None:
    """The station took the alert up again: the same mark may alert again."""
    watchlist_id, brand_id, office, application_no, fp = key_of(alert)
    s.execute(delete(AlertDismissal).where(
        AlertDismissal.watchlist_id == watchlist_id, AlertDismissal.brand_id == brand_id,
        AlertDismissal.office == office, AlertDismissal.application_no == application_no,
        AlertDismissal.fingerprint == fp))


def dismissed_keys(s: Session, application_nos: Sequence[str]) -> set[DismissalKey]:
    """The dismissals that concern any of these application numbers."""
    found: set[DismissalKey] = set()
    numbers = sorted(set(application_nos))
    for i in range(0, len(numbers), 500):
        rows = s.execute(select(AlertDismissal.watchlist_id, AlertDismissal.brand_id, AlertDismissal.office,
                                AlertDismissal.application_no, AlertDismissal.fingerprint)
                         .where(AlertDismissal.application_no.in_(numbers[i:i + 500])))
        found |= {(r[0], r[1], r[2], r[3], r[4]) for r in rows}
    return found

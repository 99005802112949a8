"""Completeness of each gazette issue (公告期完整性): every page seen, the counts, and what is missing.

The gazette site gives each 初步审定 row its page (``pageNo``) and the page count of the announcement in
that issue (``anncPageNum``). Ingest adds the pages of every row it reads — stored, duplicate or
quarantined — to the issue's row in ``gazette_issues`` (as [first, last] ranges, so a re-read file
changes nothing); the report compares them with the page count and adds the marks stored and the
records still in quarantine for the issue.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from markwatch.sources.fields import ParsedItem
from markwatch.store.db import Database
from markwatch.store.tables import GazetteIssue, GazetteMark, QuarantinedRecord

Ranges = list[list[int]]


def merge_pages(ranges: Iterable[Sequence[int]], pages: Iterable[int]) -> Ranges:
    """Sorted, disjoint [first, last] ranges covering the given ranges and pages."""
    spans = sorted([[int(a), int(b)] for a, b in ranges] + [[p, p] for p in pages])
    out: Ranges = []
    for a, b in spans:
        if out and a <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return out


def missing_pages(ranges: Ranges, first: int, last: int) -> Ranges:
    """The ranges of pages in [first, last] that `ranges` does not cover."""
    out: Ranges = []
    cursor = first
    for a, b in ranges:
        if b < cursor:
            continue
        if a > last:
            break
        if a > cursor:
            out.append([cursor, min(a - 1, last)])
        cursor = max(cursor, b + 1)
    if cursor <= last:
        out.append([cursor, last])
    return out


def page_count(ranges: Ranges) -> int:
    return sum(b - a + 1 for a, b in ranges)


def show_ranges(ranges: Ranges, limit: int = 12) -> str:
    parts = [str(a) if a == b else f"{a}-{b}" for a, b in ranges[:limit]]
    return ", ".join(parts) + (" …" if len(ranges) > limit else "")


@dataclass
class PagesSeen:
    """What a batch of items shows of one issue: its pages, the page count, the publication date."""

    pages: set[int] = field(default_factory=set)
    page_count: int | None = None
    publication_date: date | None = None


def pages_seen(items: Iterable[ParsedItem]) -> dict[tuple[str, str], PagesSeen]:
    """The pages of a batch's 初步审定 items (records and refused records), by (office, issue)."""
    seen: dict[tuple[str, str], PagesSeen] = {}
    for it in items:
        if it.record is not None:
            rec = it.record
            if rec.procedure != "national" or not rec.gazette_issue:
                continue
            entry = seen.setdefault((rec.office, rec.gazette_issue), PagesSeen())
            if rec.page_no:
                entry.pages.add(rec.page_no)
            if rec.page_count:
                entry.page_count = max(entry.page_count or 0, rec.page_count)
            entry.publication_date = entry.publication_date or rec.publication_date
        elif it.error is not None and it.issue and it.page_no:
            seen.setdefault(("CN", it.issue), PagesSeen()).pages.add(it.page_no)
    return seen


def record_pages(s: Session, seen: dict[tuple[str, str], PagesSeen]) -> None:
    """Add the pages a batch showed (`pages_seen`) to their issues."""
    for (office, issue), entry in seen.items():
        row = s.scalar(select(GazetteIssue).where(GazetteIssue.office == office, GazetteIssue.issue_key == issue)
                       .with_for_update())
        if row is None:
            row = GazetteIssue(office=office, issue_key=issue, pages=[])
            s.add(row)
        merged = merge_pages(row.pages or [], entry.pages)
        if merged != (row.pages or []):
            row.pages = merged
        if entry.page_count and entry.page_count > (row.page_count or 0):
            row.page_count = entry.page_count
        if row.publication_date is None and entry.publication_date is not None:
            row.publication_date = entry.publication_date
        s.flush()


def _issue_sort(item: dict) -> tuple:
    issue = item["issue"]
    return (item["publication_date"] or "", int(issue) if issue.isdigit() else 0, issue)


def issue_report(db: Database, issues: Sequence[str] | None = None) -> list[dict]:
    """One entry per gazette issue: pages seen of the page count, marks stored, records in quarantine,
    missing pages, a status (complete, incomplete, pages unknown) and a bilingual summary line."""
    wanted = set(issues or ())
    with db.session() as s:
        marks_q = (select(GazetteMark.office, GazetteMark.issue_key, func.count(GazetteMark.id),
                          func.min(GazetteMark.publication_date))
                   .where(GazetteMark.issue_key != "")
                   .group_by(GazetteMark.office, GazetteMark.issue_key))
        marks = {(o, i): (n, d) for o, i, n, d in s.execute(marks_q)}
        quarantined = dict(s.execute(select(QuarantinedRecord.issue_key, func.count(QuarantinedRecord.id))
                                     .where(QuarantinedRecord.resolved_at.is_(None),
                                            QuarantinedRecord.issue_key.is_not(None))
                                     .group_by(QuarantinedRecord.issue_key)).all())
        rows = {(r.office, r.issue_key): r for r in s.scalars(select(GazetteIssue))}
        out = []
        for key in sorted(set(marks) | set(rows)):
            office, issue = key
            if wanted and issue not in wanted:
                continue
            row = rows.get(key)
            stored, first_date = marks.get(key, (0, None))
            pages: Ranges = [list(r) for r in (row.pages if row is not None else [])]
            declared = row.page_count if row is not None else None
            day = (row.publication_date if row is not None and row.publication_date else first_date)
            held = quarantined.get(issue, 0)
            if declared:
                missing = missing_pages(pages, 1, declared)
            elif pages:
                missing = missing_pages(pages, pages[0][0], pages[-1][1])
            else:
                missing = []
            if not pages and not declared:
                status = "no pages"
            elif declared is None:
                status = "pages unknown"
            else:
                status = "complete" if not missing and not held else "incomplete"
            out.append({
                "office": office, "issue": issue, "publication_date": day.isoformat() if day else None,
                "marks": stored, "quarantined": held, "page_count": declared, "pages_seen": page_count(pages),
                "missing_pages": missing, "status": status,
                "summary": _summary(issue, status, declared, pages, missing, stored, held),
            })
    return sorted(out, key=_issue_sort)


def _summary(issue: str, status: str, declared: int | None, pages: Ranges, missing: Ranges, stored: int,
             held: int) -> str:
    head = f"第{issue}期 (issue {issue}): 商标 {stored} 件 ({stored} marks)"
    if declared:
        head += f", 页 {page_count(pages)}/{declared} (pages {page_count(pages)} of {declared})"
    elif pages:
        head += f", 页 {page_count(pages)}，总页数未知 ({page_count(pages)} pages, page count not given)"
    parts = [head]
    if missing:
        label = "缺页" if declared else "页码间断"
        parts.append(f"{label} {show_ranges(missing)} (missing pages {show_ranges(missing)})")
    if held:
        parts.append(f"隔离 {held} 条待处理 ({held} records quarantined)")
    if status == "complete":
        parts.append("完整 (complete)")
    elif status == "no pages":
        parts.append("无页码信息，无法核对缺页 (no page numbers: pages cannot be checked)")
    return "; ".join(parts)

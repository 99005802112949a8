"""Holiday arrangements the operator loads (节假日安排), the working-day calendar built from them, and
the deadlines of stored alerts computed again once a year's arrangement is known."""

from __future__ import annotations

import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from markwatch.deadline import CALENDAR_WEEKENDS_ONLY, HolidayArrangement, WorkCalendar, deadline_of
from markwatch.store.db import Database
from markwatch.store.rows import iso
from markwatch.store.tables import AlertRow, HolidayCalendar


def work_calendar(db: Database) -> WorkCalendar:
    """chinese_calendar plus every arrangement loaded into the database."""
    with db.session() as s:
        rows = list(s.scalars(select(HolidayCalendar)))
    return WorkCalendar([HolidayArrangement(r.year, frozenset(datetime.date.fromisoformat(d) for d in r.holidays),
                                            frozenset(datetime.date.fromisoformat(d) for d in r.workdays), r.source)
                         for r in rows])


def load_holiday_file(db: Database, path: Path) -> dict:
    """Validate and store one year's arrangement (replacing that year's), then recompute the deadlines of
    the alerts it may change. The same file again changes nothing."""
    from markwatch.sources.holidays import read_holiday_file

    parsed = read_holiday_file(Path(path))
    a = parsed.arrangement
    with db.session() as s:
        row = s.get(HolidayCalendar, a.year)
        if row is not None and row.sha256 == parsed.sha256:
            status = "unchanged"
        else:
            status = "new" if row is None else "updated"
            if row is None:
                row = HolidayCalendar(year=a.year, sha256=parsed.sha256)
                s.add(row)
            row.holidays = sorted(d.isoformat() for d in a.holidays)
            row.workdays = sorted(d.isoformat() for d in a.workdays)
            row.names = {d.isoformat(): n for d, n in sorted(parsed.names.items())}
            row.source, row.path, row.sha256 = a.source, str(path), parsed.sha256
            row.loaded_at = datetime.datetime.now(datetime.timezone.utc)
    updated = recompute_deadlines(db, work_calendar(db)) if status != "unchanged" else 0
    return {"year": a.year, "status": status, "holidays": len(a.holidays), "workdays": len(a.workdays),
            "source": a.source, "warnings": parsed.warnings, "alerts_updated": updated}


def holiday_calendars(db: Database) -> list[dict]:
    with db.session() as s:
        return [{"year": r.year, "holidays": len(r.holidays or []), "workdays": len(r.workdays or []),
                 "source": r.source, "path": r.path, "loaded_at": iso(r.loaded_at)}
                for r in s.scalars(select(HolidayCalendar).order_by(HolidayCalendar.year))]


def recompute_deadlines(db: Database, calendar: WorkCalendar, *, chunk: int = 2000) -> int:
    """Compute every alert's deadline again on its mark's clock with `calendar`; the number changed."""
    changed = 0
    last = 0
    while True:
        with db.session() as s:
            alerts = list(s.scalars(select(AlertRow).options(joinedload(AlertRow.gazette_mark))
                                    .where(AlertRow.id > last).order_by(AlertRow.id).limit(chunk)))
            if not alerts:
                return changed
            for a in alerts:
                m = a.gazette_mark
                deadline, missing = deadline_of(m.procedure, m.publication_date, m.wipo_publication_date, calendar)
                values = ((deadline.date, deadline.note, deadline.rule, deadline.calendar) if deadline
                          else (None, missing, None, None))
                if values != (a.opposition_deadline, a.deadline_note, a.deadline_rule, a.deadline_calendar):
                    a.opposition_deadline, a.deadline_note, a.deadline_rule, a.deadline_calendar = values
                    changed += 1
            last = alerts[-1].id


def weekends_only_alerts(db: Database) -> int:
    """How many alerts have a deadline computed on weekends only (no holiday calendar for its year)."""
    from sqlalchemy import func

    with db.session() as s:
        return s.scalar(select(func.count(AlertRow.id)).where(AlertRow.deadline_calendar == CALENDAR_WEEKENDS_ONLY)) or 0

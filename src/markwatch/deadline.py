"""Opposition deadline (异议期限) of a mark published in a 初步审定公告.

Trademark Law Art. 33: an opposition may be filed within three months from the publication
of the preliminary approval. The Implementing Regulations (商标法实施条例 Art. 12) say how
such a period is counted:

- the day the period starts (the publication day) is not counted;
- a period in months ends on the corresponding day of the last month; if that month has no
  such day, on its last day (Jan 31 + 3 months → Apr 30);
- if the end falls on a rest day or public holiday (节假日), it moves to the first working day
  after it.

Working days come from the `chinese_calendar` package (official State Council schedule, with
adjusted working weekends 调休 counted as working days). Years the package does not know yet
fall back to "weekends only", and the result says so.
"""

from __future__ import annotations

import calendar as _calendar
import datetime
from dataclasses import dataclass

import chinese_calendar

OPPOSITION_MONTHS = 3

CALENDAR_OFFICIAL = "official"
CALENDAR_WEEKENDS_ONLY = "weekends-only"

# A rest-day stretch is never longer than a couple of weeks; this only guards against a loop.
_MAX_SHIFT_DAYS = 60


@dataclass(frozen=True)
class Deadline:
    """Last day to file an opposition (异议期限届满日)."""

    date: datetime.date  # after moving off rest days and holidays
    nominal: datetime.date  # corresponding day of the third month, before the rest-day shift
    calendar: str  # "official" or "weekends-only"
    note: str | None = None  # bilingual sentence when the official calendar was not available

    @property
    def shifted(self) -> bool:
        """True when the nominal end fell on a rest day or holiday and was moved."""
        return self.date != self.nominal


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The corresponding day `months` later; the month's last day if it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    last = _calendar.monthrange(year, month)[1]
    return datetime.date(year, month, min(day.day, last))


def _is_working_day(day: datetime.date) -> tuple[bool, bool]:
    """(is a working day, answer comes from the official calendar)."""
    try:
        return bool(chinese_calendar.is_workday(day)), True
    except NotImplementedError:
        # chinese_calendar only knows the years the State Council has announced.
        return day.weekday() < 5, False


def _as_date(value: datetime.date, what: str) -> datetime.date:
    # datetime is a subclass of date; keep only the calendar day.
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    raise TypeError(f"{what} must be a datetime.date, got {type(value).__name__}: {value!r}")


def _fallback_note(years: list[int]) -> str:
    zh = "、".join(str(y) for y in years)
    en = ", ".join(str(y) for y in years)
    return (
        f"{zh}年法定节假日数据未知，仅按周末顺延 "
        f"(official holidays for {en} not known; only weekends considered)"
    )


def opposition_deadline(publication_date: datetime.date) -> Deadline:
    """Deadline to oppose a mark published on `publication_date` (初步审定公告日)."""
    published = _as_date(publication_date, "publication_date")
    nominal = add_months(published, OPPOSITION_MONTHS)

    day = nominal
    unknown_years: list[int] = []
    for _ in range(_MAX_SHIFT_DAYS):
        working, official = _is_working_day(day)
        if not official and day.year not in unknown_years:
            unknown_years.append(day.year)
        if working:
            break
        day += datetime.timedelta(days=1)
    else:  # pragma: no cover - would need a calendar with two months of holidays
        raise RuntimeError(f"no working day within {_MAX_SHIFT_DAYS} days after {nominal}")

    if unknown_years:
        return Deadline(day, nominal, CALENDAR_WEEKENDS_ONLY, _fallback_note(unknown_years))
    return Deadline(day, nominal, CALENDAR_OFFICIAL, None)


def days_left(deadline: Deadline | datetime.date, today: datetime.date) -> int:
    """Days from `today` to the deadline: 0 on the last day itself, negative once it has passed."""
    end = deadline.date if isinstance(deadline, Deadline) else _as_date(deadline, "deadline")
    return (end - _as_date(today, "today")).days

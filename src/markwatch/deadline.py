"""Opposition deadline (异议期限) of a mark published in a 初步审定公告.

Trademark Law Art. 33: an opposition may be filed within three months from the publication
of the preliminary approval. The Implementing Regulations (商标法实施条例 Art. 12) say how
such a period is counted:

- the day the period starts (the publication day) is not counted;
- a period in months ends on the corresponding day of the last month; if that month has no
  such day, on its last day (Jan 31 + 3 months → Apr 30);
- if the end falls on a rest day or public holiday (节假日), it moves to the first working day
  after it.

A Madrid designation of China (an international registration extended to China) is opposed on another
clock (实施条例 Art. 50): within three months from the first day of the month after the WIPO Gazette
(《国际商标公告》) that published it. The first day of that month is the first day of the period, so
the period ends on the last day of its third month (published 2027-01-21 → 2027-02-01 … 2027-04-30),
and a last day on a rest day moves to the next working day as above. Every deadline names its rule.

Working days come from the `chinese_calendar` package (official State Council schedule, with
adjusted working weekends 调休 counted as working days), or, for a year the operator has loaded the
State Council's arrangement of (``HolidayArrangement``, read by ``sources.holidays``), from that. Years
neither knows fall back to "weekends only", and the result says so.
"""

from __future__ import annotations

import calendar as _calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field

import chinese_calendar

OPPOSITION_MONTHS = 3

CALENDAR_OFFICIAL = "official"  # the chinese_calendar package
CALENDAR_OPERATOR = "operator"  # a holiday arrangement the operator loaded
CALENDAR_WEEKENDS_ONLY = "weekends-only"

RULE_NATIONAL = "cn-art33"
RULE_MADRID = "madrid-art50"
RULES = {
    RULE_NATIONAL: "商标法第三十三条、实施条例第十二条：自初步审定公告之日起三个月内 "
                   "(Trademark Law Art. 33, Regulations Art. 12: three months from the publication of the "
                   "preliminary approval)",
    RULE_MADRID: "商标法实施条例第五十条：自《国际商标公告》出版的次月1日起三个月内 "
                 "(Regulations Art. 50: three months from the first day of the month after the WIPO Gazette "
                 "publication of the designation of China)",
}

# A rest-day stretch is never longer than a couple of weeks; this only guards against a loop.
_MAX_SHIFT_DAYS = 60


@dataclass(frozen=True)
class Deadline:
    """Last day to file an opposition (异议期限届满日)."""

    date: datetime.date  # after moving off rest days and holidays
    nominal: datetime.date  # last day of the period before the rest-day shift
    calendar: str  # "official", "operator" or "weekends-only"
    note: str | None = None  # bilingual sentence when the official calendar was not available
    rule: str = RULE_NATIONAL  # a RULES key
    start: datetime.date | None = None  # the day the period is counted from

    @property
    def rule_text(self) -> str:
        return RULES[self.rule]

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


@dataclass(frozen=True)
class HolidayArrangement:
    """One year's State Council holiday arrangement (节假日安排): official holidays and the weekend days
    worked instead (调休上班). Days may lie just outside the year (a 元旦 make-up day in December)."""

    year: int
    holidays: frozenset[datetime.date]
    workdays: frozenset[datetime.date] = frozenset()
    source: str | None = None


@dataclass
class WorkCalendar:
    """Working days: the operator's arrangements first, then chinese_calendar, then weekends only."""

    arrangements: Iterable[HolidayArrangement] = ()
    years: set[int] = field(init=False, default_factory=set)
    holidays: set[datetime.date] = field(init=False, default_factory=set)
    workdays: set[datetime.date] = field(init=False, default_factory=set)

    def __post_init__(self) -> None:
        for a in self.arrangements:
            self.years.add(a.year)
            self.holidays |= a.holidays
            self.workdays |= a.workdays

    def is_working_day(self, day: datetime.date) -> tuple[bool, str]:
        """(is a working day, which calendar said so)."""
        if day in self.holidays:
            return False, CALENDAR_OPERATOR
        if day in self.workdays:
            return True, CALENDAR_OPERATOR
        if day.year in self.years:
            return day.weekday() < 5, CALENDAR_OPERATOR
        try:
            return bool(chinese_calendar.is_workday(day)), CALENDAR_OFFICIAL
        except NotImplementedError:
            # chinese_calendar only knows the years the State Council has announced.
            return day.weekday() < 5, CALENDAR_WEEKENDS_ONLY


_DEFAULT_CALENDAR = WorkCalendar()


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


def _shifted(nominal: datetime.date, calendar: WorkCalendar | None, rule: str, start: datetime.date) -> Deadline:
    cal = calendar or _DEFAULT_CALENDAR
    day = nominal
    unknown_years: list[int] = []
    sources: set[str] = set()
    for _ in range(_MAX_SHIFT_DAYS):
        working, source = cal.is_working_day(day)
        sources.add(source)
        if source == CALENDAR_WEEKENDS_ONLY and day.year not in unknown_years:
            unknown_years.append(day.year)
        if working:
            break
        day += datetime.timedelta(days=1)
    else:  # pragma: no cover - would need a calendar with two months of holidays
        raise RuntimeError(f"no working day within {_MAX_SHIFT_DAYS} days after {nominal}")

    if unknown_years:
        return Deadline(day, nominal, CALENDAR_WEEKENDS_ONLY, _fallback_note(unknown_years), rule, start)
    used = CALENDAR_OPERATOR if CALENDAR_OPERATOR in sources else CALENDAR_OFFICIAL
    return Deadline(day, nominal, used, None, rule, start)


def opposition_deadline(publication_date: datetime.date, calendar: WorkCalendar | None = None) -> Deadline:
    """Deadline to oppose a mark published on `publication_date` (初步审定公告日)."""
    published = _as_date(publication_date, "publication_date")
    return _shifted(add_months(published, OPPOSITION_MONTHS), calendar, RULE_NATIONAL, published)


def madrid_opposition_deadline(wipo_publication_date: datetime.date,
                               calendar: WorkCalendar | None = None) -> Deadline:
    """Deadline to oppose a Madrid designation of China published in the WIPO Gazette on that day: the
    period runs from the first day of the next month for three months (实施条例第五十条)."""
    published = _as_date(wipo_publication_date, "wipo_publication_date")
    start = add_months(published.replace(day=1), 1)
    nominal = add_months(start, OPPOSITION_MONTHS) - datetime.timedelta(days=1)
    return _shifted(nominal, calendar, RULE_MADRID, start)


DATE_UNKNOWN_NOTE = "公告日期未知，无法计算异议期限 (publication date unknown)"
WIPO_DATE_UNKNOWN_NOTE = "《国际商标公告》出版日期未知，无法计算异议期限 (WIPO Gazette publication date unknown)"


def deadline_of(procedure: str, publication_date: datetime.date | None,
                wipo_publication_date: datetime.date | None = None,
                calendar: WorkCalendar | None = None) -> tuple[Deadline | None, str | None]:
    """The deadline of a gazette mark on its own clock, or (None, why it cannot be computed)."""
    if procedure == "madrid":
        if wipo_publication_date is None:
            return None, WIPO_DATE_UNKNOWN_NOTE
        return madrid_opposition_deadline(wipo_publication_date, calendar), None
    if publication_date is None:
        return None, DATE_UNKNOWN_NOTE
    return opposition_deadline(publication_date, calendar), None


def days_left(deadline: Deadline | datetime.date, today: datetime.date) -> int:
    """Days from `today` to the deadline: 0 on the last day itself, negative once it has passed."""
    end = deadline.date if isinstance(deadline, Deadline) else _as_date(deadline, "deadline")
    return (end - _as_date(today, "today")).days

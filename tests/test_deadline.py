"""Opposition deadline: month arithmetic, rest-day shift, 调休 and the weekends-only fallback."""

from __future__ import annotations

import datetime as dt

import chinese_calendar
import pytest
from chinese_calendar import constants as cc_constants

from markwatch import deadline as dl
from markwatch.deadline import Deadline, add_months, days_left, opposition_deadline

D = dt.date


def _covered(year: int) -> bool:
    try:
        chinese_calendar.is_workday(D(year, 6, 1))
    except NotImplementedError:
        return False
    return True


COVERED_YEARS = sorted(y for y in {d.year for d in cc_constants.holidays} if _covered(y))
LAST_COVERED = COVERED_YEARS[-1]


def _assert_first_working_day_on_or_after_nominal(result: Deadline) -> None:
    assert result.date >= result.nominal
    assert chinese_calendar.is_workday(result.date)
    day = result.nominal
    while day < result.date:
        assert not chinese_calendar.is_workday(day), f"{day} is a working day before {result.date}"
        day += dt.timedelta(days=1)


# --- month arithmetic (nominal end) -------------------------------------------------------


@pytest.mark.parametrize(
    "published, nominal",
    [
        (D(2026, 1, 31), D(2026, 4, 30)),  # April has no 31st
        (D(2026, 11, 20), D(2027, 2, 20)),  # across the year end
        (D(2023, 11, 30), D(2024, 2, 29)),  # leap year: Feb 29 exists
        (D(2023, 11, 29), D(2024, 2, 29)),
        (D(2024, 11, 30), D(2025, 2, 28)),  # common year: clamp to Feb 28
        (D(2024, 11, 28), D(2025, 2, 28)),
        (D(2024, 2, 29), D(2024, 5, 29)),  # published on Feb 29
        (D(2025, 12, 31), D(2026, 3, 31)),
        (D(2026, 3, 31), D(2026, 6, 30)),
    ],
)
def test_nominal_end_is_corresponding_day_of_third_month(published, nominal):
    assert add_months(published, 3) == nominal
    assert opposition_deadline(published).nominal == nominal


def test_add_months_backwards_and_clamps():
    assert add_months(D(2026, 2, 28), -3) == D(2025, 11, 28)
    assert add_months(D(2026, 5, 31), -3) == D(2026, 2, 28)


def test_publication_day_is_not_counted():
    # Published on the 6th → the period runs to the 6th of the third month, not the 5th.
    result = opposition_deadline(D(2026, 1, 6))
    assert result.nominal == D(2026, 4, 6)


# --- rest-day shift against the official calendar -----------------------------------------


def test_every_covered_day_gives_first_working_day_on_or_after_nominal():
    start = D(COVERED_YEARS[-2], 1, 1)
    end = add_months(D(LAST_COVERED, 12, 31), -3)  # keep the nominal end inside covered years
    day = start
    while day <= end:
        result = opposition_deadline(day)
        assert result.calendar == dl.CALENDAR_OFFICIAL
        assert result.note is None
        _assert_first_working_day_on_or_after_nominal(result)
        assert result.shifted == (result.date != result.nominal)
        day += dt.timedelta(days=1)


def test_national_day_golden_week_2026():
    result = opposition_deadline(D(2026, 7, 1))
    assert result.nominal == D(2026, 10, 1)
    assert result.shifted
    assert result.calendar == dl.CALENDAR_OFFICIAL
    _assert_first_working_day_on_or_after_nominal(result)
    # The days skipped include official National Day holidays, not only a weekend.
    on_holiday, name = chinese_calendar.get_holiday_detail(result.nominal)
    assert on_holiday and name == "National Day"
    assert (result.date - result.nominal).days > 2


def test_weekend_end_moves_to_monday():
    result = opposition_deadline(D(2026, 3, 7))  # 2026-06-07 is a Sunday
    assert result.nominal.weekday() == 6
    assert not chinese_calendar.is_workday(result.nominal)
    _assert_first_working_day_on_or_after_nominal(result)


def _adjusted_working_weekends():
    """Saturdays/Sundays that are official working days (调休), with a clean 3-month back date."""
    return sorted(
        d
        for d in cc_constants.workdays
        if d.weekday() >= 5 and d.day <= 28 and d.year in COVERED_YEARS[-3:]
        # the publication date three months earlier must be covered too (not needed, but tidy)
    )


@pytest.mark.parametrize("working_weekend", _adjusted_working_weekends())
def test_adjusted_working_weekend_is_a_working_day(working_weekend):
    assert chinese_calendar.is_workday(working_weekend)  # the premise: a 调休 Saturday/Sunday
    published = add_months(working_weekend, -3)
    result = opposition_deadline(published)
    assert result.nominal == working_weekend
    assert result.date == working_weekend  # not moved to the Monday
    assert not result.shifted


def test_adjusted_working_weekends_exist_for_the_test():
    assert _adjusted_working_weekends(), "chinese_calendar lists no 调休 weekends to test with"


# --- fallback for years chinese_calendar does not know ------------------------------------


def _weekend_shift(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


@pytest.mark.skipif(_covered(2027), reason="chinese_calendar now covers 2027")
def test_fallback_2027_weekends_only_with_note():
    result = opposition_deadline(D(2026, 11, 20))
    assert result.nominal == D(2027, 2, 20)  # a Saturday
    assert result.calendar == dl.CALENDAR_WEEKENDS_ONLY
    assert result.date == _weekend_shift(result.nominal)
    assert result.date.weekday() < 5
    assert result.note is not None
    assert "2027年法定节假日数据未知" in result.note
    assert "official holidays for 2027 not known" in result.note


def test_fallback_when_the_calendar_raises(monkeypatch):
    """Independent of the installed chinese_calendar version: a year it rejects."""
    real = chinese_calendar.is_workday

    def is_workday(day):
        if day.year >= 2026:
            raise NotImplementedError(f"no available data for year {day.year}")
        return real(day)

    monkeypatch.setattr(dl.chinese_calendar, "is_workday", is_workday)
    result = opposition_deadline(D(2026, 7, 1))
    # No holiday data: Oct 1 2026 is a Thursday, so it stays although it is National Day.
    assert result.date == result.nominal == D(2026, 10, 1)
    assert result.calendar == dl.CALENDAR_WEEKENDS_ONLY
    assert "2026" in result.note

    # Covered nominal day but the shift runs into an unknown year: still flagged.
    def is_workday_2(day):
        if day.year >= 2027:
            raise NotImplementedError
        return False if day in (D(2026, 12, 30), D(2026, 12, 31)) else real(day)

    monkeypatch.setattr(dl.chinese_calendar, "is_workday", is_workday_2)
    result = opposition_deadline(D(2026, 9, 30))
    assert result.nominal == D(2026, 12, 30)  # September has no 31st
    assert result.date == D(2027, 1, 1)  # a Friday; New Year's Day unknown without data
    assert result.calendar == dl.CALENDAR_WEEKENDS_ONLY
    assert "2027" in result.note and "2026年" not in result.note


def test_covered_year_has_no_note():
    result = opposition_deadline(D(LAST_COVERED, 1, 5))
    assert result.calendar == dl.CALENDAR_OFFICIAL
    assert result.note is None


# --- inputs and days_left ------------------------------------------------------------------


def test_accepts_datetime_and_rejects_other_types():
    assert opposition_deadline(dt.datetime(2026, 1, 31, 15, 30)) == opposition_deadline(D(2026, 1, 31))
    with pytest.raises(TypeError):
        opposition_deadline("2026-01-31")  # type: ignore[arg-type]


def test_deadline_is_frozen():
    result = opposition_deadline(D(2026, 1, 31))
    with pytest.raises(AttributeError):
        result.date = D(2000, 1, 1)  # type: ignore[misc]


def test_days_left():
    result = opposition_deadline(D(2026, 7, 1))
    assert days_left(result, result.date) == 0  # last day: still in time
    assert days_left(result, result.date - dt.timedelta(days=10)) == 10
    assert days_left(result, result.date + dt.timedelta(days=1)) == -1
    assert days_left(result.date, result.date - dt.timedelta(days=3)) == 3


def test_today_is_the_day_in_the_settings_time_zone_not_the_process_one():
    from markwatch.config import Settings

    instant = dt.datetime(2027, 1, 20, 17, 0, tzinfo=dt.timezone.utc)  # 01:00 on the 21st in Beijing
    shanghai, utc = Settings(timezone="Asia/Shanghai"), Settings(timezone="UTC")
    assert shanghai.today(instant) == dt.date(2027, 1, 21)
    assert utc.today(instant) == dt.date(2027, 1, 20)
    deadline = dt.date(2027, 1, 20)
    assert days_left(deadline, shanghai.today(instant)) == -1  # the last day has passed in Beijing
    assert days_left(deadline, utc.today(instant)) == 0

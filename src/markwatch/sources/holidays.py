"""The operator's holiday arrangement file (节假日安排): one year of the State Council's notice.

``chinese_calendar`` knows the years announced when it was released; for a later year the operator
copies the State Council's notice (国务院办公厅关于YYYY年部分节假日安排的通知) into a small TOML or JSON
file and loads it with ``markwatch holidays load``::

    year = 2027
    source = "国务院办公厅关于2027年部分节假日安排的通知"

    [[holiday]]
    name = "春节"
    from = "2027-02-05"
    to = "2027-02-13"
    workdays = ["2027-01-31", "2027-02-20"]   # 调休上班: the weekend days worked instead

    [[holiday]]
    name = "端午节"
    days = ["2027-06-09"]

JSON has the same keys (``{"year": 2027, "holiday": [{"name": ..., "from": ..., "to": ...}]}``). The
file is checked as a whole and refused with every problem listed: dates that are not dates or lie
outside the year (a 元旦 stretch may begin in the December before), a stretch that ends before it
begins or is longer than 15 days, a day given twice, a working day that is not a Saturday or Sunday or
is also a holiday. Warnings (fewer festivals than the seven of every year, disagreement with
``chinese_calendar`` for a year it knows) are reported but do not refuse the file.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomllib

from markwatch.deadline import HolidayArrangement
from markwatch.errors import FileFormatError
from markwatch.sources.decoding import read_text_file

MAX_STRETCH_DAYS = 15
FESTIVALS = ("元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节")
_KEYS = {"year", "source", "holiday", "holidays", "workdays", "note"}
_HOLIDAY_KEYS = {"name", "from", "to", "days", "workdays", "note"}


@dataclass
class HolidayFile:
    arrangement: HolidayArrangement
    names: dict[datetime.date, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    sha256: str = ""


def _date(value: Any, where: str, problems: list[str]) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value).strip())
    except ValueError:
        problems.append(f"{where}: {value!r} is not a date like 2027-02-05 (日期无效)")
        return None


def _days(spec: Mapping[str, Any], where: str, problems: list[str]) -> list[datetime.date]:
    if "days" in spec:
        if not isinstance(spec["days"], list) or not spec["days"]:
            problems.append(f"{where}: days must be a list of dates (days 应为日期列表)")
            return []
        return [d for d in (_date(v, where, problems) for v in spec["days"]) if d is not None]
    if "from" not in spec:
        problems.append(f"{where}: give from/to or days (缺少 from/to 或 days)")
        return []
    first = _date(spec["from"], where, problems)
    last = _date(spec.get("to", spec["from"]), where, problems)
    if first is None or last is None:
        return []
    if last < first:
        problems.append(f"{where}: to {last} is before from {first} (结束日期早于开始日期)")
        return []
    length = (last - first).days + 1
    if length > MAX_STRETCH_DAYS:
        problems.append(f"{where}: {length} days from {first} to {last}, at most {MAX_STRETCH_DAYS} "
                        f"(放假天数超过 {MAX_STRETCH_DAYS} 天)")
        return []
    return [first + datetime.timedelta(days=i) for i in range(length)]


def _in_range(day: datetime.date, year: int) -> bool:
    return datetime.date(year - 1, 12, 1) <= day <= datetime.date(year, 12, 31)


def parse_holiday_mapping(data: Any, *, label: str = "holiday file") -> HolidayFile:
    """A validated arrangement from the file's content; FileFormatError with every problem."""
    problems: list[str] = []
    warnings: list[str] = []
    if not isinstance(data, Mapping):
        raise FileFormatError(f"{label}: the file must hold year and holiday entries (应包含 year 和 holiday)")
    unknown = sorted(set(data) - _KEYS)
    if unknown:
        problems.append(f"unknown key(s) {', '.join(unknown)}; expected year, source, holiday, workdays (未知字段)")
    year = data.get("year")
    if isinstance(year, str) and year.strip().isdigit():
        year = int(year.strip())
    if not isinstance(year, int) or isinstance(year, bool) or not 1990 <= year <= 2100:
        raise FileFormatError(f"{label}: year must be a year like 2027, not {year!r} (年份无效)")
    entries = data.get("holiday", data.get("holidays"))
    if not isinstance(entries, list) or not entries:
        raise FileFormatError(f"{label}: no [[holiday]] entries; copy the festivals of the State Council's "
                              "notice (缺少节假日条目)")
    holidays: dict[datetime.date, str] = {}
    workdays: dict[datetime.date, str] = {}
    named: list[str] = []
    for number, spec in enumerate(entries, start=1):
        if not isinstance(spec, Mapping):
            problems.append(f"holiday {number}: must be a table with name and from/to (条目格式无效)")
            continue
        name = str(spec.get("name") or "").strip()
        where = f"holiday {number} ({name or 'no name'})"
        if not name:
            problems.append(f"{where}: missing name, e.g. 春节 (缺少节日名称)")
        extra = sorted(set(spec) - _HOLIDAY_KEYS)
        if extra:
            problems.append(f"{where}: unknown key(s) {', '.join(extra)}; expected name, from, to, days, workdays "
                            "(未知字段)")
        named.append(name)
        days = _days(spec, where, problems)
        if days and not any(d.year == year for d in days):
            problems.append(f"{where}: none of its days is in {year} (日期不在 {year} 年)")
        for day in days:
            if not _in_range(day, year):
                problems.append(f"{where}: {day} is outside {year} (日期不在 {year} 年)")
            elif day in holidays:
                problems.append(f"{where}: {day} is already a holiday of {holidays[day]} (日期重复)")
            else:
                holidays[day] = name
        raw_workdays = spec.get("workdays", [])
        if not isinstance(raw_workdays, list):
            problems.append(f"{where}: workdays must be a list of dates (workdays 应为日期列表)")
            raw_workdays = []
        for value in raw_workdays:
            worked = _date(value, where, problems)
            if worked is not None:
                workdays.setdefault(worked, name)
    raw_extra = data.get("workdays", [])
    for value in raw_extra if isinstance(raw_extra, list) else []:
        worked = _date(value, "workdays", problems)
        if worked is not None:
            workdays.setdefault(worked, "")
    for day, name in sorted(workdays.items()):
        where = f"working day {day}" + (f" ({name})" if name else "")
        if not _in_range(day, year):
            problems.append(f"{where}: outside {year} (日期不在 {year} 年)")
        if day.weekday() < 5:
            problems.append(f"{where}: a make-up working day is a Saturday or Sunday, {day} is a "
                            f"{day.strftime('%A')} (调休上班日应为周六或周日)")
        if day in holidays:
            problems.append(f"{where}: also given as a holiday of {holidays[day]} (既是假日又是上班日)")
    if problems:
        lines = "\n".join(f"  {p}" for p in problems)
        raise FileFormatError(f"{label}: {len(problems)} problem(s) in the holiday arrangement for {year} "
                              f"(节假日安排文件有误):\n{lines}")
    missing = [f for f in FESTIVALS if not any(f.rstrip("节") in n for n in named)]
    if missing:
        warnings.append(f"no entry for {'、'.join(missing)}: every year has the seven festivals "
                        f"(缺少{'、'.join(missing)}，请核对国务院通知)")
    warnings += _disagreements(year, holidays, workdays)
    source = str(data["source"]).strip() if data.get("source") else None
    arrangement = HolidayArrangement(year, frozenset(holidays), frozenset(workdays), source)
    return HolidayFile(arrangement, dict(holidays), warnings)


def _disagreements(year: int, holidays: Mapping[datetime.date, str],
                   workdays: Mapping[datetime.date, str]) -> list[str]:
    import chinese_calendar

    differ: list[str] = []
    for day in sorted(set(holidays) | set(workdays)):
        try:
            official = chinese_calendar.is_workday(day)
        except NotImplementedError:
            continue
        if official != (day in workdays):
            differ.append(day.isoformat())
    if not differ:
        return []
    return [f"chinese_calendar disagrees about {', '.join(differ[:10])}; the file is used for {year} "
            f"(与 chinese_calendar 不一致，以本文件为准)"]


def read_holiday_file(path: Path) -> HolidayFile:
    """A TOML or JSON holiday arrangement file, validated."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise FileFormatError(f"{path}: a holiday arrangement is a .toml or .json file (节假日文件应为 TOML 或 JSON)")
    text = read_text_file(path)
    try:
        data = tomllib.loads(text) if suffix == ".toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise FileFormatError(f"{path}: not valid {suffix[1:].upper()}: {exc} (文件格式错误)") from None
    parsed = parse_holiday_mapping(data, label=str(path))
    parsed.sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return parsed

"""Holiday arrangements loaded by the operator for years chinese_calendar does not cover (2027), and Madrid
designations of China on their own clock (three months from the first day of the month after the WIPO
Gazette)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import tomllib
from typer.testing import CliRunner

from markwatch import deadline as dl
from markwatch.deadline import WorkCalendar, madrid_opposition_deadline, opposition_deadline
from markwatch.errors import FileFormatError
from markwatch.service.alerts import AlertFilter
from markwatch.sources.files import read_gazette_file
from markwatch.sources.holidays import parse_holiday_mapping, read_holiday_file

from .servicekit import make_service, write_jsonl

DATA = Path(__file__).resolve().parent / "data"
HOLIDAYS_2027 = DATA / "holidays" / "2027.toml"
ENOTIF = DATA / "madrid" / "enotif-2027-03.xml"
D = dt.date


@pytest.fixture(scope="module")
def calendar_2027() -> WorkCalendar:
    return WorkCalendar([read_holiday_file(HOLIDAYS_2027).arrangement])


# ---------------------------------------------------------------- the holiday file
def test_the_2027_file_is_read_and_the_same_in_json(tmp_path):
    parsed = read_holiday_file(HOLIDAYS_2027)
    a = parsed.arrangement
    assert a.year == 2027 and a.source.startswith("测试数据") and "并非" in a.source  # labelled: not the official one
    assert len(a.holidays) == 29 and D(2027, 2, 5) in a.holidays and D(2027, 10, 7) in a.holidays
    assert a.workdays == {D(2027, 1, 31), D(2027, 2, 20), D(2027, 4, 25), D(2027, 5, 8), D(2027, 9, 26),
                          D(2027, 10, 9)}
    assert parsed.names[D(2027, 2, 10)] == "春节" and parsed.warnings == []
    data = tomllib.loads(HOLIDAYS_2027.read_text(encoding="utf-8"))
    (tmp_path / "2027.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert read_holiday_file(tmp_path / "2027.json").arrangement == a


def test_a_wrong_file_is_refused_with_every_problem():
    bad = {"year": 2027, "holiday": [
        {"name": "春节", "from": "2027-02-13", "to": "2027-02-05"},  # ends before it begins
        {"name": "清明节", "days": ["2027-04-05", "2027-13-01"], "workdays": ["2027-04-07"]},  # bad date; a Wednesday
        {"name": "劳动节", "from": "2027-05-01", "to": "2027-05-05", "workdays": ["2027-05-01"]},  # also a holiday
        {"name": "国庆节", "from": "2028-10-01", "to": "2028-10-07"},  # another year
        {"name": "端午节", "days": ["2027-05-03"]},  # given twice
        {"name": "中秋节", "from": "2027-09-01", "to": "2027-09-30"},  # a month off
    ]}
    with pytest.raises(FileFormatError) as err:
        parse_holiday_mapping(bad)
    text = str(err.value)
    for expected in ("before from", "not a date", "Saturday or Sunday", "also given as a holiday",
                     "outside 2027", "already a holiday of 劳动节", "at most 15", "节假日安排文件有误"):
        assert expected in text, expected
    with pytest.raises(FileFormatError, match="year must be a year"):
        parse_holiday_mapping({"year": "next", "holiday": []})
    with pytest.raises(FileFormatError, match="no \\[\\[holiday\\]\\] entries"):
        parse_holiday_mapping({"year": 2027})


def test_a_file_missing_festivals_loads_with_a_warning():
    parsed = parse_holiday_mapping({"year": 2027, "holiday": [{"name": "春节", "from": "2027-02-05", "to": "2027-02-13"}]})
    assert len(parsed.warnings) == 1 and "国庆" in parsed.warnings[0]


# ---------------------------------------------------------------- deadlines with and without it
def test_2027_deadlines_with_the_loaded_arrangement(calendar_2027):
    # nominal end on the Saturday of the Spring Festival: the next working day after it
    without = opposition_deadline(D(2026, 11, 6))
    assert (without.nominal, without.date, without.calendar) == (D(2027, 2, 6), D(2027, 2, 8), dl.CALENDAR_WEEKENDS_ONLY)
    assert "2027" in without.note and "weekends" in without.note
    loaded = opposition_deadline(D(2026, 11, 6), calendar_2027)
    assert (loaded.date, loaded.calendar, loaded.note, loaded.rule) == (D(2027, 2, 15), dl.CALENDAR_OPERATOR, None,
                                                                        dl.RULE_NATIONAL)
    # nominal end on a Sunday worked instead (调休上班): no shift once the arrangement is known
    assert opposition_deadline(D(2026, 10, 31)).date == D(2027, 2, 1)
    assert opposition_deadline(D(2026, 10, 31), calendar_2027).date == D(2027, 1, 31)
    # a year chinese_calendar knows keeps its answer
    assert opposition_deadline(D(2026, 3, 1), calendar_2027).calendar == dl.CALENDAR_OFFICIAL


def test_madrid_clock(calendar_2027):
    d = madrid_opposition_deadline(D(2027, 1, 21), calendar_2027)
    assert (d.start, d.nominal, d.date, d.rule) == (D(2027, 2, 1), D(2027, 4, 30), D(2027, 4, 30), dl.RULE_MADRID)
    assert "第五十条" in d.rule_text and "WIPO Gazette" in d.rule_text
    # last day on a Saturday → Monday
    assert madrid_opposition_deadline(D(2027, 4, 15), calendar_2027).date == D(2027, 8, 2)
    # published in October 2026: the period is November to January; its last day is the worked Sunday
    assert madrid_opposition_deadline(D(2026, 10, 29), calendar_2027).date == D(2027, 1, 31)
    assert madrid_opposition_deadline(D(2026, 10, 29)).date == D(2027, 2, 1)
    # the end of the third month, whatever the day of publication in its month
    assert madrid_opposition_deadline(D(2026, 11, 30)).nominal == D(2027, 2, 28)
    assert madrid_opposition_deadline(D(2026, 11, 1)).nominal == D(2027, 2, 28)


# ---------------------------------------------------------------- Madrid records
def test_wipo_notification_designations_of_china():
    items = list(read_gazette_file(ENOTIF))
    records = [i.record for i in items if i.record]
    assert [i.skipped for i in items if i.skipped] == ["未指定中国 (does not designate China)",
                                                       "WIPO PROLONG (不是指定中国的国际注册 / not a designation)"]
    first, later = records
    assert (first.procedure, first.office, first.application_no, first.international_registration_no) == (
        "madrid", "WO", "1712345", "1712345")
    assert (first.mark, first.classes, first.wipo_gazette, first.wipo_publication_date) == (
        "KANGSHIFU", (30,), "2027/03", D(2027, 1, 21))
    assert first.designation_date == D(2026, 11, 5) and first.applicant == "KANSAI INSTANT FOODS CO., LTD."
    assert first.goods == ("Instant noodles", "biscuits", "tea") and first.applicant_address.endswith("JP")
    assert later.designation_date == D(2026, 12, 14)  # a subsequent designation: the date it was recorded


def test_madrid_records_in_a_table_and_in_st96(tmp_path):
    path = write_jsonl(tmp_path / "madrid.jsonl", [
        {"国际注册号": "1712400", "商标": "WAHAHA", "国际分类": "32", "申请人": "Wahaha Trading Ltd",
         "国际公告期号": "2027/05", "国际公告日期": "2027-02-04", "后期指定日期": "2026-12-01"},
        {"international_registration_no": "1712401", "mark": "LEIBI", "classes": [32]},
    ])
    items = list(read_gazette_file(path))
    assert items[0].record.procedure == "madrid" and items[0].record.office == "WO"
    assert items[0].record.designation_date == D(2026, 12, 1) and items[0].record.issue_key == "2027/05"
    assert "WIPO Gazette publication date" in items[1].error

    st96 = tmp_path / "madrid-st96.xml"
    st96.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<tmk:TrademarkBag xmlns:tmk="http://www.wipo.int/standards/XMLSchema/ST96/Trademark"
                  xmlns:com="http://www.wipo.int/standards/XMLSchema/ST96/Common">
 <tmk:Trademark>
  <com:InternationalRegistrationNumber>1712345</com:InternationalRegistrationNumber>
  <com:InternationalRegistrationDate>2026-11-05</com:InternationalRegistrationDate>
  <tmk:DesignatedCountryBag><tmk:DesignatedCountryCode>CN</tmk:DesignatedCountryCode></tmk:DesignatedCountryBag>
  <tmk:MarkRepresentation><tmk:MarkReproduction><tmk:WordMarkSpecification>
   <tmk:MarkVerbalElementText>KANGSHIFU</tmk:MarkVerbalElementText>
  </tmk:WordMarkSpecification></tmk:MarkReproduction></tmk:MarkRepresentation>
  <tmk:GoodsServicesBag><tmk:GoodsServices><tmk:ClassDescriptionBag><tmk:ClassDescription>
   <tmk:ClassNumber>30</tmk:ClassNumber>
   <tmk:GoodsServicesDescriptionText>Instant noodles</tmk:GoodsServicesDescriptionText>
  </tmk:ClassDescription></tmk:ClassDescriptionBag></tmk:GoodsServices></tmk:GoodsServicesBag>
  <tmk:PublicationBag><tmk:Publication>
   <com:PublicationIdentifier>2027/03 Gaz</com:PublicationIdentifier>
   <com:PublicationDate>2027-01-21</com:PublicationDate>
  </tmk:Publication></tmk:PublicationBag>
 </tmk:Trademark>
</tmk:TrademarkBag>""", encoding="utf-8")
    [item] = list(read_gazette_file(st96))
    rec = item.record
    assert (rec.procedure, rec.office, rec.application_no, rec.wipo_gazette, rec.wipo_publication_date) == (
        "madrid", "WO", "1712345", "2027/03 Gaz", D(2027, 1, 21))


# ---------------------------------------------------------------- through the service
def test_alerts_get_their_clock_and_are_recomputed_when_the_year_is_loaded(tmp_path):
    svc = make_service(f"sqlite:///{tmp_path}/t.db", tmp_path)
    national = write_jsonl(tmp_path / "gazette.jsonl", [
        {"application_no": "90000021", "mark": "康帅傅", "classes": [30], "goods": ["方便面"],
         "applicant": "某某食品有限公司", "publication_date": "2026-11-06", "gazette_issue": "2006"}])
    summaries = svc.ingest([national, ENOTIF])
    assert [(s.stored, s.skipped) for s in summaries] == [(1, 0), (2, 2)]
    station = svc.as_org(svc.authenticate(svc.create_org("杭州市商标品牌指导站", "station")[1]))
    wl = station.create_watchlist("重点商标")["id"]
    station.create_brand(wl, {"brand_id": "HZ-0002", "mark": "康师傅", "classes": [30], "aliases": ["KANGSHIFU"]})
    svc.run()
    alerts = {a["application_no"]: a for a in svc.alerts(AlertFilter())}
    madrid, cn = alerts["1712345"], alerts["90000021"]
    assert (madrid["procedure"], madrid["deadline_rule"], madrid["opposition_deadline"]) == (
        "madrid", "madrid-art50", "2027-04-30")
    assert madrid["wipo_gazette"] == "2027/03" and madrid["international_registration_no"] == "1712345"
    assert (cn["deadline_rule"], cn["opposition_deadline"], cn["deadline_calendar"]) == (
        "cn-art33", "2027-02-08", "weekends-only")
    assert "weekends" in cn["deadline_note"]
    assert svc.weekends_only_alerts() == 2

    runner = CliRunner()
    from markwatch.cli import app, common

    original = common.service
    common.service = lambda: svc
    try:
        result = runner.invoke(app, ["holidays", "load", str(HOLIDAYS_2027)])
        assert result.exit_code == 0, result.output
        assert "2027: new, 29 holidays, 6 make-up working days" in result.output
        assert "alerts updated 2" in result.output
        again = runner.invoke(app, ["holidays", "load", str(HOLIDAYS_2027)])
        assert "2027: unchanged" in again.output and "alerts updated 0" in again.output
        listed = runner.invoke(app, ["holidays", "list", "--json"])
        assert json.loads(listed.output)["alerts_weekends_only"] == 0
        bad = tmp_path / "2028.toml"
        bad.write_text('year = 2028\n[[holiday]]\nname = "春节"\nfrom = "2028-01-26"\nto = "2028-01-20"\n',
                       encoding="utf-8")
        refused = runner.invoke(app, ["holidays", "load", str(bad)])
        assert refused.exit_code == 2 and "before from" in refused.output
    finally:
        common.service = original
    alerts = {a["application_no"]: a for a in svc.alerts(AlertFilter())}
    cn = alerts["90000021"]
    assert (cn["opposition_deadline"], cn["deadline_calendar"], cn["deadline_note"]) == ("2027-02-15", "operator", None)
    assert alerts["1712345"]["deadline_calendar"] == "operator"

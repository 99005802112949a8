"""Hostile and broken input: nothing crashes, every bad record is set aside with a reason."""

from __future__ import annotations

import csv
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from markwatch.errors import FileFormatError, RecordError
from markwatch.matching.matcher import Matcher
from markwatch.service.alerts import export_alerts, safe_cell
from markwatch.sources.fields import gazette_record_from_mapping
from markwatch.sources.files import read_gazette_file
from markwatch.text.normalise import Normaliser, is_han

NASTY = st.text(alphabet=st.characters(codec="utf-8"), max_size=40) | st.sampled_from([
    "康\u200b师\u200d傅", "\u202e碧雪", "ｅ\u0301\u0301\u0301", "😀🍜康师傅", "\x00\x07\x1b[31m", "雪碧" * 500,
    "=cmd|' /C calc'!A0", "\ufeff娃哈哈", "\U0002a700\U0002a701",
])

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def normaliser() -> Normaliser:
    return Normaliser()


@FAST
@given(NASTY)
def test_normaliser_never_crashes_and_is_idempotent(normaliser, text):
    once = normaliser.normalise(text)
    assert normaliser.normalise(once.text).text == once.text
    assert all(ch.isalnum() or is_han(ch) for ch in once.text)  # controls, zero-width and bidi marks are gone


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher()


@FAST
@given(NASTY, NASTY)
def test_matcher_never_crashes(matcher, text_a, text_b):
    m = matcher.compare(text_a or "雪碧", text_b)
    assert 0.0 <= m.score <= 1.0


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | NASTY,
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(NASTY, inner, max_size=4),
                       max_leaves=12)
FIELDS = ["application_no", "mark", "classes", "goods", "similar_groups", "applicant", "publication_date",
          "filing_date", "gazette_issue", "mark_type", "office"]


@FAST
@given(st.dictionaries(st.sampled_from(FIELDS) | NASTY, JSONISH, max_size=8))
def test_record_validation_accepts_or_gives_a_reason(mapping):
    try:
        rec = gazette_record_from_mapping(mapping)
    except RecordError as exc:
        assert str(exc)
    else:
        assert rec.application_no and all(1 <= c <= 45 for c in rec.classes)


@FAST
@given(st.binary(max_size=400), st.sampled_from([".jsonl", ".json", ".csv", ".tsv", ".xml"]))
def test_file_readers_never_crash_on_garbage(tmp_path, data, suffix):
    path = tmp_path / f"garbage{suffix}"
    path.write_bytes(data)
    try:
        for item in read_gazette_file(path):
            assert sum(x is not None for x in (item.record, item.error, item.skipped)) == 1
            assert item.locator
    except FileFormatError as exc:
        assert str(exc)


SITE_FIELDS = ["id", "anncIssue", "anncDate", "anncType", "anncTypeName", "regNo", "registerCnName",
               "registerEnName", "tmName", "intlCls", "applyDate", "pageNo", "fileId", "imgDir", "anncPageNum"]


@FAST
@given(st.dictionaries(st.sampled_from(SITE_FIELDS) | NASTY, JSONISH, min_size=2, max_size=10))
def test_site_rows_are_stored_refused_or_skipped_with_a_reason(mapping):
    from markwatch.sources.fields import NotWatched
    from markwatch.sources.files import record_from_mapping

    try:
        rec = record_from_mapping(mapping)
    except (RecordError, NotWatched) as exc:
        assert str(exc)
    else:
        assert rec.application_no and all(1 <= c <= 45 for c in rec.classes)


def test_huge_field_is_stored_or_quarantined(tmp_path, service):
    path = tmp_path / "big.jsonl"
    rows = [{"application_no": "1", "mark": "康" * 1_000_000, "classes": [30], "gazette_issue": "1"},
            {"application_no": "2", "mark": "雪碧", "classes": [32], "gazette_issue": "1",
             "applicant": "x" * 1_000_000}]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    [s] = service.ingest([path])
    assert (s.read, s.stored, s.quarantined) == (2, 0, 2)
    reasons = [q["reason"] for q in service.quarantine()]
    assert any("mark" in r for r in reasons) and any("applicant" in r for r in reasons)


def test_bad_utf8_and_surrogates(tmp_path, service):
    path = tmp_path / "bad.jsonl"
    good = json.dumps({"application_no": "9", "mark": "雪碧", "classes": [32], "gazette_issue": "1"},
                      ensure_ascii=False).encode("utf-8")
    path.write_bytes(good + b"\n" + b'{"application_no": "10", "mark": "\xed\xa0\x80", "classes": [32]}\n')
    [s] = service.ingest([path])
    assert s.read == s.stored + s.duplicates + s.quarantined
    assert s.error is None or "encod" in s.error.lower() or "decode" in s.error.lower()


@pytest.mark.parametrize("payload", ["=cmd|' /C calc'!A0", "+SUM(1,2)", "-2+3", "@SUM(A1)", "\t=1"])
def test_exports_neutralise_formulas(tmp_path, payload):
    assert str(safe_cell(payload)).startswith("'")
    row = {"alert_id": 1, "severity": "high", "score": 0.9, "brand": payload, "mark": payload,
           "applicant": payload, "reasons": [{"kind": "look", "detail": payload}], "classes": [30]}
    path = export_alerts([row], "xlsx", tmp_path / "a.xlsx")
    ws = load_workbook(path).active
    for cell in ws[2]:
        assert not (isinstance(cell.value, str) and cell.value[:1] in "=+-@\t"), cell.value
    csv_path = export_alerts([row], "csv", tmp_path / "a.csv")
    with open(csv_path, encoding="utf-8-sig", newline="") as fh:
        for cell in list(csv.reader(fh))[1]:
            assert not (cell and cell[0] in "=+-@\t"), cell

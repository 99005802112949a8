"""The deadline rules as the docs state them are the rules the code applies, and the 2027 holiday file
the tests use says it is a fixture, not the official arrangement."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from markwatch.deadline import madrid_opposition_deadline
from markwatch.sources.holidays import read_holiday_file

ROOT = Path(__file__).resolve().parents[1]
ISO = r"(\d{4}-\d{2}-\d{2})"


def _text(name: str) -> str:
    return " ".join((ROOT / name).read_text(encoding="utf-8").split())


def test_the_madrid_examples_in_the_docs_are_what_the_code_computes():
    examples = [(m.group(1), m.group(2), m.group(3), "README.md")
                for m in re.finditer(ISO + r" → " + ISO + r" … " + ISO, _text("README.md"))]
    examples += [(m.group(1), m.group(2), m.group(3), "docs/SERVICE.md") for m in re.finditer(
        r"WIPO Gazette of " + ISO + r" can be opposed from " + ISO + r" to " + ISO, _text("docs/SERVICE.md"))]
    assert {doc for *_, doc in examples} == {"README.md", "docs/SERVICE.md"}  # both docs give the rule
    for published, start, end, doc in examples:
        d = madrid_opposition_deadline(date.fromisoformat(published))
        assert (d.start.isoformat(), d.nominal.isoformat()) == (start, end), doc
    for doc in ("README.md", "docs/SERVICE.md"):
        assert "first day of the month after" in _text(doc) and "第五十条" in _text(doc)


def test_the_2027_holiday_fixture_is_labelled_as_one():
    path = ROOT / "tests" / "data" / "holidays" / "2027.toml"
    assert path.read_text(encoding="utf-8").startswith("# TEST FIXTURE - NOT THE OFFICIAL 2027 HOLIDAY ARRANGEMENT")
    source = read_holiday_file(path).arrangement.source
    assert "测试数据" in source and "并非" in source and not source.startswith("国务院办公厅")
    for doc in ("README.md", "docs/SERVICE.md"):
        assert re.search(r"`tests/data/holidays/2027\.toml`[^.]{0,40} is a test fixture", _text(doc).replace("**", ""))

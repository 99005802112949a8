"""The shipped demo data (示例数据): reproducible from scripts/make_demo.py, consistent, and honest.

The committed files under data/demo/ must equal a fresh run of the generator, so nobody edits them
by hand; regenerate with the command in the docstring of scripts/make_demo.py.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import json
import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml

from markwatch.model import BRAND_KINDS, MARK_TYPES, ORG_KINDS

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "make_demo.py"
DEMO = ROOT / "data" / "demo"
WATCHLISTS = ROOT / "watchlists"
# The documented regeneration command, as arguments.
COUNT, SEED, EXTRA_COUNT = 3000, 20261121, 100
KNOCKOFF_KINDS = ("look", "sound", "generic", "contains", "order", "pinyin", "traditional", "fullwidth",
                  "translation", "gi")
ALL_KINDS = KNOCKOFF_KINDS + ("other_class", "hard_negative", "own_filing", "bad_record")


def _load_script():
    spec = importlib.util.spec_from_file_location("make_demo", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_demo"] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


make_demo = _load_script()


@pytest.fixture(scope="module")
def nice_path() -> Path:
    try:
        return make_demo.find_nice(None)
    except SystemExit as exc:
        pytest.skip(str(exc))


def _run(out_dir: Path, nice: Path, seed: int = SEED, hash_seed: str = "0") -> dict[str, bytes]:
    out = out_dir / "gazette.jsonl"
    env = dict(os.environ, PYTHONHASHSEED=hash_seed)
    subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), "--count", str(COUNT), "--seed", str(seed),
         "--nice", str(nice)],
        check=True, env=env, cwd=ROOT, capture_output=True,
    )
    return {name: (out_dir / name).read_bytes()
            for name in ("gazette.jsonl", "planted.jsonl", "gazette-extra-gbk.csv")}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory, nice_path) -> dict[str, bytes]:
    return _run(tmp_path_factory.mktemp("fresh"), nice_path)


@pytest.fixture(scope="module")
def gazette_lines() -> list[str]:
    return (DEMO / "gazette.jsonl").read_text(encoding="utf-8").splitlines()


@pytest.fixture(scope="module")
def planted() -> list[dict]:
    with (DEMO / "planted.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


@pytest.fixture(scope="module")
def records(gazette_lines) -> list[dict]:
    """The lines that parse as JSON objects."""
    out = []
    for line in gazette_lines:
        try:
            out.append(json.loads(line))
        except json.JSONDecodeError:
            pass
    return out


@pytest.fixture(scope="module")
def csv_rows() -> list[dict]:
    text = (DEMO / "gazette-extra-gbk.csv").read_bytes().decode("gbk")
    return list(csv.DictReader(io.StringIO(text, newline="")))


@pytest.fixture(scope="module")
def brands() -> dict[str, dict]:
    out = {}
    for path in sorted(WATCHLISTS.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for brand in spec["brands"]:
            out[brand["brand_id"]] = brand
    return out


@pytest.fixture(scope="module")
def goods_table(nice_path) -> dict[int, dict[str, list[str]]]:
    return make_demo.load_goods(nice_path)


# -- reproducibility --------------------------------------------------------------------------


def test_generator_is_deterministic(tmp_path, nice_path, fresh):
    # another process with another hash seed: set iteration order must not leak into the output
    again = _run(tmp_path, nice_path, hash_seed="12345")
    assert again == fresh


def test_another_seed_gives_other_data(tmp_path, nice_path, fresh):
    other = _run(tmp_path, nice_path, seed=SEED + 1)
    assert other["gazette.jsonl"] != fresh["gazette.jsonl"]


def test_committed_files_equal_a_fresh_run(fresh):
    for name, data in fresh.items():
        committed = (DEMO / name).read_bytes()
        assert committed == data, (
            f"data/demo/{name} differs from a fresh run; regenerate with "
            f".venv/bin/python scripts/make_demo.py --out data/demo/gazette.jsonl --count {COUNT} --seed {SEED}"
        )


def test_demo_data_is_small():
    assert sum(p.stat().st_size for p in DEMO.iterdir() if p.is_file()) < 2_000_000


# -- counts and identity ----------------------------------------------------------------------


def test_record_counts(gazette_lines, records, planted, csv_rows):
    assert len(gazette_lines) == COUNT
    bad = [p for p in planted if p["kind"] == "bad_record"]
    assert 3 <= len(bad) <= 8
    # exactly one bad line is not JSON; the others parse but are invalid
    assert len(records) == COUNT - 1
    assert len(csv_rows) == EXTRA_COUNT


def test_planted_kinds(planted):
    kinds = [p["kind"] for p in planted]
    assert set(kinds) == set(ALL_KINDS)
    knockoffs = [p for p in planted if p["kind"] in KNOCKOFF_KINDS or p["kind"] == "other_class"]
    assert 60 <= len(knockoffs) <= 110
    for p in planted:
        assert set(p) == {"application_no", "mark", "brand_id", "kind", "expect_alert"}
        if p["kind"] in KNOCKOFF_KINDS:
            assert p["expect_alert"] is True
        elif p["kind"] in ("hard_negative", "own_filing", "bad_record"):
            assert p["expect_alert"] is False
        # other_class depends on the brand being well known: test_planted_records_fit_their_kind


def test_application_numbers_are_unique(records, csv_rows):
    numbers = [r["application_no"] for r in records if "application_no" in r]
    numbers += [row["application_no"] for row in csv_rows]
    assert len(numbers) == len(set(numbers))


def test_every_planted_record_is_in_the_gazette(gazette_lines, records, planted):
    by_no = {r["application_no"]: r for r in records if "application_no" in r}
    for p in planted:
        if p["kind"] != "bad_record":
            rec = by_no[p["application_no"]]
            assert rec["mark"] == p["mark"]
        elif p["application_no"] is None:
            assert any("application_no" not in r and r["mark"] == p["mark"] for r in records)
        else:
            assert any(p["application_no"] in line for line in gazette_lines)


# -- the answer key tells the truth -----------------------------------------------------------


def _problems(line: str) -> list[str]:
    """Why a gazette line cannot be used; empty for a good record."""
    try:
        rec = json.loads(line)
    except json.JSONDecodeError:
        return ["not JSON"]
    found = []
    if not re.fullmatch(r"\d{8}", str(rec.get("application_no", ""))):
        found.append("application_no")
    if not rec.get("classes") or any(not isinstance(c, int) or not 1 <= c <= 45 for c in rec["classes"]):
        found.append("classes")
    for field in ("filing_date", "publication_date"):
        try:
            date.fromisoformat(rec[field])
        except (KeyError, ValueError):
            found.append(field)
    return found


def test_bad_records_are_bad_and_the_rest_good(gazette_lines, planted):
    bad_nos = {p["application_no"] for p in planted if p["kind"] == "bad_record"}
    bad_lines = [line for line in gazette_lines if _problems(line)]
    assert len(bad_lines) == len(bad_nos)
    for line in bad_lines:
        # every broken line is in the answer key, by number or (when it has none) as the one without
        assert any(no and no in line for no in bad_nos) or (None in bad_nos and "application_no" not in line)


def test_good_records_are_well_formed(records, goods_table):
    issues = dict(make_demo.ISSUES)
    for rec in records:
        if "application_no" not in rec or any(not 1 <= c <= 45 for c in rec["classes"]):
            continue
        try:
            filed = date.fromisoformat(rec["filing_date"])
            published = date.fromisoformat(rec["publication_date"])
        except ValueError:
            continue
        assert rec["mark_type"] in MARK_TYPES
        assert rec["office"] == "CN"
        assert (rec["mark"] == "") == (rec["mark_type"] == "figurative")
        assert issues[rec["gazette_issue"]] == published
        assert published.day in (6, 13, 20, 27)
        assert filed < published
        assert 2 <= len(rec["goods"]) <= 6
        groups_of_goods = set()
        for name in rec["goods"]:
            found = [g for c in rec["classes"] for g, names in goods_table[c].items() if name in names]
            assert found, f"{name} is not a goods text of class {rec['classes']}"
            groups_of_goods.add(found[0])
        if "similar_groups" in rec:
            assert set(rec["similar_groups"]) == groups_of_goods
            assert all(int(g[:2]) in rec["classes"] for g in rec["similar_groups"])


def test_some_records_leave_groups_out(records):
    share = sum("similar_groups" not in r for r in records) / len(records)
    assert 0.2 <= share <= 0.4


def test_planted_records_fit_their_kind(records, planted, brands):
    by_no = {r["application_no"]: r for r in records if "application_no" in r}
    for p in planted:
        if p["kind"] == "bad_record":
            continue
        brand = brands[p["brand_id"]]
        rec = by_no[p["application_no"]]
        if p["kind"] == "own_filing":
            assert rec["applicant"] == brand["owner"]
            assert brand["owner"] in brand.get("exclude_applicants", [])
        else:
            assert rec["applicant"] != brand["owner"]
        if p["kind"] == "other_class":
            assert not set(rec["classes"]) & set(brand["classes"])
            assert p["expect_alert"] is bool(brand.get("well_known"))
        elif p["kind"] in KNOCKOFF_KINDS:
            assert set(rec["classes"]) & set(brand["classes"])


def test_ordinary_marks_do_not_copy_watched_brands(records, csv_rows, planted, brands):
    planted_nos = {p["application_no"] for p in planted}
    names = [b["mark"] for b in brands.values()]
    aliases = [a.upper() for b in brands.values() for a in b.get("aliases", [])]
    for rec in [r for r in records if r.get("application_no") not in planted_nos] + csv_rows:
        mark = rec["mark"]
        assert not any(name in mark for name in names), mark
        assert not any(re.search(rf"\b{re.escape(alias)}\b", mark.upper()) for alias in aliases), mark


# -- the GBK CSV ------------------------------------------------------------------------------


def test_csv_is_gbk_with_the_documented_columns(csv_rows):
    raw = (DEMO / "gazette-extra-gbk.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert tuple(csv_rows[0]) == make_demo.CSV_COLUMNS
    issue, published = make_demo.EXTRA_ISSUE
    for row in csv_rows:
        assert row["gazette_issue"] == issue and row["publication_date"] == published.isoformat()
        assert all(1 <= int(c) <= 45 for c in row["classes"].split(";"))
        assert 2 <= len(row["goods"].split(";")) <= 6


def test_csv_issue_differs_from_the_jsonl_issues(records):
    assert make_demo.EXTRA_ISSUE[0] not in {r.get("gazette_issue") for r in records}


# -- watchlists -------------------------------------------------------------------------------


def test_watchlists_are_well_formed(goods_table):
    seen = set()
    for path in sorted(WATCHLISTS.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert spec["watchlist"] and spec["organisation"]
        assert spec["organisation_kind"] in ORG_KINDS
        assert spec["subscribers"]
        for sub in spec["subscribers"]:
            assert sub["organisation"] and (sub.get("email") or sub.get("webhook"))
        for brand in spec["brands"]:
            assert brand["brand_id"] not in seen
            seen.add(brand["brand_id"])
            assert brand["kind"] in BRAND_KINDS
            assert brand["classes"] and all(1 <= c <= 45 for c in brand["classes"])
            for group in brand.get("similar_groups", []):
                assert isinstance(group, str) and int(group[:2]) in brand["classes"]
                assert group in goods_table[int(group[:2])]
            if "threshold" in brand:
                assert 0 < brand["threshold"] <= 1
    assert len(seen) >= 30

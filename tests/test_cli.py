"""The command-line contract, run as a user would, on one database chained through MARKWATCH_DATABASE_URL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import DEMO, WATCHLISTS


def mw(tmp_path: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    env = {**os.environ, "MARKWATCH_DATABASE_URL": f"sqlite:///{tmp_path}/cli.db"}
    proc = subprocess.run([sys.executable, "-m", "markwatch", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"markwatch {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}\n{proc.stdout}")
    return proc


def test_compare_json_contract(tmp_path):
    out = json.loads(mw(tmp_path, "compare", "康师傅", "康帅傅", "--brand-classes", "30",
                        "--candidate-classes", "30", "--json").stdout)
    assert set(out) >= {"score", "similar", "reasons"}
    assert out["similar"] is True and 0 < out["score"] <= 1
    assert all(set(r) >= {"kind", "detail"} for r in out["reasons"])
    assert {"look", "goods"} <= {r["kind"] for r in out["reasons"]}
    unrelated = json.loads(mw(tmp_path, "compare", "华为", "华硕", "--json").stdout)
    assert unrelated["similar"] is False


def test_bad_classes_are_a_clear_error(tmp_path):
    proc = mw(tmp_path, "compare", "雪碧", "雷碧", "--brand-classes", "三十", check=False)
    assert proc.returncode != 0
    assert "classes" in proc.stderr


@pytest.mark.slow
def test_chained_commands(tmp_path):
    ingest = json.loads(mw(tmp_path, "ingest", str(DEMO / "gazette.jsonl"), str(DEMO / "gazette-extra-gbk.csv"),
                           "--json", check=False).stdout)
    assert [s["format"] for s in ingest] == ["jsonl", "csv"]
    assert all(s["read"] == s["stored"] + s["duplicates"] + s["quarantined"] for s in ingest)
    mw(tmp_path, "watchlist", "import", *map(str, sorted(WATCHLISTS.glob("*.yaml"))))
    run = json.loads(mw(tmp_path, "run", "--json").stdout)
    assert run["alerts_new"] > 0
    again = json.loads(mw(tmp_path, "run", "--json").stdout)
    assert again["alerts_new"] == 0
    alerts = json.loads(mw(tmp_path, "alerts", "list", "--limit", "5", "--json").stdout)
    assert len(alerts) == 5 and alerts[0]["opposition_deadline"]
    out = tmp_path / "alerts.xlsx"
    mw(tmp_path, "alerts", "export", "--format", "xlsx", "--out", str(out))
    assert out.stat().st_size > 0
    mw(tmp_path, "index", "build")  # search uses the index as it is and never builds it
    found = json.loads(mw(tmp_path, "search", "康师傅", "--classes", "30", "--top", "5", "--json").stdout)["results"]
    assert found and found[0]["score"] >= found[-1]["score"]
    assert any("帅" in r["mark"] or "師" in r["mark"] for r in found)
    q = json.loads(mw(tmp_path, "quarantine", "list", "--json").stdout)
    assert q and all(r["reason"] for r in q)


def test_watchlist_list_is_the_scoped_listing_and_shows_no_webhook(tmp_path):
    mw(tmp_path, "watchlist", "import", *map(str, sorted(WATCHLISTS.glob("*.yaml"))))
    rows = json.loads(mw(tmp_path, "watchlist", "list", "--json").stdout)
    assert rows and all(r["brands"] > 0 for r in rows)
    assert sum(r["subscribers"] for r in rows) > 0
    text = json.dumps(rows, ensure_ascii=False)
    # a subscriber's webhook may carry a secret in its URL: the listing names counts, not addresses
    assert "http" not in text and "@" not in text


def test_eval_combination_option(tmp_path):
    """`markwatch eval --combination learned` keeps the report's shape and says which combination scored."""
    pairs = tmp_path / "pairs.jsonl"  # constructed pairs
    pairs.write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in (
        {"id": "C1", "brand": "康师傅", "brand_classes": [30], "candidate": "康帅傅", "candidate_classes": [30],
         "label": "similar"},
        {"id": "C2", "brand": "康师傅", "brand_classes": [30], "candidate": "大白兔", "candidate_classes": [30],
         "label": "not_similar"},
    )) + "\n", encoding="utf-8")
    reports = {c: json.loads(mw(tmp_path, "eval", str(pairs), "--json", "--combination", c).stdout)
               for c in ("rules", "learned")}
    for name, report in reports.items():
        assert report["combination"] == name
        assert report["headline"]["recall"] == 1.0 and report["headline"]["precision"] == 1.0
    proc = mw(tmp_path, "eval", str(pairs), "--combination", "boosted", check=False)
    assert proc.returncode != 0

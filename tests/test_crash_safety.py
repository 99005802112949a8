"""Crash safety: a process killed with SIGKILL mid-ingest or mid-run, then run again, ends exactly where an
uninterrupted run ends: the same marks, the same alerts, no duplicates, nothing missing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from .conftest import DEMO, WATCHLISTS
from .servicekit import db_url

__all__ = ["db_url"]

GAZETTES = [str(DEMO / "gazette.jsonl"), str(DEMO / "gazette-extra-gbk.csv")]


def mw(url: str, *args: str, fault: str | None = None, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MARKWATCH_DATABASE_URL": url, "MARKWATCH_INGEST_BATCH": "500",
           "MARKWATCH_RUN_CHUNK": "700"}
    env.pop("MARKWATCH_FAULT", None)
    if fault:
        env["MARKWATCH_FAULT"] = fault
    return subprocess.run([sys.executable, "-m", "markwatch", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=600)


def snapshot(url: str) -> dict:
    engine = create_engine(url)
    with engine.connect() as c:
        marks = c.execute(text("select office, application_no, issue_key from gazette_marks")).all()
        alerts = c.execute(text(
            "select b.brand_id, g.application_no, g.issue_key, a.severity from alerts a "
            "join brands b on b.id = a.brand_pk join gazette_marks g on g.id = a.gazette_mark_id")).all()
        quarantine = c.execute(text("select file_sha256, locator from quarantine")).all()
    engine.dispose()
    return {"marks": sorted(marks), "alerts": sorted(alerts), "quarantine": sorted(quarantine),
            "duplicate_marks": len(marks) - len(set(marks)), "duplicate_alerts": len(alerts) - len(set(alerts))}


def full_job(url: str, cwd: Path, fault: str | None = None) -> list[int]:
    codes = [mw(url, "ingest", *GAZETTES, fault=fault if fault and fault.startswith("ingest") else None,
                cwd=cwd).returncode]
    codes.append(mw(url, "watchlist", "import", *map(str, sorted(WATCHLISTS.glob("*.yaml"))), cwd=cwd).returncode)
    codes.append(mw(url, "run", fault=fault if fault and fault.startswith("run") else None, cwd=cwd).returncode)
    return codes


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> dict:
    tmp = tmp_path_factory.mktemp("reference")
    url = f"sqlite:///{tmp}/reference.db"
    assert full_job(url, tmp) == [0, 0, 0]
    snap = snapshot(url)
    assert snap["marks"] and snap["alerts"]
    return snap


@pytest.mark.slow
@pytest.mark.parametrize("fault", [
    "ingest.before_commit:1", "ingest.after_commit:2", "ingest.before_commit:5",
    "run.before_commit:1", "run.after_commit:2", "run.before_commit:4",
])
def test_killed_then_rerun_matches_an_uninterrupted_run(db_url, tmp_path, reference, fault):
    codes = full_job(db_url, tmp_path, fault=fault)
    assert -signal.SIGKILL in codes, f"the fault {fault} never fired: {codes}"
    assert full_job(db_url, tmp_path) == [0, 0, 0]
    assert snapshot(db_url) == reference

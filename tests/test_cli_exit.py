"""The command line leaves the process without freeing its objects one by one, and loses nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from markwatch.cli.exit import exit_code

ROOT = Path(__file__).resolve().parents[1]


def _markwatch(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "MARKWATCH_DATABASE_URL": f"sqlite:///{tmp_path}/m.db",
           "MARKWATCH_INDEX_DIR": str(tmp_path / "indexes")}
    return subprocess.run([sys.executable, "-m", "markwatch", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


def test_exit_codes_follow_sys_exit(capsys):
    assert exit_code(None) == 0 and exit_code(3) == 3
    assert exit_code("no such file") == 1
    assert "no such file" in capsys.readouterr().err


def test_a_command_ends_with_its_exit_code_and_output(tmp_path):
    bad = _markwatch(["no-such-command"], tmp_path)
    assert bad.returncode == 2 and "No such command" in bad.stderr
    ok = _markwatch(["--help"], tmp_path)
    assert ok.returncode == 0 and "Usage" in ok.stdout


def test_the_database_file_alone_holds_every_commit_after_a_command(tmp_path):
    """SQLite's write-ahead log is folded into the file when the connections close at exit."""
    watchlist = ROOT / "watchlists"
    files = sorted(watchlist.glob("*.yaml"))[:1]
    done = _markwatch(["watchlist", "import", *map(str, files)], tmp_path)
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "m.db-wal").exists()
    with sqlite3.connect(tmp_path / "m.db") as db:
        assert db.execute("select count(*) from brands").fetchone()[0] > 0


def test_a_running_thread_is_waited_for(tmp_path):
    marker = tmp_path / "written"
    code = ("import threading, time, pathlib\n"
            "from markwatch.cli.exit import leave\n"
            "def late():\n"
            "    time.sleep(0.5)\n"
            f"    pathlib.Path({str(marker)!r}).write_text('done')\n"
            "threading.Thread(target=late).start()\n"
            "leave(5)\n")
    res = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
                         timeout=60)
    assert res.returncode == 5 and marker.read_text() == "done"

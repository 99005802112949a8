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
    assert {r["found_in"] for r in found} == {"商标文字"}  # the demo's marks carry no pictures
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


# ---------------------------------------------------------------- the operator's mistakes
@pytest.fixture
def cli(tmp_path, monkeypatch):
    """The CLI in-process on a seeded database, with the session's matching engines."""
    from typer.testing import CliRunner

    from markwatch.cli import app, common

    from .servicekit import make_service, seed

    svc = make_service(f"sqlite:///{tmp_path}/cli.db", tmp_path)
    seed(svc, tmp_path)
    svc.ingest([write_bad_record(tmp_path)])
    monkeypatch.setattr(common, "service", lambda: svc)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(app, list(args))
        assert not result.exception or isinstance(result.exception, SystemExit), \
            f"markwatch {' '.join(args)} raised {result.exception!r}\n{result.output}"  # never a traceback
        return result

    run.svc = svc
    return run


def write_bad_record(tmp_path: Path) -> Path:
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"application_no": "91000001", "mark": "雪碧乐", "classes": [32],
                                "publication_date": "2026-13-06"}, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("args, code, says", [
    (["alerts", "list", "--since", "yesterday"], 2, "not a date"),
    (["alerts", "list", "--until", "2026-02-30"], 2, "not a date"),
    (["alerts", "list", "--status", "approved"], 2, "unknown status 'approved'"),
    (["alerts", "list", "--severity", "urgent"], 2, "unknown severity 'urgent'"),
    (["alerts", "list", "--watchlist", "不存在的名单"], 2, "no watchlist '不存在的名单'"),
    (["alerts", "list", "--brand", "HZ-9999"], 2, "no brand 'HZ-9999'"),
    (["alerts", "list", "--since", "2026-12-01", "--until", "2026-01-01"], 2, "after"),
    (["search", "康师傅", "--top", "0"], 2, "--top"),
    (["eval", "missing.jsonl"], 2, "does not exist"),
    (["quarantine", "retry", "99"], 1, "99: not found"),
    (["quarantine", "retry", "1", "--set", "nofield=1"], 2, "unknown field 'nofield'"),
    (["quarantine", "retry", "1", "--set", "clases=32"], 2, "did you mean 'classes'?"),
    (["quarantine", "retry", "1", "--set", "=1"], 2, "field=value"),
    (["compare", "", "康帅傅"], 2, "the brand mark is empty"),
    (["compare", "康师傅", "  "], 2, "the candidate mark is empty"),
    (["alerts", "export", "--format", "pdf"], 2, "unknown export format"),
])
def test_ordinary_mistakes_end_with_a_clear_error(cli, args, code, says):
    result = cli(*args)
    assert result.exit_code == code, result.output
    assert says in " ".join(result.output.split()), result.output


def test_filters_read_dates_and_chinese_names_as_ingest_and_the_api_do(cli):
    result = cli("alerts", "list", "--since", "2026/10/20", "--json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert rows and all(r["publication_date"] >= "2026-10-20" for r in rows)
    assert json.loads(cli("alerts", "list", "--since", "2026年10月20日", "--json").stdout) == rows
    high = json.loads(cli("alerts", "list", "--severity", "高", "--json").stdout)
    assert high and all(r["severity"] == "high" for r in high)
    assert cli("alerts", "list", "--status", "新预警", "--json").exit_code == 0
    watchlist = cli.svc.alerts()[0]["watchlist"]
    assert cli("alerts", "list", "--watchlist", watchlist).exit_code == 0


def test_lists_say_how_many_of_how_many_and_the_version(cli):
    total = len(cli.svc.alerts())
    assert total >= 2
    out = cli("alerts", "list", "--limit", "1").output
    assert f"alerts (1 of {total})" in out and f"{total - 1} more" in out
    version = cli("--version")
    assert version.exit_code == 0 and version.output.strip().startswith("markwatch ")
    retried = cli("quarantine", "retry", "1", "--set", "publication_date=2026-11-06")
    assert retried.exit_code == 0 and "1: stored" in retried.output


def test_export_without_out_writes_a_dated_file(cli, tmp_path):
    result = cli("alerts", "export", "--format", "csv")
    assert result.exit_code == 0, result.output
    day = cli.svc.settings.today().strftime("%Y%m%d")
    assert (cli.svc.settings.export_dir / f"markwatch-alerts-{day}.csv").is_file()


def test_a_sqlite_url_in_a_missing_folder_is_refused(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "markwatch", "runs"], cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "MARKWATCH_DATABASE_URL": "sqlite:///no-such-folder/m.db"}, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "no-such-folder" in proc.stderr and "does not exist" in proc.stderr
    assert not (tmp_path / "no-such-folder").exists()  # nothing made behind the operator's back


WATCHLIST = """watchlist: 试用名单
organisation: 试用指导站
brands:
  - brand_id: T-1
    mark: 康师傅
    classes: [30]
  - brand_id: T-2
    mark: 雪碧
    classes: [三十二]
"""


def test_watchlist_import_is_all_or_nothing_per_file(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(WATCHLIST, encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(WATCHLIST.replace("[三十二]", "[32]").replace("试用名单", "正式名单"), encoding="utf-8")
    result = cli("watchlist", "import", str(bad), str(good))
    assert result.exit_code == 1
    out = " ".join(result.output.split())
    assert "brand 2" in out and "not imported" in out and "bad.yaml" in out
    names = {w["name"] for w in json.loads(cli("watchlist", "list", "--json").stdout)}
    assert "正式名单" in names and "试用名单" not in names  # no empty watchlist left behind


def test_unknown_and_misspelt_columns_are_reported(cli, tmp_path):
    misspelt = tmp_path / "misspelt.csv"
    misspelt.write_text("watchlist,organisation,brand_id,mrak,classes\n表格名单,试用指导站,C-1,康师傅,30\n",
                        encoding="utf-8")
    result = cli("watchlist", "import", str(misspelt))
    assert result.exit_code == 1
    assert "unknown column 'mrak'; did you mean 'mark'?" in " ".join(result.output.split())
    extra = tmp_path / "extra.csv"
    extra.write_text("watchlist,organisation,brand_id,mark,classes,备注\n表格名单,试用指导站,C-1,康师傅,30,老客户\n",
                     encoding="utf-8")
    result = cli("watchlist", "import", str(extra))
    assert result.exit_code == 0, result.output
    assert "ignored column(s) '备注'" in " ".join(result.output.split())
    assert "表格名单" in {w["name"] for w in json.loads(cli("watchlist", "list", "--json").stdout)}


def test_the_demo_says_how_to_see_its_alerts_afterwards(tmp_path):
    from .servicekit import GAZETTE, write_jsonl

    data = tmp_path / "data"
    data.mkdir()
    write_jsonl(data / "gazette.jsonl", GAZETTE)
    lists = tmp_path / "lists"
    lists.mkdir()
    (lists / "w.yaml").write_text(WATCHLIST.replace("[三十二]", "[32]"), encoding="utf-8")
    proc = mw(tmp_path, "demo", "--data-dir", str(data), "--watchlist-dir", str(lists),
              "--export-to", str(tmp_path / "out" / "alerts.xlsx"))
    assert f"export MARKWATCH_DATABASE_URL=sqlite:///{tmp_path}/cli.db" in proc.stdout


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

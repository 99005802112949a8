"""Export files on disk: an API export that fails leaves no temporary folder, a CLI export replaces its
file whole or not at all."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from markwatch.api import create_app

from .servicekit import STATION, World, make_service, seed

API = "/api/v1"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> World:
    tmp = tmp_path_factory.mktemp("exports")
    return seed(make_service(f"sqlite:///{tmp}/exports.db", tmp), tmp)


@pytest.fixture
def scratch(tmp_path, monkeypatch) -> Path:
    """The temporary folder the API puts its files in, watched by the test."""
    folder = tmp_path / "system-tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def _get(world: World, path: str, **params):
    client = TestClient(create_app(world.svc), raise_server_exceptions=False)
    return client.get(f"{API}{path}", headers={"Authorization": f"Bearer {world.tokens[STATION]}"}, params=params)


def test_a_served_export_leaves_no_folder_behind(world: World, scratch: Path):
    r = _get(world, "/alerts/export", format="csv")
    assert r.status_code == 200 and "康帅傅" in r.content.decode("utf-8-sig")
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize(("path", "params"), [
    ("/alerts/export", {"format": "xlsx", "sort": "no-such-column"}),
    ("/alerts/export", {"format": "jsonl", "since": "2026-12-01", "until": "2026-01-01"}),
    ("/alerts/statistics/export", {"since": "2026-12-01", "until": "2026-01-01"}),
    ("/alerts/999999/pack", {"format": "docx"}),
])
def test_a_refused_export_leaves_no_folder_behind(world: World, scratch: Path, path: str, params: dict):
    r = _get(world, path, **params)
    assert r.status_code in (400, 404), r.text
    assert list(scratch.iterdir()) == []


def test_an_export_that_cannot_be_written_leaves_no_folder_behind(world: World, scratch: Path, monkeypatch):
    from openpyxl import Workbook

    def disk_full(self, filename):
        Path(filename).write_bytes(b"PK\x03\x04 half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Workbook, "save", disk_full)  # openpyxl is the boundary: the disk fills mid-write
    for path in ("/alerts/export", "/alerts/statistics/export"):
        assert _get(world, path, format="xlsx").status_code == 500
        assert list(scratch.iterdir()) == []


# ---------------------------------------------------------------- files the CLI writes
@pytest.fixture
def cli(world: World, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from markwatch.cli import app, common

    monkeypatch.setattr(common, "service", lambda: world.svc)
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def _disk_fills_mid_write(monkeypatch, cls, method: str) -> None:
    """The library writes part of the file, then the disk is full."""
    def fail(self, target, *args, **kwargs):
        Path(target).write_bytes(b"PK\x03\x04 half a file")
        raise OSError(28, "No space left on device", str(target))

    monkeypatch.setattr(cls, method, fail)


def test_cli_export_replaces_the_file_whole(cli, tmp_path):
    out = tmp_path / "out" / "alerts.csv"
    out.parent.mkdir()
    out.write_text("上周的导出\n", encoding="utf-8")
    result = cli("alerts", "export", "--format", "csv", "--out", str(out))
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8-sig")
    assert text.startswith("预警编号") and "康帅傅" in text
    assert [p.name for p in out.parent.iterdir()] == ["alerts.csv"]


def test_a_failed_cli_export_keeps_the_previous_file_and_leaves_no_partial_one(cli, tmp_path, monkeypatch):
    from openpyxl import Workbook

    out = tmp_path / "out" / "alerts.xlsx"
    out.parent.mkdir()
    out.write_bytes(b"last week's workbook")
    _disk_fills_mid_write(monkeypatch, Workbook, "save")
    result = cli("alerts", "export", "--format", "xlsx", "--out", str(out))
    assert result.exit_code == 2 and not isinstance(result.exception, OSError)
    assert f"cannot use {out}: No space left on device" in " ".join(result.output.split())
    assert out.read_bytes() == b"last week's workbook"
    assert [p.name for p in out.parent.iterdir()] == ["alerts.xlsx"]
    fresh = tmp_path / "out" / "new.xlsx"
    assert cli("alerts", "export", "--format", "xlsx", "--out", str(fresh)).exit_code == 2
    assert not fresh.exists() and [p.name for p in out.parent.iterdir()] == ["alerts.xlsx"]


def test_failed_statistics_and_pack_files_leave_nothing_partial(cli, world: World, tmp_path, monkeypatch):
    from docx.document import Document
    from openpyxl import Workbook

    alert_id = world.svc.alerts_page(None)["items"][0]["alert_id"]
    _disk_fills_mid_write(monkeypatch, Workbook, "save")
    _disk_fills_mid_write(monkeypatch, Document, "save")
    folder = tmp_path / "out"
    for args in (("alerts", "stats", "--out", str(folder / "stats.xlsx")),
                 ("alerts", "pack", str(alert_id), "--out", str(folder / "pack.docx"))):
        result = cli(*args)
        assert result.exit_code == 2 and "No space left on device" in " ".join(result.output.split())
    assert list(folder.iterdir()) == []


def test_statistics_check_their_filter_as_the_alert_lists_do(world: World, cli):
    r = _get(world, "/alerts/statistics", since="2026-12-01", until="2026-01-01")
    assert r.status_code == 400 and "after" in r.json()["detail"]
    result = cli("alerts", "stats", "--since", "2026-12-01", "--until", "2026-01-01")
    assert result.exit_code == 2 and "since 2026-12-01 is after until 2026-01-01" in result.output
    everything = _get(world, "/alerts/statistics").json()["totals"]["total"]
    assert everything > 0 and cli("alerts", "stats", "--since", "2026/09/01").exit_code == 0

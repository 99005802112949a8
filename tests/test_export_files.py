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

"""`markwatch serve`: the app warms up before it takes requests, and --workers runs several processes."""

from __future__ import annotations

import gc
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from markwatch.api.app import create_app

from .conftest import make_service

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _station_to_serve(tmp_path: Path) -> tuple[str, dict[str, str], int]:
    """A station's token, the environment `markwatch serve` reads, and a free port."""
    url = f"sqlite:///{tmp_path}/w.db"
    svc = make_service(tmp_path, url)
    _, token = svc.create_org("苏州市商标品牌指导站", "station")
    svc.db.dispose()
    env = {**os.environ, "MARKWATCH_DATABASE_URL": url, "MARKWATCH_INDEX_DIR": str(tmp_path / "indexes"),
           "PYTHONPATH": str(ROOT / "src")}
    return token, env, _free_port()


def _first_compare(proc: subprocess.Popen, port: int, token: str) -> httpx.Response | None:
    """The first compare the server answers, asked until it is up (or it has ended)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            return httpx.post(f"http://127.0.0.1:{port}/api/v1/compare", timeout=60,
                              headers={"Authorization": f"Bearer {token}"},
                              json={"brand": "康师傅", "candidate": "康帥傅"})
        except httpx.HTTPError:
            time.sleep(0.5)
    return None


def test_the_served_app_builds_its_matcher_before_the_first_request(tmp_path):
    svc = make_service(tmp_path)
    cold = create_app(make_service(tmp_path / "cold"))
    with TestClient(cold):
        assert cold.state.service.engines._matcher is None  # built on first use only
    warm = create_app(svc, warm_up=True)
    try:
        with TestClient(warm):
            assert svc.engines._matcher is not None
            # what the warm-up loaded is kept out of the cyclic collector's walks
            assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # this test process goes on to other tests


def test_serve_with_two_workers_answers_compare_from_two_processes(tmp_path):
    token, env, port = _station_to_serve(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "markwatch", "serve", "--port", str(port), "--workers", "2",
                             "--log-level", "warning"], cwd=tmp_path, env=env)
    try:
        answer = _first_compare(proc, port, token)
        assert answer is not None and answer.status_code == 200, answer and answer.text
        assert answer.json()["score"] >= 0.6
        commands = {p: Path(f"/proc/{p}/cmdline").read_text() for p in _children(proc.pid)}
        workers = [p for p, cmd in commands.items() if "multiprocessing" in cmd and "resource_tracker" not in cmd]
        assert len(workers) >= 2, workers
    finally:
        proc.terminate()
        proc.wait(timeout=60)


@pytest.mark.skipif(sys.platform == "win32", reason="the project installs uvloop only where it runs (not on Windows)")
def test_serve_takes_the_c_http_parser_and_event_loop_the_project_installs(tmp_path):
    import uvicorn
    import uvloop
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    config = uvicorn.Config(create_app(make_service(tmp_path)))  # as `serve` builds it: loop and http "auto"
    config.load()
    assert config.http_protocol_class is HttpToolsProtocol
    loop = config.get_loop_factory()()
    try:
        assert isinstance(loop, uvloop.Loop)
    finally:
        loop.close()


def test_serve_answers_without_httptools_and_uvloop(tmp_path):
    token, env, port = _station_to_serve(tmp_path)
    # as on a machine without them: importing either fails, so uvicorn falls back to h11 and asyncio's loop
    code = ("import sys; sys.modules['httptools'] = sys.modules['uvloop'] = None; "
            "from markwatch.cli import app; sys.argv[0] = 'markwatch'; app()")
    proc = subprocess.Popen([sys.executable, "-c", code, "serve", "--port", str(port), "--log-level", "warning"],
                            cwd=tmp_path, env=env)
    try:
        answer = _first_compare(proc, port, token)
        assert answer is not None and answer.status_code == 200, answer and answer.text
        assert answer.json()["score"] >= 0.6
    finally:
        proc.terminate()
        proc.wait(timeout=60)

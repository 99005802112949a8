"""Shared pieces of the service tests: database backends, a seeded service, local HTTP servers.

Imported by the test modules (``from servicekit import ...``); nothing here talks to anything but
127.0.0.1. The matcher (goods table, lexicon) is built once per test session and shared.
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from markwatch.composition import Engines, MatcherSpec, build_matcher
from markwatch.config import Settings
from markwatch.service.facade import Service

POSTGRES_URL = os.environ.get("MARKWATCH_TEST_POSTGRES_URL")

# A small 初步审定公告: clear knock-offs of watched brands, and ordinary marks.
GAZETTE = [
    {"application_no": "90000001", "mark": "康帅傅", "classes": [30], "goods": ["方便面", "饼干"],
     "applicant": "某某食品有限公司", "agent": "某某商标代理有限公司", "publication_date": "2026-09-20",
     "gazette_issue": "1990"},
    {"application_no": "90000002", "mark": "雷碧", "classes": [32], "goods": ["汽水", "果汁饮料"],
     "applicant": "某某饮料有限公司", "publication_date": "2026-10-20", "gazette_issue": "2004"},
    {"application_no": "90000003", "mark": "青山绿水", "classes": [30], "goods": ["茶"],
     "applicant": "安吉某茶叶合作社", "publication_date": "2026-10-20", "gazette_issue": "2004"},
    {"application_no": "90000004", "mark": "娃哈哈", "classes": [29], "goods": ["牛奶制品"],
     "applicant": "某某乳业有限公司", "publication_date": "2026-10-27", "gazette_issue": "2005"},
]
# More knock-offs of 康师傅, so that delivery has several alerts to keep in order.
MORE_KNOCKOFFS = [
    {"application_no": "90000011", "mark": "康帅傅", "classes": [30], "goods": ["方便面"],
     "applicant": "甲食品厂", "publication_date": "2026-10-27", "gazette_issue": "2005"},
    {"application_no": "90000012", "mark": "康帅傅", "classes": [30], "goods": ["米粉"],
     "applicant": "乙食品厂", "publication_date": "2026-11-06", "gazette_issue": "2006"},
]

STATION = "杭州市商标品牌指导站"
ASSOCIATION = "杭州市食品行业协会"
OTHER = "宁波市商标品牌指导站"
ADMIN = "市场监管局管理员"

BRANDS_A = [
    {"brand_id": "HZ-0002", "mark": "康师傅", "classes": [30], "aliases": ["KANGSHIFU"]},
    {"brand_id": "HZ-0003", "mark": "雪碧", "classes": [32]},
]
BRANDS_C = [{"brand_id": "NB-0001", "mark": "娃哈哈", "classes": [29, 30, 32]}]


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- engines
@lru_cache(maxsize=1)
def shared_engines(tmp_root: str) -> Engines:
    """The matching engines, built once; every test Service reuses them (building takes seconds)."""
    return Engines.of(build_matcher(MatcherSpec.from_settings(Settings())))


def make_service(url: str, tmp: Path, **overrides) -> Service:
    values = {"database_url": url, "download_dir": tmp / "downloads", "index_dir": tmp / "indexes",
              "export_dir": tmp / "exports", "http_timeout": 5.0, "webhook_timeout": 2.0,
              "delivery_backoff_seconds": 0.05, "delivery_backoff_max_seconds": 1.0, "lock_lease_seconds": 30.0,
              "smtp_timeout": 5.0,
              # the tests' receivers and sources listen on loopback, which the outbound policy refuses by default
              "outbound_allow": ("127.0.0.1/32",)}
    settings = Settings(**{**values, **overrides})
    # every test service shares the session's engines (building them takes seconds)
    return Service(settings=settings, engines=shared_engines(str(tmp.parent)))


def clone_service(svc: Service, **overrides) -> Service:
    """Another Service on the same database with its own engine (as another process would have)."""
    settings = Settings(**{**svc.settings.__dict__, **overrides})
    return Service(settings=settings, engines=svc.engines)


def _pg_schema_url(base: str, schema: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path) -> Iterator[str]:
    """A fresh database on SQLite and, when MARKWATCH_TEST_POSTGRES_URL is set, on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/t.db"
        return
    if not POSTGRES_URL:
        pytest.skip("MARKWATCH_TEST_POSTGRES_URL is not set (eval \"$(bash scripts/ci_services.sh)\")")
    from sqlalchemy import create_engine, text

    schema = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as conn:
        conn.execute(text(f'create schema "{schema}"'))
    try:
        yield _pg_schema_url(POSTGRES_URL, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'drop schema "{schema}" cascade'))
        admin.dispose()


# ---------------------------------------------------------------- a seeded world
@dataclass
class World:
    svc: Service
    tokens: dict[str, str]
    watchlist_a: int  # owned by STATION, subscribed by ASSOCIATION
    watchlist_c: int  # owned by OTHER
    gazette: Path


def seed(svc: Service, tmp: Path, *, run: bool = True, extra_records: list[dict] | None = None) -> World:
    tokens = {}
    for name, kind in ((STATION, "station"), (ASSOCIATION, "association"), (OTHER, "station"), (ADMIN, "admin")):
        tokens[name] = svc.create_org(name, kind)[1]
    station = svc.as_org(svc.authenticate(tokens[STATION]))
    other = svc.as_org(svc.authenticate(tokens[OTHER]))
    wa = station.create_watchlist("杭州重点商标", "辖区驰名商标")["id"]
    for b in BRANDS_A:
        station.create_brand(wa, b)
    wc = other.create_watchlist("宁波重点商标")["id"]
    for b in BRANDS_C:
        other.create_brand(wc, b)
    gazette = write_jsonl(tmp / "gazette.jsonl", GAZETTE + (extra_records or []))
    svc.ingest([gazette])
    if run:
        svc.run()
    return World(svc=svc, tokens=tokens, watchlist_a=wa, watchlist_c=wc, gazette=gazette)


def confirm_addresses(svc: Service) -> None:
    """Every subscribed e-mail address confirmed, as if each had pressed its link (the confirmation
    itself is tested in test_email_confirmation.py)."""
    from sqlalchemy import select

    from markwatch.service.email_addresses import trust
    from markwatch.store.tables import Subscription

    with svc.db.session() as s:
        for sub in s.scalars(select(Subscription).where(Subscription.email.is_not(None))):
            trust(s, sub.organisation_id, sub.email)


# ---------------------------------------------------------------- a local HTTP server
@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    status: int


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:  # a client that hung up: expected in tests
        pass


@dataclass
class LocalServer:
    """http.server in a thread on 127.0.0.1; ``handler(request) -> (status, headers, body)``."""

    handle: Callable[[LocalServer, Recorded], tuple[int, dict[str, str], bytes]]
    requests: list[Recorded] = field(default_factory=list)
    port: int = 0
    httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LocalServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                rec = Recorded(self.command, self.path, {k: v for k, v in self.headers.items()}, body, 0)
                status, headers, payload = server.handle(server, rec)
                rec.status = status
                server.requests.append(rec)
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                if status != 304:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if status != 304 and self.command != "HEAD":
                    self.wfile.write(payload)

            do_GET = do_POST = do_HEAD = _serve

            def log_message(self, *args) -> None:  # quiet
                pass

        self.httpd = _QuietServer(("127.0.0.1", self.port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
            self.httpd = None


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0, interval: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()

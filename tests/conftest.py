"""Shared fixtures: a service on a fresh SQLite database, and the shipped demo data."""

from __future__ import annotations

from pathlib import Path

import pytest

from markwatch.config import Settings
from markwatch.service.facade import Service

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
WATCHLISTS = ROOT / "watchlists"
SHARED = ROOT.parent / "shared"


def make_service(tmp_path: Path, url: str | None = None) -> Service:
    settings = Settings(database_url=url or f"sqlite:///{tmp_path}/markwatch.db", index_dir=tmp_path / "indexes",
                        export_dir=tmp_path / "exports")
    return Service(settings=settings)


@pytest.fixture
def service(tmp_path: Path) -> Service:
    svc = make_service(tmp_path)
    yield svc
    svc.db.dispose()


@pytest.fixture(scope="session")
def demo_service(tmp_path_factory) -> Service:
    """The demo gazette and watchlists ingested and run once, shared read-only by several tests."""
    tmp = tmp_path_factory.mktemp("demo")
    svc = make_service(tmp)
    svc.ingest(sorted(DEMO.glob("gazette*")))
    svc.import_watchlists(sorted(WATCHLISTS.glob("*.yaml")))
    svc.run()
    return svc

"""The service layer: every entry point (CLI, API, web, scheduler) calls these use cases.

Engines (database, matcher with its goods table and lexicon) are built once, when first needed, and
passed down; nothing is built at import time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Callable, Sequence

from sqlalchemy import func, select

from .alerts import AlertFilter, export_alerts, list_alerts
from .config import Settings
from .ingest import IngestSummary, Ingestor, quarantine_entries, retry_quarantined
from .matcher import Matcher
from .model import Match
from .normalise import Normaliser
from .store.db import Database
from .store.tables import AlertRow, BrandRow, GazetteMark, Run
from .watch import RunSummary, Watcher
from .watchlists import ImportSummary, import_watchlist_files


@dataclass
class Service:
    settings: Settings = field(default_factory=Settings.load)
    _db: Database | None = None

    @property
    def db(self) -> Database:
        if self._db is None:
            self._db = Database(self.settings.database_url)
        return self._db

    @cached_property
    def normaliser(self) -> Normaliser:
        return Normaliser()

    @cached_property
    def matcher(self) -> Matcher:
        from .goods import SimilarGoodsTable
        from .lexicon import Lexicon

        embedder = None
        if self.settings.embedding_model_path:
            from .comparisons.meaning import Embedder

            embedder = Embedder.from_path(self.settings.embedding_model_path)
        return Matcher(normaliser=self.normaliser, goods_table=SimilarGoodsTable.load(), lexicon=Lexicon.load(),
                       embedder=embedder, default_threshold=self.settings.default_threshold)

    # ---------------------------------------------------------------- use cases
    def ingest(self, paths: Sequence[Path], *, source: str | None = None,
               progress: Callable[[int], None] | None = None) -> list[IngestSummary]:
        ingestor = Ingestor(self.db, self.normaliser)
        return [ingestor.ingest_file(Path(p), source=source, progress=progress) for p in paths]

    def import_watchlists(self, paths: Sequence[Path]) -> ImportSummary:
        return import_watchlist_files(self.db, [Path(p) for p in paths])

    def run(self, *, kind: str = "manual", progress: Callable[[int, int], None] | None = None,
            engine: str = "local", scheduler_address: str | None = None) -> RunSummary:
        return Watcher(self.db, self.matcher).run(kind=kind, progress=progress, engine=engine,
                                                  scheduler_address=scheduler_address)

    def compare(self, brand: str, candidate: str, *, brand_classes: Sequence[int] = (),
                candidate_classes: Sequence[int] = ()) -> Match:
        return self.matcher.compare(brand, candidate, brand_classes=brand_classes,
                                    candidate_classes=candidate_classes)

    def search(self, mark: str, *, classes: Sequence[int] = (), top: int = 10) -> list[dict]:
        from .search import search_register

        return search_register(self.db, self.matcher, mark, classes=classes, top=top)

    def alerts(self, f: AlertFilter | None = None) -> list[dict]:
        with self.db.session() as s:
            return list_alerts(s, f or AlertFilter())

    def export(self, fmt: str, out: Path, f: AlertFilter | None = None) -> tuple[Path, int]:
        rows = self.alerts(f)
        return export_alerts(rows, fmt, out), len(rows)

    def quarantine(self, *, include_resolved: bool = False) -> list[dict]:
        return quarantine_entries(self.db, include_resolved=include_resolved)

    def retry_quarantine(self, ids: Sequence[int], fixes: dict[int, dict] | None = None) -> dict[int, str]:
        return retry_quarantined(self.db, self.normaliser, ids, fixes)

    def runs(self, limit: int = 20) -> list[dict]:
        with self.db.session() as s:
            rows = s.scalars(select(Run).order_by(Run.id.desc()).limit(limit))
            return [
                {"id": r.id, "kind": r.kind, "status": r.status, "engine": r.engine,
                 "started_at": r.started_at.isoformat() if r.started_at else None,
                 "finished_at": r.finished_at.isoformat() if r.finished_at else None,
                 "files": r.files, "marks_ingested": r.marks_ingested, "marks_matched": r.marks_matched,
                 "pairs_compared": r.pairs_compared, "alerts_new": r.alerts_new, "alerts_total": r.alerts_total,
                 "error": r.error}
                for r in rows
            ]

    def counts(self) -> dict:
        with self.db.session() as s:
            return {
                "gazette_marks": s.scalar(select(func.count(GazetteMark.id))) or 0,
                "brands": s.scalar(select(func.count(BrandRow.id))) or 0,
                "alerts": s.scalar(select(func.count(AlertRow.id))) or 0,
            }

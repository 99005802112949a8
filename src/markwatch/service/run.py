"""The run use case: match every gazette mark not yet compared with each brand, and store alerts.

Each brand remembers the highest gazette mark id it has been compared with (`matched_through`). A run
walks the marks above the lowest of those in id order, in chunks; each chunk's alerts and the brands'
new high-water marks are committed together, so a run killed at any point is simply run again: alerts
are unique per (brand, gazette mark) and nothing is compared twice.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Date, Text, bindparam, func, select, type_coerce, update

from markwatch import faults
from markwatch.blocking.key_index import KeyIndex
from markwatch.collector import collector_paused
from markwatch.deadline import WorkCalendar, deadline_of
from markwatch.matching.matcher import BrandProfile, MarkProfile, Matcher
from markwatch.scale.engines import MarkInput, PairResult, ScreeningContext, make_engine, screen_profiles
from markwatch.store.db import Database
from markwatch.store.rows import SCREENED_COLUMNS, ScreenedMark, brand_from_row
from markwatch.store.tables import AlertRow, BrandRow, GazetteMark, Run, core_table
from markwatch.text.normalise import NORMALISER_VERSION, NormalisedMark

if TYPE_CHECKING:
    from markwatch.service.pictures import Pictures

CHUNK = 20000

# The screened columns SQLite hands back as stored text, decoded by the run itself (`Watcher._read_chunk`);
# the normal form stays text until the mark is screened (`engines.stored_normals`).
_JSON_POSITIONS = tuple(n for n, c in enumerate(SCREENED_COLUMNS)
                        if isinstance(c.type, JSON) and c.key != "normal")
_TEXT_JSON_POSITIONS = tuple(n for n, c in enumerate(SCREENED_COLUMNS) if c.key == "normal")
_DATE_POSITIONS = tuple(n for n, c in enumerate(SCREENED_COLUMNS) if isinstance(c.type, Date))
_RAW = {SCREENED_COLUMNS[n].key: type_coerce(SCREENED_COLUMNS[n], Text)
        for n in _JSON_POSITIONS + _TEXT_JSON_POSITIONS + _DATE_POSITIONS}


class _StoredDates:
    """A Date column's stored text read as SQLAlchemy's Date type reads it, once per distinct text
    (a gazette's marks share a few publication dates)."""

    def __init__(self, dialect) -> None:
        self._read = Date().dialect_impl(dialect).result_processor(dialect, None)
        self._seen: dict[str, Any] = {}

    def __call__(self, value: str | None) -> date | None:
        if value is None:
            return None
        if value not in self._seen:
            self._seen[value] = self._read(value) if self._read is not None else value
        return self._seen[value]


@dataclass
class RunSummary:
    run_id: int
    marks_matched: int = 0
    pairs_compared: int = 0
    alerts_new: int = 0
    alerts_total: int = 0
    alerts_suppressed: int = 0  # similar pairs a station had dismissed for the same mark and goods
    seconds: float = 0.0
    status: str = "done"
    error: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


def mark_profile(matcher: Matcher, m: GazetteMark) -> MarkProfile:
    normal = None
    if m.normal and m.normaliser_version == NORMALISER_VERSION:
        normal = NormalisedMark.from_dict(m.normal)
    return matcher.profile_mark(m.mark or "", m.classes or (), goods=m.goods or (),
                                similar_groups=m.similar_groups or (), applicant=m.applicant, ref=m.id,
                                normal=normal)


def screen(matcher: Matcher, index: KeyIndex, brands: Sequence[BrandProfile], marks: Sequence[MarkProfile],
           *, eligible: Callable[[int, int], bool] = lambda i, j: True) -> tuple[list[PairResult], int]:
    """Compare each mark with its candidate brands; returns the similar pairs and the number compared.

    Candidates come from the key index (`blocking.key_index.KeyIndex.candidate_pairs`: blocking keys, the
    Latin `cdist`, the goods filter); only they meet the full scorer.
    """
    return screen_profiles(matcher, index, brands, marks, eligible=eligible)


class Watcher:
    def __init__(self, db: Database, matcher: Matcher, *, index_dir: Path | None = None,
                 embedding_model_path: str | None = None, chunk: int = CHUNK,
                 goods_notes_path: str | None = None, pictures: Pictures | None = None,
                 word_counts_path: str | None = None):
        self.db = db
        self.pictures = pictures  # the image folder and picture features; None: pictures are not compared
        self.matcher = matcher
        self.chunk = max(1, chunk)
        # Where the watchlist index is kept between runs (settings.index_dir); None: built per run.
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.embedding_model_path = embedding_model_path
        self.calendar = WorkCalendar()  # chinese_calendar and the operator's holiday arrangements, per run
        self.goods_notes_path = goods_notes_path  # workers elsewhere read the same notes file
        self.word_counts_path = word_counts_path  # ... and the same word counts

    def run(self, *, kind: str = "manual", progress: Callable[[int, int], None] | None = None,
            engine: str = "local", scheduler_address: str | None = None) -> RunSummary:
        started = time.perf_counter()
        with self.db.session() as s:
            run = Run(kind=kind, engine=engine)
            s.add(run)
            s.flush()
            run_id = run.id
        summary = RunSummary(run_id=run_id)
        try:
            self._run(summary, progress, engine, scheduler_address)
            summary.status = "done"
        except BaseException as exc:
            summary.status = "failed"
            summary.error = f"{type(exc).__name__}: {exc}"
            self._finish(summary, started)
            raise
        self._finish(summary, started)
        return summary

    def _finish(self, summary: RunSummary, started: float) -> None:
        summary.seconds = round(time.perf_counter() - started, 3)
        with self.db.session() as s:
            summary.alerts_total = s.scalar(select(func.count(AlertRow.id))) or 0
            run = s.get(Run, summary.run_id)
            if run is not None:
                run.status = summary.status
                run.error = summary.error
                run.finished_at = datetime.now(timezone.utc)
                run.marks_matched = summary.marks_matched
                run.pairs_compared = summary.pairs_compared
                run.alerts_new = summary.alerts_new
                run.alerts_total = summary.alerts_total
                run.alerts_suppressed = summary.alerts_suppressed

    def _load_brands(self) -> tuple[list[BrandRow], list[BrandProfile]]:
        with self.db.session() as s:
            rows = list(s.scalars(select(BrandRow).order_by(BrandRow.id)))
        brands = [brand_from_row(r) for r in rows]
        self.matcher.normaliser.add_brand_words(w for b in brands for w in (b.mark, *b.aliases))
        return rows, [self.matcher.profile_brand(b) for b in brands]

    def _watch_index(self, rows: list[BrandRow]) -> tuple[KeyIndex, list[BrandProfile]]:
        from markwatch.scale.watch_index import build_watch_index, ensure_watch_index

        brands = [brand_from_row(r) for r in rows]
        if self.index_dir is None:
            return build_watch_index(brands, self.matcher)
        return ensure_watch_index(self.index_dir / "watchlist", brands, self.matcher)

    def _run(self, summary: RunSummary, progress, engine: str, scheduler_address: str | None) -> None:
        with self.db.session() as s:
            rows = list(s.scalars(select(BrandRow).order_by(BrandRow.id)))
        if not rows:
            return
        with self.db.session() as s:
            max_id = s.scalar(select(func.max(GazetteMark.id))) or 0
            total = s.scalar(select(func.count(GazetteMark.id)).where(
                GazetteMark.id > min(r.matched_through for r in rows))) or 0
        low = min(r.matched_through for r in rows)
        if max_id <= low:
            return
        from markwatch.service.holidays import work_calendar

        self.calendar = work_calendar(self.db)
        runner = make_engine(engine, scheduler_address=scheduler_address)
        try:
            index, profiles = self._watch_index(rows)
            profiles, logos = self._with_figures(rows, profiles)
            ctx = ScreeningContext(brands=[p.brand for p in profiles], profiles=profiles, index=index,
                                   default_threshold=self.matcher.default_threshold,
                                   embedding_model_path=self.embedding_model_path,
                                   goods_notes_path=self.goods_notes_path,
                                   word_counts_path=self.word_counts_path,
                                   combination=self.matcher.combination_name, pictures=logos)
            if runner.name != "local" and self.matcher.embedder is not None and not self.embedding_model_path:
                from markwatch.errors import ConfigError

                raise ConfigError("the dask engine rebuilds the embedding model on each worker and needs its "
                                  "path: run through the service (settings.embedding_model_path)")
            watermarks = [r.matched_through for r in rows]
            cursor = low
            done = 0
            matcher = self.matcher if runner.name == "local" else None
            # With an engine whose workers run apart (forked local workers), the next chunk is read
            # and handed to them before the last one's results are committed, so that they screen
            # it meanwhile; commits stay in chunk order. A chunk's marks are all above the last
            # one's, so the watermarks it is screened with, taken before the last commit raised them
            # to that chunk's end, exclude the same pairs. Otherwise each chunk is read, screened
            # and committed before the next is read.
            ahead = bool(getattr(runner, "works_apart", False))
            pending: tuple | None = None

            def land(chunk: list[ScreenedMark], job) -> None:
                nonlocal done
                result = job()
                chunk_max = chunk[-1].id
                with collector_paused():
                    new, suppressed = self._commit_chunk(summary.run_id, chunk, rows, result.hits, chunk_max)
                summary.alerts_new += new
                summary.alerts_suppressed += suppressed
                for j, w in enumerate(watermarks):
                    watermarks[j] = max(w, chunk_max)
                summary.marks_matched += len(chunk)
                summary.pairs_compared += result.compared
                done += len(chunk)
                if progress:
                    progress(done, total)

            while True:
                chunk: list[ScreenedMark] = []
                if cursor < max_id:
                    with collector_paused():
                        chunk = self._read_chunk(cursor, max_id)
                        inputs = self._inputs(chunk) if chunk else []
                job = runner.submit(ctx, inputs, list(watermarks), matcher=matcher) if chunk else None
                if pending is not None:
                    land(*pending)
                    pending = None
                if not chunk:
                    break
                if ahead:
                    pending = (chunk, job)
                else:
                    land(chunk, job)
                cursor = chunk[-1].id
        finally:
            runner.close()

    def _read_chunk(self, cursor: int, max_id: int) -> list[ScreenedMark]:
        """The next chunk of marks above `cursor`, in id order. On SQLite the JSON and date columns
        are read as their stored text and decoded here, a column of a chunk in one `json.loads`
        (the same values SQLAlchemy's JSON and Date types give, without a call per value); the
        normal form is left as its stored text, which screening decodes (a JSON null as None)."""
        where = (GazetteMark.id > cursor, GazetteMark.id <= max_id)
        with self.db.session() as s:
            if not self.db.is_sqlite:
                return [ScreenedMark(*r) for r in s.execute(
                    select(*SCREENED_COLUMNS).where(*where).order_by(GazetteMark.id).limit(self.chunk))]
            # Core rows, not the ORM's result machinery: plain columns, nothing to load into objects.
            raw = s.connection().execute(select(*(_RAW.get(c.key, c) for c in SCREENED_COLUMNS)).where(*where)
                                         .order_by(GazetteMark.id).limit(self.chunk)).all()
        if not raw:
            return []
        columns = [list(col) for col in zip(*raw)]
        for n in _JSON_POSITIONS:
            col = columns[n]
            if None in col:
                col = ["null" if v is None else v for v in col]
            columns[n] = json.loads("[" + ",".join(col) + "]")
        for n in _TEXT_JSON_POSITIONS:
            columns[n] = [None if v is None or v == "null" else v for v in columns[n]]
        dates = _StoredDates(self.db.engine.dialect)
        for n in _DATE_POSITIONS:
            columns[n] = [dates(v) for v in columns[n]]
        return [ScreenedMark._make(r) for r in zip(*columns)]

    def _with_figures(self, rows: list[BrandRow], profiles: list[BrandProfile]):
        """The brand profiles with their logos and Vienna codes, and the index of the logos (or None)."""
        from markwatch.images.index import PictureIndex
        from markwatch.service.pictures import brand_figures

        figures = brand_figures(self.pictures, rows)
        if not any(f is not None for f in figures):
            return profiles, None
        profiles = [replace(p, figure=f) if f is not None else p for p, f in zip(profiles, figures)]
        logos = PictureIndex.of((j, getattr(f, "picture", None)) for j, f in enumerate(figures))
        return profiles, (logos if len(logos) else None)

    def _inputs(self, chunk: list[ScreenedMark]) -> list[MarkInput]:
        from markwatch.service.pictures import mark_figures

        inputs = [MarkInput.of(m) for m in chunk]
        if not any(m.image_ref or m.vienna_codes for m in chunk):
            return inputs
        return [replace(inp, figure=figure, words=words) if figure is not None else inp
                for inp, (figure, words) in zip(inputs, mark_figures(self.pictures, chunk))]

    def _commit_chunk(self, run_id: int, chunk: list[ScreenedMark], rows: list[BrandRow], hits: list[PairResult],
                      chunk_max: int) -> tuple[int, int]:
        """Store the chunk's new alerts; (alerts stored, pairs left out because the station dismissed them)."""
        from markwatch.service.dismissals import dismissed_keys, fingerprint_of

        new = suppressed = 0
        deadlines: dict[tuple, tuple] = {}  # a gazette issue's marks share their publication dates
        with self.db.session() as s:
            existing = set()
            dismissed: set = set()
            if hits:
                mark_ids = list({chunk[h.mark_pos].id for h in hits})
                for i in range(0, len(mark_ids), 500):
                    existing |= {(r[0], r[1]) for r in s.execute(
                        select(AlertRow.brand_pk, AlertRow.gazette_mark_id)
                        .where(AlertRow.gazette_mark_id.in_(mark_ids[i:i + 500])))}
                dismissed = dismissed_keys(s, [chunk[h.mark_pos].application_no for h in hits])
            alerts = []
            for h in hits:
                m, b = chunk[h.mark_pos], rows[h.brand_pos]
                if (b.id, m.id) in existing:
                    continue
                if dismissed and (b.watchlist_id, b.brand_id, m.office, m.application_no, fingerprint_of(m)) in dismissed:
                    suppressed += 1  # the same brand and the same mark content: it stays dismissed
                    continue
                when = (m.procedure, m.publication_date, m.wipo_publication_date)
                if when not in deadlines:
                    deadlines[when] = deadline_of(*when, self.calendar)
                deadline, missing = deadlines[when]
                alerts.append(dict(
                    brand_pk=b.id, gazette_mark_id=m.id, watchlist_id=b.watchlist_id, score=h.match.score,
                    severity=h.match.severity, reasons=[r.as_dict() for r in h.match.reasons],
                    opposition_deadline=deadline.date if deadline else None,
                    deadline_note=deadline.note if deadline else missing,
                    deadline_rule=deadline.rule if deadline else None,
                    deadline_calendar=deadline.calendar if deadline else None,
                    run_id=run_id,
                ))
                existing.add((b.id, m.id))
            if alerts:
                s.execute(core_table(AlertRow).insert(), alerts)  # one executemany, not an ORM object each
            new = len(alerts)
            # Advance only the brand version this run loaded: a brand edited meanwhile (PATCH, import: a
            # new `updated_at`, `matched_through` reset to 0) was compared here in its old form, so it
            # keeps its reset mark and the next run compares the new version. The run's own write keeps
            # `updated_at`, which therefore changes only when the brand does.
            brands = core_table(BrandRow)
            s.execute(update(brands).where(brands.c.id == bindparam("row_id"),
                                           brands.c.updated_at == bindparam("seen_at"),
                                           brands.c.matched_through < chunk_max)
                      .values(matched_through=chunk_max, updated_at=brands.c.updated_at),
                      [{"row_id": r.id, "seen_at": r.updated_at} for r in rows])
            faults.point("run.before_commit")
        faults.point("run.after_commit")
        return new, suppressed

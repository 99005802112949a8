"""Ingest use case: every record of a gazette file is stored, quarantined with its reason, or counted as
skipped with its reason (not watched: another announcement type, a designation of another country).

Idempotent: the identity office + application number + gazette issue is unique in the table, and the
quarantine is unique on (file checksum, place in file), so re-running a file (after a crash or on
purpose) stores nothing twice. Work is committed in batches; a crash loses at most the open batch,
which the next run stores.

A large JSON Lines file can be worked on by forked processes (the ingest command's, after
`MARKWATCH_LOCAL_WORKERS`, which the command line sets to its cores; a server's ingest stays in its
own process): they parse, check and normalise its batches, this process checks
the duplicates and stores the batches in file order, so the batches, the checkpoints and what a
crash loses are those of one process.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from markwatch import faults
from markwatch.collector import collector_paused
from markwatch.errors import ConfigError, FileFormatError, MarkwatchError, RecordError
from markwatch.fileio import file_sha256
from markwatch.matching.profiles import BatchNormaliser
from markwatch.model import GazetteRecord
from markwatch.service.forks import WorkerFailed, Workers, can_fork
from markwatch.service.issues import PagesSeen, pages_seen, record_pages
from markwatch.sources.fields import ParsedItem
from markwatch.store.bulk import BulkInsert
from markwatch.store.db import Database
from markwatch.store.tables import GazetteMark, IngestedFile, QuarantinedRecord, core_table, utcnow
from markwatch.text.normalise import Normaliser

if TYPE_CHECKING:
    from markwatch.service.pictures import Pictures
    from markwatch.sources.files import GazetteLines

BATCH = 2000


@dataclass
class IngestSummary:
    path: str
    format: str = ""
    encoding: str = ""
    read: int = 0
    stored: int = 0
    duplicates: int = 0
    quarantined: int = 0
    skipped: int = 0
    skipped_reasons: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # about the file as a whole (declared totals, pages)
    issues: list[str] = field(default_factory=list)  # gazette issues the file holds marks of
    error: str | None = None
    images: int = 0  # mark images stored in the image folder
    images_read: int = 0  # pictures of figurative and combined marks read (words, hash, embedding)
    image_errors: list[str] = field(default_factory=list)  # "line 3: reason": the record is stored without it

    def as_dict(self) -> dict:
        return asdict(self)


def gazette_row(rec: GazetteRecord, normaliser: Normaliser | BatchNormaliser, file_id: int | None) -> dict:
    normal = normaliser.normalise(rec.mark)
    return dict(
        office=rec.office, application_no=rec.application_no, issue_key=rec.issue_key, mark=rec.mark,
        classes=list(rec.classes), goods=list(rec.goods), similar_groups=list(rec.similar_groups),
        applicant=rec.applicant, applicant_address=rec.applicant_address, agent=rec.agent,
        filing_date=rec.filing_date,
        publication_date=rec.publication_date, gazette_issue=rec.gazette_issue, mark_type=rec.mark_type,
        page_no=rec.page_no, page_count=rec.page_count, refs=dict(rec.refs) or None, procedure=rec.procedure,
        international_registration_no=rec.international_registration_no, designation_date=rec.designation_date,
        wipo_gazette=rec.wipo_gazette, wipo_publication_date=rec.wipo_publication_date,
        normal=normal.as_dict(), normaliser_version=normal.version, file_id=file_id,
        image_ref=rec.image, image_sha256=None, image_file=None, image_key=None,
        vienna_codes=list(rec.vienna_codes) or None,
    )


# The columns of a stored gazette row, in the table's order (so that the rows are the INSERT's parameters
# as they are): gazette_row's, and the creation time SQLAlchemy's default would set.
ROW_COLUMNS = (
    "office", "application_no", "issue_key", "mark", "classes", "goods", "similar_groups", "applicant",
    "applicant_address", "agent", "filing_date", "publication_date", "gazette_issue", "mark_type", "page_no",
    "page_count", "refs", "procedure", "international_registration_no", "designation_date", "wipo_gazette",
    "wipo_publication_date", "normal", "normaliser_version", "file_id", "created_at", "image_ref",
    "image_sha256", "image_file", "image_key", "vienna_codes",
)
# columns whose values `_row` hands over processed (bind processors applied once per distinct value)
_PROCESSED = ("classes", "goods", "similar_groups", "filing_date", "publication_date", "refs",
              "designation_date", "wipo_publication_date", "normal", "vienna_codes", "created_at")
_MARK, _NORMAL, _CREATED = (ROW_COLUMNS.index(c) for c in ("mark", "normal", "created_at"))
# the columns `_store` fills, side by side: a prepared row is completed with two slices
if ROW_COLUMNS[_NORMAL:_CREATED + 1] != ("normal", "normaliser_version", "file_id", "created_at"):
    raise RuntimeError("ROW_COLUMNS: the columns _store fills are no longer side by side")
_MEMO_LIMIT = 200_000
_MISSING = object()
# A file of fewer records is read in this process: forking costs more than it saves.
APART_FROM = 5_000
# Tasks handed to each worker and not yet read back: enough that a worker has its next batch while the
# parent stores (its answers may wait in the pipe, unread).
_AHEAD = 6


class _StoredNumbers:
    """The stored identities among up to SIZE application numbers of one office: one statement compiled
    once for the dialect and run on the driver (SQLAlchemy would process a fresh IN of 500 parameters on
    every execution, which cost more than the query)."""

    SIZE = 500

    def __init__(self, dialect: Any):
        names = [f"n{i}" for i in range(self.SIZE)]
        stmt = select(GazetteMark.office, GazetteMark.application_no, GazetteMark.issue_key).where(
            GazetteMark.office == bindparam("office"),
            GazetteMark.application_no.in_([bindparam(name) for name in names]))
        compiled = stmt.compile(dialect=dialect)
        self.sql = str(compiled)
        self.order = list(compiled.positiontup or ()) if compiled.positional else None
        self.names = names

    def __call__(self, conn: Any, office: str, numbers: list[str]) -> list[tuple]:
        padded = numbers + [numbers[-1]] * (self.SIZE - len(numbers))  # a number twice matches once
        params: dict[str, Any] = dict(zip(self.names, padded), office=office)
        args = tuple(params[name] for name in self.order) if self.order is not None else params
        return [tuple(row) for row in conn.exec_driver_sql(self.sql, args)]


def local_workers() -> int:
    """Processes the ingest command may use: MARKWATCH_LOCAL_WORKERS (which the command line sets to the
    cores it may use, as for a run), one where it is not set."""
    value = os.environ.get("MARKWATCH_LOCAL_WORKERS")
    try:
        return max(1, int(value)) if value else 1
    except ValueError:
        raise ConfigError(f"MARKWATCH_LOCAL_WORKERS must be a whole number, not {value!r}") from None


class _Memo:
    """A column's bind processor applied once per distinct value (hashable: tuples, dates, None)."""

    def __init__(self, proc: Callable[[Any], Any] | None, convert: Callable[[Any], Any] = lambda v: v):
        self.proc = proc
        self.convert = convert
        self.done: dict[Any, Any] = {}

    def __call__(self, value: Any) -> Any:
        done = self.done
        got = done.get(value, _MISSING)
        if got is not _MISSING:
            return got
        converted = self.convert(value)
        out = self.proc(converted) if self.proc is not None else converted
        if len(done) > _MEMO_LIMIT:
            done.clear()
        done[value] = out
        return out


@dataclass
class _Batch:
    """A batch of a file's items worked out without the database (in this process or a worker): what
    `_store` needs. Rows are tuples in ROW_COLUMNS order, completed by `_store` (`_row`)."""

    read: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    issues: list[str] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)
    images: dict[int, str] = field(default_factory=dict)  # row index → locator, for records with an image
    refused: list[tuple[str, str, str, str | None, int | None]] = field(default_factory=list)
    # (locator, raw, reason, issue, page), for the quarantine
    pages: dict[tuple[str, str], PagesSeen] = field(default_factory=dict)

    def marks(self) -> set[str]:
        return {row[_MARK] for row in self.rows}


class Ingestor:
    def __init__(self, db: Database, normaliser: Normaliser, *, batch: int = BATCH,
                 pictures: Pictures | None = None, workers: int = 1, apart_from: int = APART_FROM):
        self.db = db
        self.normaliser = normaliser
        # The same normal forms as `normaliser.normalise`, with its steps cached per distinct text.
        self.batch_normaliser = BatchNormaliser(normaliser)
        self.batch = max(1, batch)
        self.pictures = pictures  # None: image references are stored, the images are not
        # Large JSON Lines files are parsed, checked and normalised by this many forked processes: only
        # for a caller without other threads (one holding a lock at the fork would leave it held there).
        self.workers = max(1, workers)
        self.apart_from = apart_from
        self._writer: BulkInsert | None = None
        self._lookup: _StoredNumbers | None = None
        self._memos: dict[str, _Memo] = {}
        self._memo_list: tuple[_Memo, ...] = ()
        self._normals: dict[str, tuple[Any, str]] = {}  # mark → (processed normal form, version)
        self._normals_for: object = None

    def _bulk(self) -> BulkInsert:
        if self._writer is None:
            dialect = self.db.engine.dialect
            writer = self._writer = BulkInsert(core_table(GazetteMark), ROW_COLUMNS, dialect)
            as_list: Callable[[Any], Any] = list
            self._memos = {
                name: _Memo(writer.processor(name), as_list)
                for name in ("classes", "goods", "similar_groups")
            }
            self._memos.update({
                name: _Memo(writer.processor(name))
                for name in ("filing_date", "publication_date", "designation_date", "wipo_publication_date")
            })
            self._memos["refs"] = _Memo(writer.processor("refs"), lambda v: dict(v) or None)
            self._memos["vienna_codes"] = _Memo(writer.processor("vienna_codes"), lambda v: list(v) or None)
            self._memo_list = tuple(self._memos[c] for c in (
                "classes", "goods", "similar_groups", "filing_date", "publication_date", "refs",
                "designation_date", "wipo_publication_date", "vienna_codes"))
        return self._writer

    def _known_normals(self) -> dict[str, tuple[Any, str]]:
        """mark → (processed normal form, version), for the watched words of now."""
        if self._normals_for is not self.normaliser.brand_words:  # other watched words: other forms
            self._normals.clear()
            self._normals_for = self.normaliser.brand_words
        if len(self._normals) > _MEMO_LIMIT:
            self._normals.clear()
        return self._normals

    def _normal(self, mark: str) -> tuple[Any, str]:
        """The processed normal form of `mark` and its version, once per distinct text."""
        known = self._known_normals()
        got = known.get(mark)
        if got is None:
            normal = self.batch_normaliser.normalise(mark)
            got = known[mark] = (self._bulk().process("normal", normal.as_dict()), normal.version)
        return got

    def _row(self, rec: GazetteRecord) -> tuple:
        """`gazette_row(rec, …)` as a tuple in ROW_COLUMNS order, the _PROCESSED columns processed, but
        for the normal form, its version, the file and the creation time (None: `_store` sets them).
        A tuple: a worker's batch of them is read back three times faster than lists."""
        self._bulk()
        classes, goods, groups, filed, published, refs, designated, wipo_published, vienna = self._memo_list
        return (
            rec.office, rec.application_no, rec.issue_key, rec.mark, classes(rec.classes),
            goods(rec.goods), groups(rec.similar_groups), rec.applicant,
            rec.applicant_address, rec.agent, filed(rec.filing_date),
            published(rec.publication_date), rec.gazette_issue, rec.mark_type, rec.page_no,
            rec.page_count, refs(rec.refs), rec.procedure, rec.international_registration_no,
            designated(rec.designation_date), rec.wipo_gazette,
            wipo_published(rec.wipo_publication_date), None, None, None, None,
            rec.image, None, None, None, vienna(rec.vienna_codes),
        )

    def _prepare(self, items: Iterable[ParsedItem]) -> _Batch:
        """A batch of items as `_store` takes it: counted, rows built, refused records and pages noted."""
        batch = _Batch()
        kept = list(items)
        batch.read = len(kept)
        rows, skipped, issues = batch.rows, batch.skipped, batch.issues
        for it in kept:
            rec = it.record
            if rec is not None:
                if rec.issue_key and rec.issue_key not in issues:
                    issues.append(rec.issue_key)
                if rec.image:
                    batch.images[len(rows)] = it.locator
                rows.append(self._row(rec))
            elif it.error is not None:
                batch.refused.append((it.locator, it.raw, it.error or "unknown error", it.issue, it.page_no))
            elif it.skipped is not None:
                skipped[it.skipped] = skipped.get(it.skipped, 0) + 1
        batch.pages = pages_seen(kept)
        return batch

    def ingest_file(self, path: Path, *, source: str | None = None,
                    progress: Callable[[int], None] | None = None) -> IngestSummary:
        from markwatch.sources.files import detect_format, read_gazette_file, read_gazette_lines

        path = Path(path)
        summary = IngestSummary(path=str(path))
        try:
            sha = file_sha256(path)
        except OSError as exc:
            summary.error = f"cannot read {path}: {exc.strerror or exc}"
            return summary
        file_id = self._file_row(path, sha, source)

        def store(batch: _Batch) -> None:
            self._store(batch, file_id, sha, path, summary)
            if progress:
                progress(batch.read)

        try:
            # The collector is paused: a file makes hundreds of thousands of small objects and no cycles
            # worth collecting, and each full collection would walk the memos and the file's lines again.
            with collector_paused():
                summary.format = detect_format(path)
                lines = read_gazette_lines(path) if self.workers > 1 and can_fork() else None
                if lines is not None and len(lines) >= self.apart_from:
                    self._ingest_apart(lines, store)
                else:
                    items = lines.items() if lines is not None else read_gazette_file(path)
                    for chunk in _chunks(items, self.batch):
                        store(self._prepare(chunk))
                    summary.notes = list(getattr(items, "notes", []))
        except (FileFormatError, MarkwatchError) as exc:
            summary.error = str(exc)
            self._finish(file_id, summary, status="failed")
            return summary
        self._finish(file_id, summary, status="done")
        return summary

    def _ingest_apart(self, lines: GazetteLines, store: Callable[[_Batch], None]) -> None:
        """Parse, check and normalise the batches of `lines` in forked workers; store them here, in file
        order, as `ingest_file` does in one process.

        A worker prepares a batch (parsed, checked, rows built); the marks it holds that are new to this
        process are then normalised by the workers, each text once (a text recurs all over a gazette: a
        worker normalising its own batches' marks would redo most of the other's).
        """
        starts = range(0, len(lines), self.batch)
        self._bulk()
        self.normaliser.normalise("康师傅方便面")  # the segmenter's and pypinyin's dictionaries, shared

        def handle(task: tuple) -> Any:
            kind, arg = task
            if kind == "batch":
                return self._prepare(lines.items(arg, arg + self.batch))
            return [self._normal(mark) for mark in arg]

        prepared: dict[int, _Batch | WorkerFailed] = {}  # start → batch (or why not), until stored
        asked: set[str] = set()  # marks sent to be normalised, not yet answered
        sent = stored = 0
        with Workers(self.workers, handle, name="ingest") as workers:
            n = len(workers)
            while stored < len(starts):
                while sent < len(starts) and min(workers.pending) < _AHEAD:
                    workers.send(workers.pending.index(min(workers.pending)), ("batch", starts[sent]))
                    sent += 1
                known = self._known_normals()
                batch = prepared.get(starts[stored])
                if isinstance(batch, WorkerFailed):
                    raise batch  # the batches before it are stored, as in one process
                ready = batch is not None and not any(m in asked for m in batch.marks())
                # The answers are read before each store too, without waiting when the next batch can
                # be stored: a worker whose answers lie unread gets no new task and would stand idle.
                for (kind, arg), value in workers.answers(block=not ready):
                    if isinstance(value, WorkerFailed) and kind != "batch":
                        raise value
                    if kind == "batch":
                        prepared[arg] = value
                        if isinstance(value, WorkerFailed):
                            continue
                        new = sorted(m for m in value.marks() if m not in known and m not in asked)
                        asked.update(new)
                        for i in range(n):  # shared out, so that both workers take part
                            if new[i::n]:
                                workers.send(i, ("normal", new[i::n]))
                    else:
                        known.update(zip(arg, value))
                        asked.difference_update(arg)
                if ready:
                    assert isinstance(batch, _Batch)
                    del prepared[starts[stored]]
                    store(batch)
                    stored += 1

    def _file_row(self, path: Path, sha: str, source: str | None) -> int:
        with self.db.session() as s:
            row = s.scalar(select(IngestedFile).where(IngestedFile.sha256 == sha))
            if row is None:
                row = IngestedFile(path=str(path), sha256=sha, source=source)
                s.add(row)
                s.flush()
            else:
                row.status = "started"
                row.path = str(path)
            return row.id

    def _finish(self, file_id: int, summary: IngestSummary, *, status: str) -> None:
        with self.db.session() as s:
            row = s.get(IngestedFile, file_id)
            assert row is not None
            row.status = status
            row.records_read = summary.read
            row.stored = summary.stored
            row.duplicates = summary.duplicates
            row.quarantined = summary.quarantined
            row.skipped = summary.skipped
            row.skipped_reasons = dict(summary.skipped_reasons) or None
            row.format = summary.format or row.format
            row.encoding = summary.encoding or row.encoding
            row.error = summary.error
            row.finished_at = datetime.now(timezone.utc)

    def _store(self, batch: _Batch, file_id: int, sha: str, path: Path, summary: IngestSummary) -> None:
        summary.read += batch.read
        for reason, n in batch.skipped.items():
            summary.skipped += n
            summary.skipped_reasons[reason] = summary.skipped_reasons.get(reason, 0) + n
        for issue in batch.issues:
            if issue not in summary.issues:
                summary.issues.append(issue)
        writer = self._bulk()
        created = writer.processor("created_at")
        now = utcnow()  # what the column's default gives (once: the batch is one transaction)
        stamp = created(now) if created is not None else now
        with self.db.session() as s:
            existing = self._existing_keys(s, [(r[0], r[1], r[2]) for r in batch.rows])
            seen: set[tuple[str, str, str]] = set()
            pictured = []  # with images, as column → value: the pictures read their image and type columns
            values: list[tuple] = []
            known = self._known_normals()
            for i, row in enumerate(batch.rows):
                key = (row[0], row[1], row[2])
                if key in existing or key in seen:
                    summary.duplicates += 1
                    continue
                seen.add(key)
                normal, version = known.get(row[_MARK]) or self._normal(row[_MARK])
                row = row[:_NORMAL] + (normal, version, file_id, stamp) + row[_CREATED + 1:]
                image_at = batch.images.get(i)
                if image_at is not None and self.pictures is not None:
                    with_image = dict(zip(ROW_COLUMNS, row))  # the image columns are stored unprocessed
                    self._keep_image(with_image, image_at, path, summary)
                    pictured.append(with_image)
                    row = tuple(with_image.values())
                values.append(row)
            writer.execute(s.connection(), values, done=_PROCESSED)
            summary.stored += len(values)
            refused = batch.refused
            places = {q.locator for q in s.scalars(
                select(QuarantinedRecord).where(QuarantinedRecord.file_sha256 == sha,
                                                QuarantinedRecord.locator.in_([r[0] for r in refused]))
            )} if refused else set()
            for locator, raw, why, claimed_issue, page_no in refused:
                summary.quarantined += 1
                if locator in places:
                    continue
                s.add(QuarantinedRecord(file_id=file_id, file_sha256=sha, path=str(path), locator=locator,
                                        raw=raw, reason=why, issue_key=claimed_issue, page_no=page_no))
            record_pages(s, batch.pages)
            file_row = s.get(IngestedFile, file_id)
            if file_row is not None:
                file_row.checkpoint = summary.read
            faults.point("ingest.before_commit")
        faults.point("ingest.after_commit")
        self._read_pictures(pictured, summary)

    def _keep_image(self, row: dict, locator: str, path: Path, summary: IngestSummary) -> None:
        assert self.pictures is not None and row["image_ref"]
        try:
            stored = self.pictures.keep(row["image_ref"], path.parent)
        except RecordError as exc:
            summary.image_errors.append(f"{locator}: {exc}")
            return
        row.update(image_sha256=stored.sha256, image_file=stored.file, image_key=stored.key)
        summary.images += 1

    def _read_pictures(self, rows: list[dict], summary: IngestSummary) -> None:
        """Read the pictures of the figurative and combined marks just stored, once each."""
        from markwatch.service.pictures import PICTURE_TYPES

        if self.pictures is None or not self.pictures.read_features:
            return
        files = {r["image_key"]: r["image_file"] for r in rows
                 if r.get("image_key") and r.get("mark_type") in PICTURE_TYPES}
        if files:
            summary.images_read += len(self.pictures.features(files))

    def _stored_numbers(self) -> _StoredNumbers:
        if self._lookup is None:
            self._lookup = _StoredNumbers(self.db.engine.dialect)
        return self._lookup

    def _existing_keys(self, s: Session, identities: Iterable[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
        """The identities among `identities` already stored: one query per office and 500 numbers.

        The query names the office and the application numbers (the leading columns of the unique
        index, so each is an index search) and the issue is compared here: a row-value IN over all
        three columns is a scan of the whole table on SQLite, which made every batch slower than the last.
        """
        keys = set(identities)
        if not keys:
            return set()
        by_office: dict[str, list[str]] = {}
        for office, number, _ in keys:
            by_office.setdefault(office, []).append(number)
        found: set[tuple[str, str, str]] = set()
        lookup, conn = self._stored_numbers(), s.connection()
        for office, numbers in by_office.items():
            distinct = sorted(set(numbers))
            for i in range(0, len(distinct), lookup.SIZE):
                found.update(key for key in lookup(conn, office, distinct[i:i + lookup.SIZE]) if key in keys)
        return found


def _chunks(items: Iterable[ParsedItem], size: int) -> Iterator[list[ParsedItem]]:
    chunk: list[ParsedItem] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def quarantine_entries(db: Database, *, include_resolved: bool = False) -> list[dict]:
    with db.session() as s:
        stmt = select(QuarantinedRecord).order_by(QuarantinedRecord.id)
        if not include_resolved:
            stmt = stmt.where(QuarantinedRecord.resolved_at.is_(None))
        return [
            {"id": q.id, "path": q.path, "locator": q.locator, "reason": q.reason, "raw": q.raw,
             "resolved": q.resolved_at is not None}
            for q in s.scalars(stmt)
        ]


def retry_quarantined(db: Database, normaliser: Normaliser, ids: Iterable[int],
                      fixes: dict[int, dict] | None = None) -> dict[int, str]:
    """Re-ingest quarantined records (optionally with corrected fields); returns id → outcome.
    A correction of a field gazette records do not have is refused before anything is tried."""
    from markwatch.sources.fields import GAZETTE_KEYS, NotWatched, normalise_key, unknown_key_message
    from markwatch.sources.files import record_from_mapping

    unknown = sorted({k for fix in (fixes or {}).values() for k in fix if normalise_key(k) not in GAZETTE_KEYS})
    if unknown:
        raise MarkwatchError("; ".join(unknown_key_message(k, GAZETTE_KEYS) for k in unknown))
    outcomes: dict[int, str] = {}
    with db.session() as s:
        for qid in ids:
            q = s.get(QuarantinedRecord, qid)
            if q is None:
                outcomes[qid] = "not found"
                continue
            try:
                data = json.loads(q.raw)
                if not isinstance(data, dict):
                    raise ValueError("raw record is not an object")
            except ValueError as exc:
                outcomes[qid] = f"still bad: raw record is not a JSON object ({exc}); supply corrected fields"
                if not (fixes and qid in fixes):
                    continue
                data = {}
            data.update((fixes or {}).get(qid, {}))
            try:
                rec = record_from_mapping(data)
            except NotWatched as exc:
                outcomes[qid] = f"skipped: {exc}"
                q.resolved_at = datetime.now(timezone.utc)
                continue
            except MarkwatchError as exc:
                outcomes[qid] = f"still bad: {exc}"
                q.reason = str(exc)
                continue
            exists = s.scalar(select(GazetteMark.id).where(
                GazetteMark.office == rec.office, GazetteMark.application_no == rec.application_no,
                GazetteMark.issue_key == rec.issue_key))
            if exists is None:
                s.execute(core_table(GazetteMark).insert(), [gazette_row(rec, normaliser, q.file_id)])
                outcomes[qid] = "stored"
            else:
                outcomes[qid] = "duplicate"
            q.resolved_at = datetime.now(timezone.utc)
    return outcomes

"""Ingest use case: every record of a gazette file is stored, quarantined with its reason, or counted as
skipped with its reason (not watched: another announcement type, a designation of another country).

Idempotent: the identity office + application number + gazette issue is unique in the table, and the
quarantine is unique on (file checksum, place in file), so re-running a file (after a crash or on
purpose) stores nothing twice. Work is committed in batches; a crash loses at most the open batch,
which the next run stores.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from markwatch import faults
from markwatch.errors import FileFormatError, MarkwatchError, RecordError
from markwatch.fileio import file_sha256
from markwatch.matching.profiles import BatchNormaliser
from markwatch.model import GazetteRecord
from markwatch.store.bulk import BulkInsert
from markwatch.store.db import Database
from markwatch.store.tables import GazetteMark, IngestedFile, QuarantinedRecord, core_table, utcnow
from markwatch.text.normalise import Normaliser

if TYPE_CHECKING:
    from markwatch.service.pictures import Pictures

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


# The columns of a stored gazette row, in the order `Ingestor._row` gives them (gazette_row's, and the
# creation time SQLAlchemy's default would set).
ROW_COLUMNS = (
    "office", "application_no", "issue_key", "mark", "classes", "goods", "similar_groups", "applicant",
    "applicant_address", "agent", "filing_date", "publication_date", "gazette_issue", "mark_type", "page_no",
    "page_count", "refs", "procedure", "international_registration_no", "designation_date", "wipo_gazette",
    "wipo_publication_date", "normal", "normaliser_version", "file_id", "image_ref", "image_sha256",
    "image_file", "image_key", "vienna_codes", "created_at",
)
# columns whose values `_row` hands over processed (bind processors applied once per distinct value)
_PROCESSED = ("classes", "goods", "similar_groups", "filing_date", "publication_date", "refs",
              "designation_date", "wipo_publication_date", "normal", "vienna_codes", "created_at")
_MEMO_LIMIT = 200_000
_MISSING = object()


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


class Ingestor:
    def __init__(self, db: Database, normaliser: Normaliser, *, batch: int = BATCH,
                 pictures: Pictures | None = None):
        self.db = db
        self.normaliser = normaliser
        # The same normal forms as `normaliser.normalise`, with its steps cached per distinct text.
        self.batch_normaliser = BatchNormaliser(normaliser)
        self.batch = max(1, batch)
        self.pictures = pictures  # None: image references are stored, the images are not
        self._writer: BulkInsert | None = None
        self._memos: dict[str, _Memo] = {}
        self._memo_list: tuple[_Memo, ...] = ()
        self._normals: dict[str, tuple[Any, str]] = {}  # mark → (processed normal form, version)
        self._normals_for: object = None

    def _bulk(self, s: Session) -> BulkInsert:
        if self._writer is None:
            dialect = s.get_bind().dialect
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

    def _normal(self, mark: str) -> tuple[Any, str]:
        """The processed normal form of `mark` and its version, once per distinct text."""
        if self._normals_for is not self.normaliser.brand_words:  # other watched words: other forms
            self._normals.clear()
            self._normals_for = self.normaliser.brand_words
        got = self._normals.get(mark)
        if got is None:
            assert self._writer is not None
            normal = self.batch_normaliser.normalise(mark)
            if len(self._normals) > _MEMO_LIMIT:
                self._normals.clear()
            got = self._normals[mark] = (self._writer.process("normal", normal.as_dict()), normal.version)
        return got

    def _row(self, rec: GazetteRecord, file_id: int | None, stamp: Callable[[], Any]) -> tuple:
        """`gazette_row(rec, …)` as a tuple in ROW_COLUMNS order, the _PROCESSED columns processed;
        `stamp()` is the creation time (processed)."""
        classes, goods, groups, filed, published, refs, designated, wipo_published, vienna = self._memo_list
        normal, version = self._normal(rec.mark)
        now = stamp()
        return (
            rec.office, rec.application_no, rec.issue_key, rec.mark, classes(rec.classes),
            goods(rec.goods), groups(rec.similar_groups), rec.applicant,
            rec.applicant_address, rec.agent, filed(rec.filing_date),
            published(rec.publication_date), rec.gazette_issue, rec.mark_type, rec.page_no,
            rec.page_count, refs(rec.refs), rec.procedure, rec.international_registration_no,
            designated(rec.designation_date), rec.wipo_gazette,
            wipo_published(rec.wipo_publication_date), normal, version, file_id,
            rec.image, None, None, None, vienna(rec.vienna_codes), now,
        )

    def ingest_file(self, path: Path, *, source: str | None = None,
                    progress: Callable[[int], None] | None = None) -> IngestSummary:
        from markwatch.sources.files import detect_format, read_gazette_file

        path = Path(path)
        summary = IngestSummary(path=str(path))
        try:
            sha = file_sha256(path)
        except OSError as exc:
            summary.error = f"cannot read {path}: {exc.strerror or exc}"
            return summary
        file_id = self._file_row(path, sha, source)
        try:
            summary.format = detect_format(path)
            items = read_gazette_file(path)
            batch: list = []
            for item in items:
                batch.append(item)
                if len(batch) >= self.batch:
                    self._store_batch(batch, file_id, sha, path, summary)
                    if progress:
                        progress(len(batch))
                    batch = []
            if batch:
                self._store_batch(batch, file_id, sha, path, summary)
                if progress:
                    progress(len(batch))
            summary.notes = list(getattr(items, "notes", []))
        except (FileFormatError, MarkwatchError) as exc:
            summary.error = str(exc)
            self._finish(file_id, summary, status="failed")
            return summary
        self._finish(file_id, summary, status="done")
        return summary

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

    def _store_batch(self, items: list, file_id: int, sha: str, path: Path, summary: IngestSummary) -> None:
        from markwatch.service.issues import record_pages

        records = [(it, it.record) for it in items if it.record is not None]
        bad = [it for it in items if it.error is not None]
        summary.read += len(items)
        for it in items:
            if it.skipped is not None:
                summary.skipped += 1
                summary.skipped_reasons[it.skipped] = summary.skipped_reasons.get(it.skipped, 0) + 1
        for _, rec in records:
            if rec.issue_key and rec.issue_key not in summary.issues:
                summary.issues.append(rec.issue_key)
        with self.db.session() as s:
            existing = self._existing_keys(s, [r for _, r in records])
            writer = self._bulk(s)
            created = writer.processor("created_at")

            def stamp() -> Any:  # what the column's default (utcnow) gives, as the database receives it
                now = utcnow()
                return created(now) if created is not None else now

            seen: set[tuple[str, str, str]] = set()
            rows = []  # with images, as column → value: the pictures read their image and type columns
            values: list[tuple] = []
            for item, rec in records:
                key = (rec.office, rec.application_no, rec.issue_key)
                if key in existing or key in seen:
                    summary.duplicates += 1
                    continue
                seen.add(key)
                stored = self._row(rec, file_id, stamp)
                if rec.image and self.pictures is not None:
                    with_image = dict(zip(ROW_COLUMNS, stored))  # the image columns are stored unprocessed
                    self._keep_image(with_image, rec, item.locator, path, summary)
                    rows.append(with_image)
                    stored = tuple(with_image.values())
                values.append(stored)
            writer.execute(s.connection(), values, done=_PROCESSED)
            summary.stored += len(values)
            places = {q.locator for q in s.scalars(
                select(QuarantinedRecord).where(QuarantinedRecord.file_sha256 == sha,
                                                QuarantinedRecord.locator.in_([b.locator for b in bad]))
            )} if bad else set()
            for it in bad:
                summary.quarantined += 1
                if it.locator in places:
                    continue
                s.add(QuarantinedRecord(file_id=file_id, file_sha256=sha, path=str(path), locator=it.locator,
                                        raw=it.raw, reason=it.error or "unknown error", issue_key=it.issue,
                                        page_no=it.page_no))
            record_pages(s, items)
            row = s.get(IngestedFile, file_id)
            if row is not None:
                row.checkpoint = summary.read
            faults.point("ingest.before_commit")
        faults.point("ingest.after_commit")
        self._read_pictures(rows, summary)

    def _keep_image(self, row: dict, rec: GazetteRecord, locator: str, path: Path, summary: IngestSummary) -> None:
        assert self.pictures is not None and rec.image
        try:
            stored = self.pictures.keep(rec.image, path.parent)
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

    @staticmethod
    def _existing_keys(s: Session, records: Iterable[GazetteRecord]) -> set[tuple[str, str, str]]:
        """The identities among `records` already stored: one query per office and 500 numbers.

        The query names the office and the application numbers (the leading columns of the unique
        index, so each is an index search) and the issue is compared here: a row-value IN over all
        three columns is a scan of the whole table on SQLite, which made every batch slower than the last.
        """
        keys = {(r.office, r.application_no, r.issue_key) for r in records}
        if not keys:
            return set()
        by_office: dict[str, list[str]] = {}
        for office, number, _ in keys:
            by_office.setdefault(office, []).append(number)
        found: set[tuple[str, str, str]] = set()
        for office, numbers in by_office.items():
            distinct = sorted(set(numbers))
            for i in range(0, len(distinct), 500):
                stmt = select(GazetteMark.office, GazetteMark.application_no, GazetteMark.issue_key).where(
                    GazetteMark.office == office, GazetteMark.application_no.in_(distinct[i:i + 500]))
                found.update(key for key in map(tuple, s.execute(stmt)) if key in keys)
        return found


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

"""The service layer: every entry point (CLI, API, web, scheduler) calls these use cases.

Engines (database, matcher with its goods table and lexicon) are built once, when first needed, and
passed down; nothing is built at import time.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from markwatch.collector import collector_paused
from markwatch.composition import Engines, MatcherSpec
from markwatch.config import DEFAULT_DATABASE_URL, Settings
from markwatch.errors import DatabaseBusy, MarkwatchError, redact_error, redacted_traceback
from markwatch.matching.matcher import Matcher
from markwatch.model import Match
from markwatch.service.alerts import AlertFilter, count_alerts, export_alerts, list_alerts, with_mark_groups
from markwatch.service.ingest import Ingestor, IngestSummary, quarantine_entries, retry_quarantined
from markwatch.service.run import RunSummary, Watcher
from markwatch.service.watchlists import ImportSummary, import_watchlist_files
from markwatch.store.db import Database
from markwatch.store.rows import iso
from markwatch.store.tables import AlertRow, BrandRow, GazetteMark, Run
from markwatch.text.normalise import Normaliser

MAX_SEARCH_TOP = 100  # as the API allows

if TYPE_CHECKING:  # pragma: no cover
    from markwatch.service.delivery import DeliverySummary
    from markwatch.service.org_service import OrgService
    from markwatch.service.orgs import Principal
    from markwatch.service.pictures import Pictures
    from markwatch.sources.remote import PullSummary
    from markwatch.store.locks import DbLock

log = logging.getLogger(__name__)

RUN_LOCK = "run"
_DB_LOCK = threading.Lock()


@dataclass
class CycleResult:
    """One guarded "pull sources, run, deliver" cycle (the nightly job)."""

    status: str  # done | partial (some source failed) | failed | skipped (another run holds the lock)
    run_id: int | None = None
    pull: dict | None = None
    run: dict | None = None
    delivery: dict | None = None
    error: str | None = None
    holder: str | None = None

    def __setattr__(self, name: str, value) -> None:
        # the error is printed, logged and stored: source URLs lose their credentials and query first,
        # database errors their bound parameters
        if name == "error":
            value = redact_error(value)
        object.__setattr__(self, name, value)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Service:
    settings: Settings = field(default_factory=Settings.load)
    engines: Engines = field(default=None, repr=False)  # type: ignore[assignment]  # None: built from the settings
    # repr: Settings leaves its secrets out; the database (its URL may hold a password) is not shown
    _db: Database | None = field(default=None, repr=False)
    _run_lock: DbLock | None = field(default=None, repr=False)
    _run_lock_thread: int | None = field(default=None, repr=False)
    _pictures: Pictures | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.engines is None:
            self.engines = Engines(MatcherSpec.from_settings(self.settings))

    @property
    def db(self) -> Database:
        if self._db is None:
            with _DB_LOCK:  # the API's worker threads may ask at once
                if self._db is None:
                    url = self.settings.database_url
                    self._db = Database(url, create_folder=url == DEFAULT_DATABASE_URL)
        return self._db

    @property
    def normaliser(self) -> Normaliser:
        return self.engines.normaliser

    @property
    def pictures(self) -> Pictures:
        """The image folder and the picture features (markwatch.service.pictures)."""
        if self._pictures is None:
            from markwatch.service.pictures import Pictures

            self._pictures = Pictures(self.db, Path(self.settings.image_dir), settings=self.settings)
        return self._pictures

    @property
    def matcher(self) -> Matcher:
        return self.engines.matcher

    # ---------------------------------------------------------------- use cases
    def ingest(self, paths: Sequence[Path], *, source: str | None = None,
               progress: Callable[[int], None] | None = None, workers: int = 1) -> list[IngestSummary]:
        """`workers` above one: large JSON Lines files are read by forked processes. Only a caller that
        runs no other threads may ask for it (the command line): a thread holding a lock at the fork
        would leave it held in the workers."""
        ingestor = Ingestor(self.db, self.normaliser, batch=self.settings.ingest_batch, pictures=self.pictures,
                            workers=workers)
        summaries = [ingestor.ingest_file(Path(p), source=source, progress=progress) for p in paths]
        if any(s.images_read for s in summaries):
            # pictures read now are searchable now: adding them to the picture indexes is cheap
            self._update_pictures_quietly()
        return summaries

    def issues(self, issues: Sequence[str] | None = None) -> list[dict]:
        """Completeness of each gazette issue: pages seen of the page count, marks, quarantined, missing."""
        from markwatch.service.issues import issue_report

        return issue_report(self.db, issues)

    def load_holidays(self, path: Path) -> dict:
        """Load one year's holiday arrangement file and recompute the alerts' deadlines with it."""
        from markwatch.service.holidays import load_holiday_file

        return load_holiday_file(self.db, Path(path))

    def holiday_years(self) -> list[dict]:
        from markwatch.service.holidays import holiday_calendars

        return holiday_calendars(self.db)

    def weekends_only_alerts(self) -> int:
        from markwatch.service.holidays import weekends_only_alerts

        return weekends_only_alerts(self.db)

    def import_watchlists(self, paths: Sequence[Path]) -> ImportSummary:
        return import_watchlist_files(self.db, [Path(p) for p in paths], pictures=self.pictures)

    def import_protection_list(self, path: Path, *, organisation: str, watchlist: str | None = None,
                               list_name: str | None = None, year: int | None = None,
                               organisation_kind: str = "station") -> dict:
        from markwatch.service.watchlists import import_protection_list

        return import_protection_list(self.db, Path(path), organisation=organisation, watchlist=watchlist,
                                      list_name=list_name, year=year, organisation_kind=organisation_kind)

    def run(self, *, kind: str = "manual", progress: Callable[[int, int], None] | None = None,
            engine: str = "local", scheduler_address: str | None = None) -> RunSummary:
        """Match new marks; never two runs at once, across processes (a database lease guards it).

        The cyclic collector is paused for the run (`collector_paused`): it builds large long-lived
        tables and then bulk work, and each full collection would walk them all again."""
        with collector_paused():
            return self._run_under_lock(kind=kind, progress=progress, engine=engine,
                                        scheduler_address=scheduler_address)

    def _run_under_lock(self, *, kind: str, progress: Callable[[int, int], None] | None, engine: str,
                        scheduler_address: str | None) -> RunSummary:
        if self._run_lock is not None and self._run_lock_thread == threading.get_ident():  # inside our cycle
            return self._watcher().run(kind=kind, progress=progress, engine=engine,
                                       scheduler_address=scheduler_address)
        lock = self.lock(RUN_LOCK)
        if not lock.acquire():
            if lock.busy:
                raise DatabaseBusy()
            holder = lock.holder()
            raise MarkwatchError(f"another run is in progress ({holder['owner'] if holder else 'unknown'}, "
                                 "lease in the locks table); try again when it has finished")
        try:
            self.close_interrupted_runs()
            return self._watcher().run(kind=kind, progress=progress, engine=engine,
                                       scheduler_address=scheduler_address)
        finally:
            lock.release()

    def close_interrupted_runs(self) -> int:
        """Runs still marked running while we hold the run lock were cut off (killed, power lost):
        record them as interrupted. Their work is picked up by the next run; nothing is lost."""
        from sqlalchemy import update

        from markwatch.store.db import rows_changed

        with self.db.session() as s:
            res = s.execute(update(Run).where(Run.status == "running").values(
                status="interrupted", error="the process stopped before the run finished (killed or crashed); "
                                            "the next run continued its work"))
            return rows_changed(res)

    def compare(self, brand: str, candidate: str, *, brand_classes: Sequence[int] = (),
                candidate_classes: Sequence[int] = (), brand_image: str | None = None,
                candidate_image: str | None = None, brand_vienna: Sequence[str] = (),
                candidate_vienna: Sequence[str] = ()) -> Match:
        """Compare two marks; images (a file, a URL, or page.pdf#page=N&box=…) and Vienna codes too."""
        if not (brand_image or candidate_image or brand_vienna or candidate_vienna):
            for what, text in (("brand", brand), ("candidate", candidate)):
                if not (text or "").strip():
                    raise MarkwatchError(f"the {what} mark is empty: compare takes two marks, e.g. 康师傅 康帅傅 "
                                         "(商标文字不能为空)")
            return self.matcher.compare(brand, candidate, brand_classes=brand_classes,
                                        candidate_classes=candidate_classes)
        from markwatch.images.vienna import parse_codes
        from markwatch.model import Brand
        from markwatch.service.pictures import figure_of_file

        brand_figure, _ = figure_of_file(self.pictures, brand_image, views=True, vienna=parse_codes(list(brand_vienna)))
        mark_figure, words = figure_of_file(self.pictures, candidate_image, views=False,
                                            vienna=parse_codes(list(candidate_vienna)),
                                            written_words=bool(candidate.strip()))
        query = Brand(brand_id="-", mark=brand, classes=tuple(brand_classes))
        return self.matcher.compare(query, candidate, candidate_classes=candidate_classes,
                                    brand_figure=brand_figure, candidate_figure=mark_figure, candidate_words=words)

    def _watcher(self) -> Watcher:
        return Watcher(self.db, self.matcher, index_dir=self.settings.index_dir,
                       embedding_model_path=self.settings.embedding_model_path, chunk=self.settings.run_chunk,
                       goods_notes_path=self.settings.goods_notes_path,
                       word_counts_path=self.settings.word_counts_path, pictures=self.pictures)

    def search(self, mark: str, *, classes: Sequence[int] = (), top: int = 10) -> dict:
        """Results from the register index as it is, with how fresh it is (see `update_register_index`)."""
        from markwatch.scale.search_store import search_register

        if not (mark or "").strip():
            raise MarkwatchError("the mark to search for is empty (商标文字不能为空)")
        if not 1 <= top <= MAX_SEARCH_TOP:
            raise MarkwatchError(f"top must be between 1 and {MAX_SEARCH_TOP} (got {top})")
        from markwatch.service.picture_search import merge_results, search_words

        answer = search_register(self.db, self.matcher, mark, classes=classes, top=top,
                                 index_dir=self.settings.index_dir)
        # words read in the marks' pictures, from their own index (picture_search): results say where
        words = search_words(self, mark, classes=classes, top=top)
        answer["results"] = merge_results(answer["results"], words["results"] if words else [],
                                          classes=classes, top=top)
        answer["picture_words_index"] = ({k: v for k, v in words.items() if k != "results"} if words else None)
        return answer

    def search_image(self, image: str | bytes, *, name: str | None = None, mark: str = "",
                     classes: Sequence[int] = (), top: int = 10) -> dict:
        """Clearance search by image (a reference or an upload's bytes) over the register's picture index."""
        from markwatch.service.picture_search import search_by_picture

        return search_by_picture(self, image, name=name, mark=mark, classes=classes, top=top)

    def update_picture_indexes(self, *, force: bool = False) -> dict:
        """Add the pictures read since to the register's picture and picture-words indexes (or rebuild
        them): a job of ingest, the cycle and `markwatch index build`, never of a search."""
        from markwatch.service.picture_search import ensure_picture_indexes

        return ensure_picture_indexes(self.pictures, self.db, self.matcher, Path(self.settings.index_dir),
                                      force=force)

    def _update_pictures_quietly(self) -> None:
        try:
            self.update_picture_indexes()
        except Exception as exc:  # the marks are stored; the next cycle or index build brings the index up
            log.error("updating the picture indexes failed\n%s", redacted_traceback(exc))

    def update_register_index(self) -> dict:
        """Extend the register index with the marks stored since, or rebuild it: a job of the cycle
        (or of an operator), never of a search request."""
        from markwatch.scale.search_store import ensure_register_index

        index = ensure_register_index(self.db, self.matcher, Path(self.settings.index_dir) / "register")
        return {"marks": index.rows, "max_id": index.max_id}

    def alerts(self, f: AlertFilter | None = None) -> list[dict]:
        return self.alerts_page(f)["items"]

    def alerts_page(self, f: AlertFilter | None = None) -> dict:
        """The alerts of a filter (its page, when it has a limit) and how many there are in all."""
        f = f or AlertFilter()
        with self.db.session() as s:
            items = with_mark_groups(list_alerts(s, f, self.settings.today(), self.settings.gazette_page_url),
                                     self.matcher.goods_table)
            return {"items": items, "total": count_alerts(s, f) if f.limit is not None else len(items)}

    def statistics(self, organisation: str | None = None, f: AlertFilter | None = None) -> dict:
        """Station statistics of one organisation (its own and subscribed watchlists), or of all."""
        from markwatch.service.orgs import Principal, named_org, principal_of
        from markwatch.service.statistics import station_statistics

        with self.db.session() as s:
            p = principal_of(named_org(s, organisation)) if organisation else Principal(0, "全部 (all)", "admin")
            return station_statistics(s, p, f or AlertFilter(), self.settings.today())

    def pack(self, alert_id: int, fmt: str, out: Path | None = None) -> Path:
        """The opposition pack of an alert as DOCX or PDF (the operator sees every alert)."""
        from markwatch.service.pack import opposition_pack, pack_file_name, write_pack

        with self.db.session() as s:
            pack = opposition_pack(s, alert_id, None, self.settings.today(), self.settings.gazette_page_url,
                                   self.matcher.goods_table)
        target = Path(out) if out else Path(self.settings.export_dir) / pack_file_name(pack, fmt)
        return write_pack(pack, fmt, target, pdf_font=self.settings.pdf_font)

    def export(self, fmt: str, out: Path, f: AlertFilter | None = None) -> tuple[Path, int]:
        rows = self.alerts(f)
        return export_alerts(rows, fmt, out), len(rows)

    def quarantine(self, *, include_resolved: bool = False) -> list[dict]:
        return quarantine_entries(self.db, include_resolved=include_resolved)

    def retry_quarantine(self, ids: Sequence[int], fixes: dict[int, dict] | None = None) -> dict[int, str]:
        return retry_quarantined(self.db, self.normaliser, ids, fixes)

    def runs(self, limit: int = 20, principal: Principal | None = None) -> list[dict]:
        """The run history. The operator (no principal) and admins see it all; other organisations see
        whether each run worked and the new alerts on their own watchlists, not the totals across tenants
        or the error texts (source addresses, folder paths, database messages are the operator's)."""
        from markwatch.service.tenancy import visible_ids

        with self.db.session() as s:
            rows = list(s.scalars(select(Run).order_by(Run.id.desc()).limit(limit)))
            visible = None if principal is None else visible_ids(s, principal)
            if visible is None:
                return [
                    {"id": r.id, "kind": r.kind, "status": r.status, "engine": r.engine,
                     "started_at": iso(r.started_at), "finished_at": iso(r.finished_at),
                     "files": r.files, "marks_ingested": r.marks_ingested, "marks_matched": r.marks_matched,
                     "pairs_compared": r.pairs_compared, "alerts_new": r.alerts_new,
                     "alerts_total": r.alerts_total, "alerts_suppressed": r.alerts_suppressed, "error": r.error}
                    for r in rows
                ]
            own = dict(s.execute(
                select(AlertRow.run_id, func.count(AlertRow.id))
                .where(AlertRow.run_id.in_([r.id for r in rows]), AlertRow.watchlist_id.in_(visible))
                .group_by(AlertRow.run_id)).all()) if rows and visible else {}
            return [{"id": r.id, "kind": r.kind, "status": r.status, "started_at": iso(r.started_at),
                     "finished_at": iso(r.finished_at), "alerts_new": own.get(r.id, 0)} for r in rows]

    def counts(self) -> dict:
        with self.db.session() as s:
            return {
                "gazette_marks": s.scalar(select(func.count(GazetteMark.id))) or 0,
                "brands": s.scalar(select(func.count(BrandRow.id))) or 0,
                "alerts": s.scalar(select(func.count(AlertRow.id))) or 0,
                "runs": s.scalar(select(func.count(Run.id))) or 0,
            }

    # ---------------------------------------------------------------- organisations and tokens
    def create_org(self, name: str, kind: str = "station", expires_days: int | None = None) -> tuple[dict, str]:
        """A new organisation and its API token (shown once; only its hash is stored)."""
        from markwatch.service.orgs import create_org

        with self.db.session() as s:
            org, token = create_org(s, name, kind, self.settings.token_pepper, expires_days)
            return {"id": org.id, "name": org.name, "kind": org.kind}, token

    def orgs(self) -> list[dict]:
        from markwatch.service.orgs import list_orgs

        with self.db.session() as s:
            return list_orgs(s)

    def rotate_token(self, name: str, expires_days: int | None = None) -> str:
        from markwatch.service.orgs import rotate_token

        with self.db.session() as s:
            return rotate_token(s, name, self.settings.token_pepper, expires_days)

    def revoke_token(self, name: str) -> bool:
        from markwatch.service.orgs import revoke_token

        with self.db.session() as s:
            return revoke_token(s, name)

    def confirm_email(self, token: str) -> dict | None:
        """The address whose confirmation link carries `token` now receives its digests; None when
        the link is unknown, used or replaced by a newer one."""
        from markwatch.service.email_addresses import confirm

        with self.db.session() as s:
            row = confirm(s, token)
            return None if row is None else {"address": row.address, "organisation": row.organisation.name}

    def calendar_token(self, name: str) -> str:
        """A new calendar feed token for the organisation (the previous one stops working)."""
        from markwatch.service.calendar_feed import issue_calendar_token
        from markwatch.service.orgs import named_org

        with self.db.session() as s:
            return issue_calendar_token(s, named_org(s, name), self.settings.token_pepper)

    def authenticate_calendar(self, token: str | None) -> Principal | None:
        from markwatch.service.calendar_feed import authenticate_calendar

        with self.db.session() as s:
            return authenticate_calendar(s, token, self.settings.token_pepper)

    def authenticate(self, token: str | None) -> Principal | None:
        from markwatch.service.orgs import authenticate

        with self.db.engine.connect() as conn:  # a read: no unit of work
            return authenticate(conn, token, self.settings.token_pepper)

    def as_org(self, principal: Principal) -> OrgService:
        """The use cases made as one organisation: it sees its own watchlists and alerts only."""
        from markwatch.service.org_service import OrgService

        return OrgService(self, principal)

    # ---------------------------------------------------------------- sources, delivery, the cycle
    def lock(self, name: str) -> DbLock:
        from markwatch.store.locks import DbLock

        return DbLock(self.db, name, lease_seconds=self.settings.lock_lease_seconds)

    def pull(self) -> PullSummary:
        """Take new files from the drop folder and the source URLs, and ingest them (not while a run
        holds the run lease, unless it is our own cycle)."""
        from markwatch.sources.remote import pull_sources

        if self._run_lock is not None and self._run_lock_thread == threading.get_ident():
            return pull_sources(self)
        lock = self.lock(RUN_LOCK)
        if not lock.acquire():
            if lock.busy:
                raise DatabaseBusy()
            holder = lock.holder()
            raise MarkwatchError(f"a run is in progress ({holder['owner'] if holder else 'unknown'}); "
                                 "it pulls the sources itself, or try again when it has finished")
        try:
            return pull_sources(self)
        finally:
            lock.release()

    def deliver(self, *, now: datetime | None = None, retry_failed: bool = False,
                subscription_id: int | None = None, alert_id: int | None = None) -> DeliverySummary:
        """Queue new alerts for their subscribers and send what is due (webhooks, e-mail digests);
        with `retry_failed`, messages given up after `delivery_max_attempts` are first queued again
        (those of one subscription or one alert only, when given)."""
        from markwatch.service.delivery import deliver

        return deliver(self.db, self.settings, now=now, retry_failed=retry_failed,
                       subscription_id=subscription_id, alert_id=alert_id)

    def cycle(self, *, kind: str = "scheduled") -> CycleResult:
        """Pull sources, run, deliver: the nightly job. Skipped when another run holds the lease."""
        lock = self.lock(RUN_LOCK)
        if not lock.acquire():
            if lock.busy:  # nobody is doing the work: a failure, retried soon (scheduler.scheduled_cycle)
                error = str(DatabaseBusy())
                return CycleResult(status="failed", run_id=self.record_failed_run(kind, error), error=error)
            holder = lock.holder()
            return CycleResult(status="skipped", holder=holder["owner"] if holder else None)
        self._run_lock, self._run_lock_thread = lock, threading.get_ident()
        try:
            return self._cycle(kind)
        finally:
            self._run_lock, self._run_lock_thread = None, None
            lock.release()

    def _cycle(self, kind: str) -> CycleResult:
        try:
            pulled = self.pull()
        except Exception as exc:
            log.error("pull failed\n%s", redacted_traceback(exc))
            return CycleResult(status="failed", run_id=self._failed_run(kind, f"pull: {type(exc).__name__}: {exc}"),
                               error=f"pull: {exc}")
        result = CycleResult(status="done", pull=pulled.as_dict())
        try:
            summary = self.run(kind=kind)
            result.run, result.run_id = summary.as_dict(), summary.run_id
        except Exception as exc:
            log.error("run failed\n%s", redacted_traceback(exc))
            result.status, result.error = "failed", f"{type(exc).__name__}: {exc}"
            result.run_id = self._latest_run_id(kind)
        if pulled.errors and result.status == "done":
            result.status = "partial"
            result.error = "sources: " + "; ".join(pulled.errors)
        self._record_pull(result.run_id, pulled, result)
        try:
            self.update_register_index()
        except Exception as exc:
            log.error("updating the register index failed\n%s", redacted_traceback(exc))
        self._update_pictures_quietly()
        if result.run_id is not None and result.status != "failed":
            try:
                result.delivery = self.deliver().as_dict()
            except Exception as exc:
                log.error("delivery failed\n%s", redacted_traceback(exc))
                result.delivery = {"errors": [redact_error(f"{type(exc).__name__}: {exc}")]}
        return result

    def _failed_run(self, kind: str, error: str) -> int:
        from markwatch.store.tables import utcnow

        with self.db.session() as s:
            run = Run(kind=kind, status="failed", error=error, finished_at=utcnow())
            s.add(run)
            s.flush()
            return run.id

    def record_failed_run(self, kind: str, error: str) -> int | None:
        """A failed Run row when the database takes it; None when it is still too busy to write."""
        from sqlalchemy.exc import OperationalError

        try:
            return self._failed_run(kind, error)
        except OperationalError:
            log.error("could not record the failed %s run (database busy): %s", kind, error)
            return None

    def _latest_run_id(self, kind: str) -> int | None:
        with self.db.session() as s:
            return s.scalar(select(Run.id).where(Run.kind == kind).order_by(Run.id.desc()).limit(1))

    def _record_pull(self, run_id: int | None, pulled: PullSummary, result: CycleResult) -> None:
        if run_id is None:
            return
        with self.db.session() as s:
            run = s.get(Run, run_id)
            if run is None:
                return
            run.files = len(pulled.files)
            run.marks_ingested = pulled.marks_ingested
            if result.status == "partial":
                run.status = "partial"
            if pulled.errors:
                run.error = "; ".join(filter(None, [run.error, "sources: " + "; ".join(pulled.errors)]))[:10000]

"""The nightly job (定时任务): pull sources, run, deliver — with APScheduler 3 and a persistent job store.

* The job lives in the ``apscheduler_jobs`` table of the markwatch database, so a scheduler that was
  down at 02:00 runs the missed slot when it comes back within ``misfire_grace_seconds``; several
  missed slots are coalesced into one run.
* One process never overlaps itself (``max_instances=1``); two processes (two schedulers, or a
  scheduler and a manual ``markwatch run``) never overlap either: the cycle takes the database lease
  ``run`` first, and a cycle that finds it taken is skipped and logged.
* Each cycle is recorded as a Run row (started, finished, files, marks, alerts, errors); a failed
  cycle is recorded with its error and retried after ``RETRY_MINUTES`` (up to ``RETRY_LIMIT`` times),
  then by the next slot (ingest and run are idempotent). The retry is a one-off job in a memory job
  store: a busy database, the usual cause, could not store it.
* A delivery job runs every ``delivery_interval_minutes`` (0: none): the delivery pass alone (queue new
  alerts, send what is due), so a webhook receiver or SMTP server that failed is retried after its
  backoff, not the next night. It takes the database lease ``delivery``, which every delivery pass
  takes (the cycle's, ``markwatch deliver``'s): passes never overlap, in one process or across
  processes, and a long run holding the ``run`` lease does not hold up the retries. It lives in a memory
  job store: it has no slot to miss, and starts again with the scheduler.
* Errors are logged redacted (``errors.redact_error``): URLs lose their credentials and queries, and
  database errors lose their bound parameters.
"""

from __future__ import annotations

import logging
import signal
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # pragma: no cover
    from apscheduler.schedulers.base import BaseScheduler

    from markwatch.service.facade import CycleResult, Service

log = logging.getLogger(__name__)

JOB_ID = "markwatch-nightly"
JOB_FUNC = "markwatch.scheduler:scheduled_cycle"
JOBS_TABLE = "apscheduler_jobs"
RETRY_JOB_ID = "markwatch-retry"
RETRY_STORE = "retry"
RETRY_MINUTES = 5
RETRY_LIMIT = 3
DELIVERY_JOB_ID = "markwatch-delivery"
DELIVERY_FUNC = "markwatch.scheduler:scheduled_delivery"
DELIVERY_STORE = "delivery"

# The service the job calls and the scheduler it runs in; set by build_scheduler (a persisted job
# stores only the function's name).
_service: Service | None = None
_scheduler: BaseScheduler | None = None


def scheduled_cycle(attempt: int = 0) -> dict:
    """The job: one guarded cycle. Never raises, so APScheduler keeps the job for the next slot; a
    failed cycle is retried within minutes rather than the next night."""
    from markwatch.errors import redact_error, redacted_traceback
    from markwatch.service.facade import Service

    svc = _service or Service()
    try:
        result: CycleResult = svc.cycle(kind="scheduled")
    except Exception as exc:
        # the message may quote a source URL with its credentials or a statement's parameters
        log.error("scheduled cycle crashed\n%s", redacted_traceback(exc))
        error = redact_error(f"cycle: {type(exc).__name__}: {exc}") or "cycle: crashed"
        outcome: dict[str, object] = {"status": "failed", "run_id": svc.record_failed_run("scheduled", error), "error": error}
        outcome["retry_at"] = _schedule_retry(attempt)
        return outcome
    outcome = result.as_dict()
    if result.status == "failed":
        outcome["retry_at"] = _schedule_retry(attempt)
    if result.status == "skipped":
        log.warning("scheduled cycle skipped: another run holds the lease (%s)", result.holder)
    elif result.status == "done":
        log.info("scheduled cycle done: run %s %s", result.run_id, result.run)
    else:
        log.error("scheduled cycle %s: run %s: %s", result.status, result.run_id, result.error)
    return outcome


def scheduled_delivery() -> dict:
    """The delivery job: one delivery pass (no pull, no matching). Never raises: the outbox keeps
    every message for the next pass."""
    from markwatch.errors import redact_error, redacted_traceback
    from markwatch.service.facade import Service

    svc = _service or Service()
    try:
        summary = svc.deliver()
    except Exception as exc:
        log.error("scheduled delivery pass crashed\n%s", redacted_traceback(exc))
        return {"status": "failed", "error": redact_error(f"{type(exc).__name__}: {exc}")}
    if summary.skipped:
        log.info("scheduled delivery skipped: another delivery pass holds the lease")
        return {"status": "skipped"}
    if summary.queued or summary.webhooks_sent or summary.emails_sent or summary.errors:
        log.info("scheduled delivery: queued %s, webhooks sent %s, e-mails sent %s, failed attempts %s",
                 summary.queued, summary.webhooks_sent, summary.emails_sent,
                 summary.webhook_failures + summary.email_failures)
    for e in summary.errors:
        log.warning("delivery: %s", e)
    return {"status": "done", **summary.as_dict()}


def _schedule_retry(attempt: int) -> datetime | None:
    """A one-off retry of the cycle in RETRY_MINUTES; None when the retries are used up or no
    scheduler runs this job (a direct call)."""
    if _scheduler is None or attempt >= RETRY_LIMIT:
        if _scheduler is not None:
            log.error("scheduled cycle failed %d times; next try at the next slot", attempt + 1)
        return None
    when = datetime.now(_scheduler.timezone) + timedelta(minutes=RETRY_MINUTES)
    _scheduler.add_job(JOB_FUNC, "date", run_date=when, kwargs={"attempt": attempt + 1}, id=RETRY_JOB_ID,
                       name="retry the failed cycle", jobstore=RETRY_STORE, replace_existing=True)
    log.warning("scheduled cycle failed: retry %d/%d at %s", attempt + 1, RETRY_LIMIT, when)
    return when


_WEEKDAY_NAMES = ("sun", "mon", "tue", "wed", "thu", "fri", "sat", "sun")


def crontab_weekdays_named(expression: str) -> str:
    """The crontab with its weekday field in names: cron counts 0 (or 7) as Sunday and 1 as Monday, but
    APScheduler's from_crontab reads the numbers as 0 = Monday, so '1-5' would run Tuesday to Saturday."""
    fields = expression.split()
    if len(fields) != 5:
        return expression  # from_crontab says what is wrong with it
    days: list[str] = []
    for item in fields[4].split(","):
        body, _, step_text = item.partition("/")
        step = int(step_text) if step_text.isdigit() else None
        if step_text and step is None:
            return expression
        if body == "*":
            first, last = 0, 6
        elif body.isdigit():
            first = last = int(body)
            if step is not None:
                last = 6
        elif "-" in body and all(part.isdigit() for part in body.split("-", 1)):
            first, last = (int(part) for part in body.split("-", 1))
        else:
            days.append(item)  # names (mon-fri) mean the same to both
            continue
        if step is None and body == "*":
            days.append("*")
            continue
        if not (0 <= first <= 7 and 0 <= last <= 7 and first <= last):
            return expression
        days.extend(_WEEKDAY_NAMES[d] for d in range(first, last + 1, step or 1))
    named = ",".join(dict.fromkeys(days))
    return " ".join([*fields[:4], named])


def _trigger(service: Service):
    from apscheduler.triggers.cron import CronTrigger

    from markwatch.errors import ConfigError

    tz = ZoneInfo(service.settings.timezone)
    try:
        return CronTrigger.from_crontab(crontab_weekdays_named(service.settings.schedule_cron), timezone=tz)
    except ValueError as exc:
        raise ConfigError(f"schedule_cron {service.settings.schedule_cron!r} is not a crontab expression "
                          f"(minute hour day month weekday, e.g. '0 2 * * *'): {exc}") from exc


def build_scheduler(service: Service, *, blocking: bool = True) -> BaseScheduler:
    """A scheduler with the nightly job in the database's job store (kept when unchanged, so a
    missed slot is still run after a restart)."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.memory import MemoryJobStore
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    global _service, _scheduler
    _service = service
    settings = service.settings
    tz = ZoneInfo(settings.timezone)
    trigger = _trigger(service)
    defaults = {"coalesce": True, "max_instances": 1, "misfire_grace_time": settings.misfire_grace_seconds}
    store = SQLAlchemyJobStore(engine=service.db.engine, tablename=JOBS_TABLE)
    cls = BlockingScheduler if blocking else BackgroundScheduler
    # two threads: the delivery job keeps running while a long cycle runs (the leases keep them apart)
    sched = cls(jobstores={"default": store, RETRY_STORE: MemoryJobStore(), DELIVERY_STORE: MemoryJobStore()},
                executors={"default": ThreadPoolExecutor(2)}, job_defaults=defaults, timezone=tz)
    store.start(sched, "default")  # creates the table if needed, so the stored job can be read now
    existing = store.lookup_job(JOB_ID)
    wanted = (JOB_FUNC, str(trigger), settings.misfire_grace_seconds, True, 1)
    if existing is not None and (existing.func_ref, str(existing.trigger), existing.misfire_grace_time,
                                 existing.coalesce, existing.max_instances) == wanted:
        log.info("keeping the stored job %s, next run %s", JOB_ID, existing.next_run_time)
    else:
        sched.add_job(JOB_FUNC, trigger, id=JOB_ID, name="pull sources then run", replace_existing=True,
                      **defaults)
        log.info("nightly job %s, next run %s", trigger, trigger.get_next_fire_time(None, datetime.now(tz)))
    minutes = settings.delivery_interval_minutes
    if minutes > 0:
        from apscheduler.triggers.interval import IntervalTrigger

        sched.add_job(DELIVERY_FUNC, IntervalTrigger(minutes=minutes, timezone=tz), id=DELIVERY_JOB_ID,
                      name="deliver what is due", jobstore=DELIVERY_STORE, replace_existing=True,
                      coalesce=True, max_instances=1, misfire_grace_time=max(int(minutes * 60), 1))
        log.info("delivery job every %g min", minutes)
    _scheduler = sched
    return sched


def next_run_time(sched: BaseScheduler) -> Any:
    job = sched.get_job(JOB_ID)
    return getattr(job, "next_run_time", None) if job else None


def serve_forever(service: Service) -> None:
    """``markwatch schedule``: block, running the job at each slot, until SIGINT/SIGTERM."""
    sched = build_scheduler(service, blocking=True)

    def stop(signum, _frame) -> None:
        log.info("signal %s: stopping the scheduler", signum)
        sched.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        if sched.running:
            sched.shutdown(wait=False)

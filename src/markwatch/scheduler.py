"""The nightly job (定时任务): pull sources, run, deliver — with APScheduler 3 and a persistent job store.

* The job lives in the ``apscheduler_jobs`` table of the markwatch database, so a scheduler that was
  down at 02:00 runs the missed slot when it comes back within ``misfire_grace_seconds``; several
  missed slots are coalesced into one run.
* One process never overlaps itself (``max_instances=1``); two processes (two schedulers, or a
  scheduler and a manual ``markwatch run``) never overlap either: the cycle takes the database lease
  ``run`` first, and a cycle that finds it taken is skipped and logged.
* Each cycle is recorded as a Run row (started, finished, files, marks, alerts, errors); a failed
  cycle is recorded with its error, and the next slot retries (ingest and run are idempotent).
"""

from __future__ import annotations

import logging
import signal
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # pragma: no cover
    from apscheduler.schedulers.base import BaseScheduler

    from .service import CycleResult, Service

log = logging.getLogger(__name__)

JOB_ID = "markwatch-nightly"
JOB_FUNC = "markwatch.scheduler:scheduled_cycle"
JOBS_TABLE = "apscheduler_jobs"

# The service the job calls; set by build_scheduler (a persisted job stores only the function's name).
_service: Service | None = None


def scheduled_cycle() -> dict:
    """The job: one guarded cycle. Never raises, so APScheduler keeps the job for the next slot."""
    from .service import Service

    svc = _service or Service()
    try:
        result: CycleResult = svc.cycle(kind="scheduled")
    except Exception:
        log.exception("scheduled cycle crashed")
        return {"status": "failed"}
    if result.status == "skipped":
        log.warning("scheduled cycle skipped: another run holds the lease (%s)", result.holder)
    elif result.status == "done":
        log.info("scheduled cycle done: run %s %s", result.run_id, result.run)
    else:
        log.error("scheduled cycle %s: run %s: %s", result.status, result.run_id, result.error)
    return result.as_dict()


def _trigger(service: Service):
    from apscheduler.triggers.cron import CronTrigger

    from .errors import ConfigError

    tz = ZoneInfo(service.settings.timezone)
    try:
        return CronTrigger.from_crontab(service.settings.schedule_cron, timezone=tz)
    except ValueError as exc:
        raise ConfigError(f"schedule_cron {service.settings.schedule_cron!r} is not a crontab expression "
                          f"(minute hour day month weekday, e.g. '0 2 * * *'): {exc}") from exc


def build_scheduler(service: Service, *, blocking: bool = True) -> BaseScheduler:
    """A scheduler with the nightly job in the database's job store (kept when unchanged, so a
    missed slot is still run after a restart)."""
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    global _service
    _service = service
    settings = service.settings
    tz = ZoneInfo(settings.timezone)
    trigger = _trigger(service)
    defaults = {"coalesce": True, "max_instances": 1, "misfire_grace_time": settings.misfire_grace_seconds}
    store = SQLAlchemyJobStore(engine=service.db.engine, tablename=JOBS_TABLE)
    cls = BlockingScheduler if blocking else BackgroundScheduler
    sched = cls(jobstores={"default": store}, executors={"default": ThreadPoolExecutor(1)},
                job_defaults=defaults, timezone=tz)
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

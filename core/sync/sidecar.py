"""The sidecar: one APScheduler `BlockingScheduler` in its own process, working the queue and keeping the timers.

Every sidecar polls the queue (`poll`, every couple of seconds: claim, fetch, write, until idle), beats its
heartbeat and tries for leadership; the leader alone (core.sync.leader) runs the periodic universe sync, the
scan-schedule jobs and housekeeping. Jobs live in APScheduler's memory job store, rebuilt from our own tables:
its SQLAlchemy job store pickles jobs into the database, must never be shared between processes and would be a
second source of truth beside `scan_schedules`. Every job has an explicit id, `coalesce=True`,
`max_instances=1` and a misfire grace of minutes: APScheduler 3.11's default grace is one second, so a job
delayed by a long poll, a GC pause or a suspended laptop would silently be skipped.

A database error in any job is logged as one line and backs every job off (exponential, capped); other
failures are logged and written to `critical_error_logs`. SIGTERM stops the worker after the batch in flight
(unstarted claimed items are released), shuts the scheduler down, waits for running jobs and exits 0.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import socket
import threading
from collections.abc import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import Engine

from core.config import get_settings
from core.db.base import utcnow
from core.db.engine import first_line
from core.providers import get_provider
from core.sync import dispatch, health, sidecar_jobs
from core.sync.backoff import Backoff, is_database_down
from core.sync.leader import LeaderLock
from core.sync.logs import fields
from core.sync.schedule_jobs import ScheduleJobs
from core.sync.settings import SidecarSettings
from core.sync.worker import SyncWorker, new_worker_id

log = logging.getLogger("wheelhouse.sidecar")

LEADER_JOBS = ("universe-sync", "schedules", "housekeeping")
_UNSET = object()


class Sidecar:
    """See the module docstring. `run()` blocks until SIGTERM; `drain()` works the queue until empty."""

    def __init__(
        self,
        engine: Engine,
        settings: SidecarSettings,
        *,
        worker_only: bool = False,
        worker_id: str | None = None,
        provider_factory=get_provider,
        scan_hook=_UNSET,
    ):
        self.engine, self.settings, self.worker_only = engine, settings, worker_only
        self.worker_id = worker_id or new_worker_id()
        self.stop = threading.Event()
        self.worker = SyncWorker(
            engine,
            worker_id=self.worker_id,
            batch_size=settings.batch_size,
            lease=settings.lease,
            stop=self.stop,
            provider_factory=provider_factory,
        )
        self.leader = LeaderLock(engine)
        self.backoff = Backoff(settings.backoff_max_seconds)
        self.scan_hook: Callable[[Engine, int], object] | None = (
            sidecar_jobs.load_scan_hook() if scan_hook is _UNSET else scan_hook
        )
        self.scheduler: BlockingScheduler | None = None
        self.leading = False
        self.mode = "worker-only" if worker_only else "scheduler"
        self.started_at = utcnow()
        self.last_error: tuple[dt.datetime, str] | None = None
        self._schedules = ScheduleJobs(self)

    # ---- lifecycle ------------------------------------------------------------------------------------------
    def run(self) -> int:
        """Start the scheduler and block until SIGTERM/SIGINT; returns the exit status."""
        self._install_signals()
        if not sidecar_jobs.startup(self):
            return 0
        executor = ThreadPoolExecutor(4)
        self.scheduler = BlockingScheduler(
            timezone=dt.UTC,
            executors={"default": executor},
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": int(self.settings.misfire_grace_seconds),
            },
        )
        now = utcnow()
        self._every("poll", self.poll, seconds=self.settings.poll_seconds, first=now)
        self._every("heartbeat", self.heartbeat, seconds=self.settings.heartbeat_seconds, first=now)
        if not self.worker_only:
            self._every("leader-election", self.elect, seconds=self.settings.leader_retry_seconds, first=now)
        log.info(
            "sidecar started",
            extra=fields(worker_id=self.worker_id, mode=self.mode, scan_engine=self.scan_hook is not None),
        )
        if not self.stop.is_set():
            self.scheduler.start()  # returns once a signal handler has shut it down
        executor.shutdown(wait=True)  # the job in flight finishes (the worker has seen `stop`)
        self._finish()
        return 0

    def drain(self) -> int:
        """Enqueue due schedule fires once, work the queue until nothing is left, and return 0."""
        self._install_signals()
        self.mode = "drain"
        if not sidecar_jobs.startup(self):
            return 0
        self.heartbeat()
        if not self.worker_only:
            provider = get_settings().market_data_provider
            self.guarded(
                "schedules", lambda: dispatch.dispatch_due(self.engine, grace=self.settings.grace, provider=provider)
            )
        done = 0
        while not self.stop.is_set():
            done += self.guarded("poll", self._work) or 0
            if self.stop.is_set() or self.guarded("outstanding", self._outstanding) == 0:
                break
            # what is left is leased by other workers (or lapsing leases of dead ones): look again soon
            self.stop.wait(max(min(self.settings.poll_seconds, 0.5), self.backoff.remaining()))
        log.info("drain finished", extra=fields(items=done, worker_id=self.worker_id))
        self._finish()
        return 0

    def request_stop(self, signum: int | None = None, _frame=None) -> None:
        """Stop after the batch in flight (the SIGTERM/SIGINT handler)."""
        if self.stop.is_set():
            return
        log.info(
            "stopping: finishing or releasing the items in flight",
            extra=fields(signal=signal.Signals(signum).name if signum else None),
        )
        self.stop.set()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)

    def _install_signals(self) -> None:
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self.request_stop)
            signal.signal(signal.SIGINT, self.request_stop)

    def _finish(self) -> None:
        if self.leader.held and not self.leader.always_leader:
            self.leader.release()
        self.guarded(
            "heartbeat",
            lambda: health.write_heartbeat(self.engine, self.worker_id, "stopped", self.details()),
            force=True,
        )
        log.info("sidecar stopped", extra=fields(worker_id=self.worker_id))

    # ---- jobs -----------------------------------------------------------------------------------------------
    def guarded(self, name: str, job: Callable[[], object], force: bool = False):
        """Run `job` unless backing off; a database outage backs off, any other failure is logged and recorded."""
        if not force and not self.backoff.ready():
            return None
        try:
            result = job()
        except Exception as exc:  # a job must never take the scheduler down
            if is_database_down(exc):
                delay = self.backoff.failed()
                self.last_error = (utcnow(), f"database: {first_line(exc)}")
                log.warning(
                    "database unavailable; backing off",
                    extra=fields(
                        job=name, retry_in=f"{delay:.0f}s", failures=self.backoff.failures, error=first_line(exc)
                    ),
                )
            else:
                self.last_error = (utcnow(), f"{name}: {type(exc).__name__}: {first_line(exc)}")
                log.exception("job failed", extra=fields(job=name))
                sidecar_jobs.record_failure(self, name, exc)
            return None
        outage = self.backoff.succeeded()
        if outage is not None:
            sidecar_jobs.database_recovered(self, *outage)
        return result

    def poll(self) -> None:
        self.guarded("poll", self._work)

    def _work(self) -> int:
        return sidecar_jobs.work_queue(self)

    def _outstanding(self) -> int:
        return sidecar_jobs.outstanding_items(self)

    def heartbeat(self) -> None:
        recent = self.last_error and utcnow() - self.last_error[0] < dt.timedelta(minutes=5)
        self.guarded(
            "heartbeat",
            lambda: health.write_heartbeat(self.engine, self.worker_id, "degraded" if recent else "ok", self.details()),
        )

    def elect(self) -> None:
        leading = self.guarded("leader-election", self.leader.check)
        if leading is None:  # backing off, or the check failed: a lock whose connection died is not held
            leading = self.leader.held
        if leading == self.leading:
            return
        self.leading = leading
        log.info(
            "leading: scheduling timers" if leading else "following: timers stopped",
            extra=fields(worker_id=self.worker_id),
        )
        if leading:
            minutes = self.settings.sync_interval_minutes
            first = self.guarded("universe-sync", lambda: sidecar_jobs.first_universe_sync(self))
            self._every(
                "universe-sync",
                lambda: self.guarded("universe-sync", self._universe_sync),
                seconds=minutes * 60,
                first=first or utcnow() + dt.timedelta(minutes=minutes),
            )
            self._every(
                "schedules",
                lambda: self.guarded("schedules", self._schedules.refresh),
                seconds=self.settings.schedule_refresh_seconds,
                first=utcnow(),
            )
            self._every(
                "housekeeping",
                lambda: self.guarded("housekeeping", self._housekeeping),
                seconds=self.settings.housekeeping_hours * 3600,
                first=utcnow() + dt.timedelta(minutes=1),
            )
        else:
            for job_id in LEADER_JOBS:
                self.remove_job(job_id)
            self._schedules.clear()

    def _universe_sync(self) -> None:
        sidecar_jobs.universe_sync(self)

    def _housekeeping(self) -> None:
        sidecar_jobs.housekeep(self)

    # ---- helpers --------------------------------------------------------------------------------------------
    def _every(self, job_id: str, func: Callable[[], None], *, seconds: float, first: dt.datetime) -> None:
        self.scheduler.add_job(
            func, "interval", seconds=seconds, id=job_id, name=job_id, replace_existing=True, next_run_time=first
        )

    def remove_job(self, job_id: str) -> None:
        with contextlib.suppress(JobLookupError):
            self.scheduler.remove_job(job_id)

    def details(self) -> dict:
        """The heartbeat payload."""
        when, error = self.last_error or (None, None)
        return {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "worker_id": self.worker_id,
            "leader": self.leading,
            "mode": self.mode,
            "started_at": self.started_at.isoformat(),
            "last_error": error,
            "last_error_at": when.isoformat() if when else None,
            "scan_engine": self.scan_hook is not None,
        }


__all__ = ["Sidecar"]

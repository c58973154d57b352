"""The sidecar: one APScheduler scheduler in its own process, working the queue and keeping the timers.

Every sidecar polls the queue (`poll`, every couple of seconds: each registered job kind works its claimable
items until none is left), beats its heartbeat and tries for leadership; the leader alone (core.jobs.leader)
runs the kinds' leader timers (chain sync's periodic Sync All), the scan-schedule jobs and housekeeping, and
keeps the kinds' leader services running (started on taking leadership, stopped on losing it and at exit). The
kinds come in as a `JobKinds` registry built by the composition root (core.sidecar); this class knows none of
them. Timers live in APScheduler's memory job store (core.jobs.timers), rebuilt from our own tables.

A database error in any job is logged as one line and backs every job off (exponential, capped); other
failures are logged and written to `critical_error_logs` (core.jobs.guard). SIGTERM stops the work after the
batch in flight (unstarted claimed items are released), shuts the scheduler down, waits for running jobs and
exits 0; the signal only wakes a watcher thread that does this (core.jobs.signals says why).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import socket
import threading

from sqlalchemy import Engine

from core.db.base import utcnow
from core.db.migrate import require_current_schema
from core.jobs import fires, health, queue, upkeep
from core.jobs.backoff import Backoff
from core.jobs.guard import Guard
from core.jobs.kinds import JobContext, JobKinds
from core.jobs.leader import LeaderLock
from core.jobs.logs import fields
from core.jobs.schedule_jobs import ScheduleJobs
from core.jobs.settings import SidecarSettings
from core.jobs.signals import StopSignals
from core.jobs.timers import Timers

log = logging.getLogger("wheelhouse.sidecar")


class Sidecar:
    """See the module docstring. `run()` blocks until SIGTERM; `drain()` works the queue until empty."""

    def __init__(
        self,
        engine: Engine,
        settings: SidecarSettings,
        kinds: JobKinds,
        *,
        worker_only: bool = False,
        worker_id: str | None = None,
    ):
        self.engine, self.settings, self.kinds, self.worker_only = engine, settings, kinds, worker_only
        self.worker_id = worker_id or queue.new_worker_id()
        self.stop = threading.Event()
        self.context = JobContext(engine, self.worker_id, self.stop, settings.lease, settings.batch_size)
        self.leader = LeaderLock(engine)
        self.guard = Guard(engine, self.worker_id, Backoff(settings.backoff_max_seconds))
        self.guarded = self.guard.run
        self.timers = Timers(settings.misfire_grace_seconds)
        self.schedules = ScheduleJobs(engine, self.timers, self.guarded, settings.grace, settings.provider)
        self.leading = False
        self.mode = "worker-only" if worker_only else "scheduler"
        self.started_at = utcnow()

    # ---- lifecycle ------------------------------------------------------------------------------------------
    def run(self) -> int:
        """Start the scheduler and block until SIGTERM/SIGINT; returns the exit status."""
        with StopSignals(self.request_stop):
            if not self._start():
                return 0
            now = utcnow()
            self.timers.every("poll", self.poll, seconds=self.settings.poll_seconds, first=now)
            self.timers.every("heartbeat", self.heartbeat, seconds=self.settings.heartbeat_seconds, first=now)
            if not self.worker_only:
                self.timers.every("leader-election", self.elect, seconds=self.settings.leader_retry_seconds, first=now)
            log.info(
                "sidecar started", extra=fields(worker_id=self.worker_id, mode=self.mode, kinds=self._kind_names())
            )
            self.timers.run()  # returns once request_stop has shut it down (even before it started) and jobs finished
            self._finish()
        return 0

    def drain(self) -> int:
        """Enqueue due schedule fires once, work the queue until nothing is left, and return 0."""
        with StopSignals(self.request_stop):
            return self._drain()

    def _drain(self) -> int:
        self.mode = "drain"
        if not self._start():
            return 0
        self.heartbeat()
        if not self.worker_only:
            grace, provider = self.settings.grace, self.settings.provider
            self.guarded("schedules", lambda: fires.dispatch_due(self.engine, grace=grace, provider=provider))
        done = 0
        while not self.stop.is_set():
            done += self.guarded("poll", self.work) or 0
            if self.stop.is_set() or self.guarded("outstanding", self.outstanding) == 0:
                break
            # what is left is leased by other workers (or lapsing leases of dead ones): look again soon
            self.stop.wait(max(min(self.settings.poll_seconds, 0.5), self.guard.backoff.remaining()))
        log.info("drain finished", extra=fields(items=done, worker_id=self.worker_id))
        self._finish()
        return 0

    def request_stop(self, signum: int | None = None) -> None:
        """Stop after the batch in flight (on SIGTERM/SIGINT, from core.jobs.signals' watcher thread)."""
        if self.stop.is_set():
            return
        log.info(
            "stopping: finishing or releasing the items in flight",
            extra=fields(signal=signal.Signals(signum).name if signum else None),
        )
        self.stop.set()
        self.timers.shut_down()

    def _start(self) -> bool:
        """Wait for the database, insist on the current schema, fill empty calendars; False if stopped first."""
        if not upkeep.wait_for_database(self.engine, self.stop, self.guard.backoff):
            return False
        require_current_schema(self.engine)  # a wrong schema is not worth retrying: exit with one line
        upkeep.ensure_calendars(self.engine)
        return True

    def _finish(self) -> None:
        if self.leading:  # the timers have stopped and their jobs in flight finished: now the services
            self.leading = False
            self._stop_services()
        if self.leader.held and not self.leader.always_leader:
            self.leader.release()
        self.guarded("heartbeat", lambda: self._beat("stopped"), force=True)
        log.info("sidecar stopped", extra=fields(worker_id=self.worker_id))

    # ---- jobs -----------------------------------------------------------------------------------------------
    def poll(self) -> None:
        """The `poll` timer: work the queue until idle."""
        self.guarded("poll", self.work)

    def work(self) -> int:
        """Let every kind work its claimable items, in registration order; returns how many were finished."""
        with self.engine.begin() as conn:  # anything this worker still holds is from a failed pass: requeue it
            queue.release_items(conn, self.worker_id, reason="its worker's pass failed while working on it")
        done = 0
        for kind in self.kinds:  # each kind guarded alone: one that breaks does not keep the others from working
            if self.stop.is_set():
                break
            done += self.guarded(kind.name, lambda kind=kind: kind.work(self.context)) or 0
        return done

    def outstanding(self) -> int:
        """Items not yet final in runs of the kinds this sidecar works (what `drain` waits for)."""
        with self.engine.connect() as conn:
            return queue.outstanding_items(conn, self.kinds.names)

    def heartbeat(self) -> None:
        """The `heartbeat` timer: 'degraded' while a job failed in the last five minutes, else 'ok'."""
        self.guarded("heartbeat", lambda: self._beat("degraded" if self.guard.recent_error() else "ok"))

    def elect(self) -> None:
        """The `leader-election` timer: keep or take leadership, and add or remove the leader's timers."""
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
            self._lead()
        else:
            for job_id in self._leader_job_ids():
                self.timers.remove(job_id)
            self.schedules.clear()
            self._stop_services()

    def _lead(self) -> None:
        for service in self.kinds.services():
            self.guarded(service.id, lambda s=service: s.start(self.engine), force=True)
        for timer in self.kinds.timers():
            first = self.guarded(timer.id, lambda t=timer: t.first_run(self.engine))
            self.timers.every(
                timer.id,
                lambda t=timer: self.guarded(t.id, lambda: t.run(self.engine)),
                seconds=timer.seconds,
                first=first or utcnow() + dt.timedelta(seconds=timer.seconds),
            )
        self.timers.every(
            "schedules",
            lambda: self.guarded("schedules", self.schedules.refresh),
            seconds=self.settings.schedule_refresh_seconds,
            first=utcnow(),
        )
        retention = self.settings.retention
        self.timers.every(
            "housekeeping",
            lambda: self.guarded("housekeeping", lambda: upkeep.housekeep(self.engine, retention)),
            seconds=self.settings.housekeeping_hours * 3600,
            first=utcnow() + dt.timedelta(minutes=1),
        )
        self.timers.every(  # "Run housekeeping now" on the Operations page (core.jobs.retention)
            "housekeeping-requests",
            lambda: self.guarded("housekeeping", lambda: upkeep.housekeep_if_requested(self.engine, retention)),
            seconds=self.settings.schedule_refresh_seconds,
            first=utcnow(),
        )

    def _stop_services(self) -> None:
        for service in reversed(self.kinds.services()):
            self.guarded(service.id, service.stop, force=True)

    def _leader_job_ids(self) -> tuple[str, ...]:
        return (*(timer.id for timer in self.kinds.timers()), "schedules", "housekeeping", "housekeeping-requests")

    # ---- the heartbeat --------------------------------------------------------------------------------------
    def _beat(self, status: str) -> None:
        health.write_heartbeat(self.engine, self.worker_id, status, self.details())

    def _kind_names(self) -> str:
        return ",".join(self.kinds.names)

    def details(self) -> dict:
        """The heartbeat payload."""
        when, error = self.guard.last_error or (None, None)
        return {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "worker_id": self.worker_id,
            "leader": self.leading,
            "mode": self.mode,
            "started_at": self.started_at.isoformat(),
            "last_error": error,
            "last_error_at": when.isoformat() if when else None,
            "kinds": self._kind_names(),
        }


__all__ = ["Sidecar"]

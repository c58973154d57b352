"""Running a sidecar job so that it can never take the scheduler down.

A database outage backs every job off together (core.jobs.backoff) and is logged as one line per attempt. It ends
only when the database itself answers: a job that succeeds without touching it (stopping a feed, a timer with
nothing to do) proves nothing, so the first success after an outage writes the outage to `critical_error_logs`,
and only that write ends it. If the write fails the outage goes on, and the next success tries again: an outage
is never forgotten. Any other failure is logged with its traceback and written there too. The last error is kept
for the heartbeat.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import traceback
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Engine

from core.db.base import utcnow
from core.db.engine import first_line
from core.jobs import health
from core.jobs.backoff import Backoff, is_database_down
from core.jobs.logs import fields

log = logging.getLogger("wheelhouse.sidecar")
T = TypeVar("T")


class Guard:
    """`run(name, job)`: the job's result, or None when backing off or when it failed (logged and recorded)."""

    def __init__(self, engine: Engine, worker_id: str, backoff: Backoff):
        self.engine, self.worker_id, self.backoff = engine, worker_id, backoff
        self.last_error: tuple[dt.datetime, str] | None = None
        self._recovering = threading.Lock()  # one job records the outage; the others see it ended

    def run(self, name: str, job: Callable[[], T], force: bool = False) -> T | None:
        """Run `job` unless backing off (`force` runs it anyway: the last heartbeat at shutdown)."""
        if not force and not self.backoff.ready():
            return None
        try:
            result = job()
        except Exception as exc:  # a job must never take the scheduler down
            if is_database_down(exc):
                self._back_off(name, exc)
            else:
                self.last_error = (utcnow(), f"{name}: {type(exc).__name__}: {first_line(exc)}")
                log.exception("job failed", extra=fields(job=name))
                self._record_failure(name, exc)
            return None
        if self.backoff.in_outage():
            self._end_outage(name)
        return result

    def recent_error(self, within: dt.timedelta = dt.timedelta(minutes=5)) -> bool:
        """Whether a job failed lately (the heartbeat then says 'degraded')."""
        return self.last_error is not None and utcnow() - self.last_error[0] < within

    def _record_failure(self, job: str, exc: BaseException) -> None:
        """Write a failed job to critical_error_logs (best effort: the database may be why it failed)."""
        try:
            health.record_error(
                self.engine,
                "sidecar_job_failed",
                f"{job}: {type(exc).__name__}: {exc}",
                {
                    "job": job,
                    "worker_id": self.worker_id,
                    "traceback": "".join(traceback.format_exception(exc))[-4000:],
                },
            )
        except Exception:  # already logged above; never fail the failure path
            log.debug("could not record the failure", exc_info=True)

    def _back_off(self, name: str, exc: BaseException) -> None:
        delay = self.backoff.failed()
        self.last_error = (utcnow(), f"database: {first_line(exc)}")
        log.warning(
            "database unavailable; backing off",
            extra=fields(job=name, retry_in=f"{delay:.0f}s", failures=self.backoff.failures, error=first_line(exc)),
        )

    def _end_outage(self, name: str) -> None:
        """Record the outage in the database; only a write that lands ends it (see the module docstring)."""
        with self._recovering:
            outage = self.backoff.outage()
            if outage is None:  # another job ended it meanwhile
                return
            seconds, failures = outage
            error = self.last_error[1] if self.last_error else "database unreachable"
            try:
                health.record_error(
                    self.engine,
                    "database_unavailable",
                    f"sidecar lost the database for {seconds:.0f} s ({failures} failed attempts): {error}",
                    {"worker_id": self.worker_id, "seconds": round(seconds, 1), "failures": failures},
                )
            except Exception as exc:  # still down (that job did not need it), or a bug: the outage goes on
                if is_database_down(exc):
                    self._back_off(f"{name} (recording the outage)", exc)
                else:
                    log.exception("could not record the outage", extra=fields(job=name))
                return
            self.backoff.succeeded()
        log.warning("database reachable again", extra=fields(outage_seconds=round(seconds, 1), failures=failures))


__all__ = ["Guard"]

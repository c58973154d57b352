"""The sidecar's APScheduler jobs by id: a `BlockingScheduler` with the memory job store and explicit job ids.

Why the memory job store: the SQLAlchemy one pickles jobs into the database, must never be shared between
processes and would be a second source of truth beside our own tables, which the jobs are rebuilt from. Every
job gets `coalesce=True`, `max_instances=1` and a misfire grace of minutes: APScheduler 3.11's default grace is
one second, so a job delayed by a long poll, a GC pause or a suspended laptop would silently be skipped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Sequence

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.blocking import BlockingScheduler


class Timers:
    """Interval jobs and one-off date jobs, each under its id (adding an id again replaces the job)."""

    def __init__(self, misfire_grace_seconds: float, threads: int = 4):
        self._executor = ThreadPoolExecutor(threads)
        self._scheduler = BlockingScheduler(
            timezone=dt.UTC,
            executors={"default": self._executor},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": int(misfire_grace_seconds)},
        )

    def every(self, job_id: str, func: Callable[[], object], *, seconds: float, first: dt.datetime) -> None:
        """Run `func` every `seconds`, first at `first`."""
        self._scheduler.add_job(
            func, "interval", seconds=seconds, id=job_id, name=job_id, replace_existing=True, next_run_time=first
        )

    def at(self, job_id: str, func: Callable[..., object], when: dt.datetime, args: Sequence = ()) -> None:
        """Run `func(*args)` once, at `when`."""
        self._scheduler.add_job(
            func, "date", run_date=when, args=list(args), id=job_id, name=job_id, replace_existing=True
        )

    def has(self, job_id: str) -> bool:
        return self._scheduler.get_job(job_id) is not None

    def remove(self, job_id: str) -> None:
        with contextlib.suppress(JobLookupError):
            self._scheduler.remove_job(job_id)

    def run(self) -> None:
        """Block, running the jobs, until `shut_down` (from a signal handler); then wait for the jobs in flight."""
        self._scheduler.start()
        self._executor.shutdown(wait=True)

    def shut_down(self) -> None:
        """Stop starting jobs (the ones running finish); `run` then returns."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)


__all__ = ["Timers"]

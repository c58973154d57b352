"""The sidecar's APScheduler jobs by id: a `BackgroundScheduler` with the memory job store and explicit job ids.

`run()` blocks the calling thread until `shut_down()`, which may come first (a SIGTERM during start-up): the
scheduler then never starts, instead of starting after its stop and running for ever. Once stopping, adding or
removing a job does nothing: a job in flight that schedules more (the leader's first election adds the leader's
timers) must not wait on a scheduler that is waiting for it.

Why the memory job store: the SQLAlchemy one pickles jobs into the database, must never be shared between
processes and would be a second source of truth beside our own tables, which the jobs are rebuilt from. Every
job gets `coalesce=True`, `max_instances=1` and a misfire grace of minutes: APScheduler 3.11's default grace is
one second, so a job delayed by a long poll, a GC pause or a suspended laptop would silently be skipped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable, Sequence

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler


class Timers:
    """Interval jobs and one-off date jobs, each under its id (adding an id again replaces the job)."""

    def __init__(self, misfire_grace_seconds: float, threads: int = 4):
        self._executor = ThreadPoolExecutor(threads)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._scheduler = BackgroundScheduler(
            timezone=dt.UTC,
            executors={"default": self._executor},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": int(misfire_grace_seconds)},
        )

    def every(self, job_id: str, func: Callable[[], object], *, seconds: float, first: dt.datetime) -> None:
        """Run `func` every `seconds`, first at `first`."""
        with self._lock:
            if not self._stopping.is_set():
                self._scheduler.add_job(
                    func,
                    "interval",
                    seconds=seconds,
                    id=job_id,
                    name=job_id,
                    replace_existing=True,
                    next_run_time=first,
                )

    def at(self, job_id: str, func: Callable[..., object], when: dt.datetime, args: Sequence = ()) -> None:
        """Run `func(*args)` once, at `when`."""
        with self._lock:
            if not self._stopping.is_set():
                self._scheduler.add_job(
                    func, "date", run_date=when, args=list(args), id=job_id, name=job_id, replace_existing=True
                )

    def has(self, job_id: str) -> bool:
        return self._scheduler.get_job(job_id) is not None

    def remove(self, job_id: str) -> None:
        with self._lock, contextlib.suppress(JobLookupError):
            if not self._stopping.is_set():
                self._scheduler.remove_job(job_id)

    def run(self) -> None:
        """Run the jobs until `shut_down` (from another thread); then wait for the jobs in flight and return."""
        with self._lock:
            if self._stopping.is_set():
                return
            self._scheduler.start()
        self._stopping.wait()
        self._scheduler.shutdown(wait=False)  # no new runs; holds no lock while the jobs in flight finish
        self._executor.shutdown(wait=True)

    def shut_down(self) -> None:
        """Stop starting jobs (the ones running finish); `run` then returns, or returns at once if not started."""
        with self._lock:
            self._stopping.set()


__all__ = ["Timers"]

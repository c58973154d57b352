"""How far a queued run has got: counts, failures and an ETA, read from `job_runs` (what progress bars poll).

The sidecar updates a run's totals after every batch (core.jobs.queue.refresh_run), so one primary-key read
per poll is all a page needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import FINAL_RUN_STATUSES, JobRun
from core.wording import plural


@dataclass(frozen=True)
class RunProgress:
    run_id: int
    scope: str
    status: str
    provider: str | None
    total: int
    done: int
    failed: int
    no_options: int
    contracts: int
    created_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    error: str | None = None
    now: dt.datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status in FINAL_RUN_STATUSES

    @property
    def fraction(self) -> float:
        if self.finished:
            return 1.0
        return min(self.done / self.total, 1.0) if self.total else 0.0

    @property
    def elapsed(self) -> dt.timedelta | None:
        if self.started_at is None:
            return None
        return (self.finished_at or self.now or utcnow()) - self.started_at

    @property
    def eta(self) -> dt.timedelta | None:
        """Remaining time at the pace so far; None until the first symbols are done or once finished."""
        elapsed = self.elapsed
        if self.finished or elapsed is None or self.done <= 0 or self.total <= self.done:
            return None
        return elapsed * ((self.total - self.done) / self.done)

    def summary(self) -> str:
        """'120/300 symbols, 3 failed, 2 without options, 24,310 contracts'."""
        return (
            f"{self.done}/{plural(self.total, 'symbol')}, {self.failed} failed, {self.no_options} without options, "
            f"{plural(self.contracts, 'contract')}"
        )


def progress_of(run: JobRun, now: dt.datetime | None = None) -> RunProgress:
    """A run row as a plain RunProgress (safe to keep after its session closes)."""
    return RunProgress(
        run.id,
        run.scope,
        run.status,
        run.provider,
        run.total_items,
        run.done_items,
        run.failed_items,
        run.no_options_items,
        run.contracts,
        run.created_at,
        run.started_at,
        run.finished_at,
        run.error_message,
        now or utcnow(),
    )


def run_progress(session: Session, run_id: int) -> RunProgress | None:
    """The progress of run `run_id`, or None if there is no such run."""
    run = session.get(JobRun, run_id)
    return None if run is None else progress_of(run)


def active_run(session: Session, kind: str, scope: str | None = None) -> RunProgress | None:
    """The oldest queued or running run of `kind` (of `scope` if given), or None."""
    statement = select(JobRun).where(JobRun.kind == kind, JobRun.status.in_(("queued", "running")))
    if scope is not None:
        statement = statement.where(JobRun.scope == scope)
    run = session.scalar(statement.order_by(JobRun.id).limit(1))
    return None if run is None else progress_of(run)


def last_finished_run(session: Session, kind: str) -> RunProgress | None:
    """The run of `kind` that finished last, or None."""
    run = session.scalar(
        select(JobRun)
        .where(JobRun.kind == kind, JobRun.status.in_(FINAL_RUN_STATUSES))
        .order_by(JobRun.finished_at.desc(), JobRun.id.desc())
        .limit(1)
    )
    return None if run is None else progress_of(run)


__all__ = ["RunProgress", "active_run", "last_finished_run", "progress_of", "run_progress"]

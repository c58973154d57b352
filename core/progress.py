"""How far a queued sync has got: counts, failures and an ETA, read from `job_runs` (what the progress bar polls).

The sidecar updates a run's totals after every batch (core/sync/queue.py `refresh_run`), so one primary-key
read per poll is all the page needs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import FINAL_RUN_STATUSES, JobRun
from core.sync.requests import SyncRequest, enqueue_sync


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
            f"{self.done}/{self.total} symbols, {self.failed} failed, {self.no_options} without options, "
            f"{self.contracts:,} contracts"
        )


def _progress(run: JobRun, now: dt.datetime) -> RunProgress:
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
        now,
    )


def run_progress(session: Session, run_id: int) -> RunProgress | None:
    run = session.get(JobRun, run_id)
    return None if run is None else _progress(run, utcnow())


def active_sync(session: Session, scope: str | None = None) -> RunProgress | None:
    """The oldest queued or running sync (of `scope` if given), or None."""
    statement = select(JobRun).where(JobRun.kind == "sync", JobRun.status.in_(("queued", "running")))
    if scope is not None:
        statement = statement.where(JobRun.scope == scope)
    run = session.scalar(statement.order_by(JobRun.id).limit(1))
    return None if run is None else _progress(run, utcnow())


def last_finished_sync(session: Session) -> RunProgress | None:
    run = session.scalar(
        select(JobRun)
        .where(JobRun.kind == "sync", JobRun.status.in_(FINAL_RUN_STATUSES))
        .order_by(JobRun.finished_at.desc(), JobRun.id.desc())
        .limit(1)
    )
    return None if run is None else _progress(run, utcnow())


def request_sync(session: Session, request: SyncRequest) -> tuple[RunProgress, bool]:
    """Enqueue a sync (or find the one of the same scope already queued or running); does not commit."""
    run, created = enqueue_sync(session, request)
    session.flush()
    return _progress(run, utcnow()), created

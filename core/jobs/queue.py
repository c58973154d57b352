"""The job queue (DESIGN section 6): enqueue a run, claim its items under a lease, record outcomes.

A run has a `kind` (the job kind that works it: core.jobs.kinds) and one item per symbol; this module knows
nothing of what a kind does with its items.

Why leases: a worker that dies (kill -9, a lost machine) cannot say so. Each claimed item carries
`lease_expires_at`; a live worker extends it with a heartbeat, and once it lapses any worker may claim the item
again, so a dead worker's work resumes instead of hanging. Why `FOR UPDATE SKIP LOCKED`: several sidecars
can then claim from one table at once, each skipping rows another is claiming, without blocking or double
work. SQLite has one writer at a time and one sidecar, so the same statement without the locking clause is
enough there.

A claim is an attempt, and nothing gives one back. An item claimed MAX_ATTEMPTS times that is claimable again
(its lease lapsed, or a worker released it) is failed with its last reason instead of being handed out again:
a symbol that kills its worker, or whose result the database refuses, must not stall its run -- or the runs
queued behind it -- for ever. (Release once subtracted the attempt, to spare items a clean stop gave back
unstarted; but the sidecar also releases what a failing pass left behind, so a poison item was claimed, failed,
released and claimed again without end. The price of never undoing: an item given back unstarted by three
clean stops in a row fails too, with a reason that says so, and a new run redoes it.)
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, exists, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import FINAL_RUN_STATUSES, JobItem, JobRun
from core.wording import shorten

MAX_ATTEMPTS = 3
DEFAULT_LEASE = dt.timedelta(seconds=120)
FINAL_ITEM_STATUSES = ("synced", "no_options", "failed", "cancelled")


def new_worker_id() -> str:
    """host:pid:random: unique per worker, and readable where leases and logs show it."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass(frozen=True)
class Claim:
    item_id: int
    run_id: int
    symbol: str
    attempts: int


@dataclass(frozen=True)
class ItemOutcome:
    item_id: int
    status: str  # synced / no_options / failed
    contracts: int = 0
    quarantined: dict[str, int] | None = None
    error: str | None = None
    usage: dict[str, float] | None = None  # request accounting (USAGE_COLUMNS); None when nothing was fetched


# An item's request accounting: the keys of ItemOutcome.usage and the job_items columns they are stored in.
USAGE_COLUMNS = {
    "requests": "requests",
    "retries": "retries",
    "rate_limited": "rate_limited",
    "bytes": "bytes_received",
    "wait_seconds": "wait_seconds",
    "network_seconds": "network_seconds",
}


def enqueue_run(
    session: Session,
    *,
    kind: str,
    scope: str,
    symbols: list[str],
    provider: str | None = None,
    params: dict[str, Any] | None = None,
    requested_by: str | None = None,
) -> tuple[JobRun, bool]:
    """Queue a run with one item per symbol; if one of the same scope is queued or running, return it.

    Returns (run, created). The unique `active_scope` makes this safe against a concurrent request.
    """
    existing = active_run(session, scope)
    if existing is not None:
        return existing, False
    unique = list(dict.fromkeys(symbols))
    run = JobRun(
        kind=kind,
        scope=scope,
        active_scope=scope,
        status="queued",
        provider=provider,
        params=params,
        requested_by=requested_by,
        total_items=len(unique),
    )
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError:
        existing = active_run(session, scope)
        if existing is None:
            raise
        return existing, False
    if unique:
        session.execute(insert(JobItem), [{"run_id": run.id, "symbol": s, "status": "queued"} for s in unique])
    else:
        _finish_run(session.connection(), run.id)
    return run, True


def active_run(session: Session, scope: str) -> JobRun | None:
    """The queued or running run of `scope`, if any."""
    return session.scalar(select(JobRun).where(JobRun.active_scope == scope))


def _claimable(now: dt.datetime):
    """An item any worker may take now: queued, or running under a lease that lapsed (its worker died)."""
    return (JobItem.status == "queued") | ((JobItem.status == "running") & (JobItem.lease_expires_at < now))


def claim_items(
    conn: Connection,
    worker: str,
    limit: int,
    lease: dt.timedelta = DEFAULT_LEASE,
    run_id: int | None = None,
    *,
    kind: str,
) -> list[Claim]:
    """Claim up to `limit` queued (or lease-expired) items of `kind` runs for `worker`, oldest run first."""
    now = utcnow()
    _fail_exhausted(conn, now)
    candidates = (
        select(JobItem.id)
        .join(JobRun, JobRun.id == JobItem.run_id)
        .where(JobRun.status.in_(("queued", "running")), JobRun.kind == kind)
        .where(_claimable(now))
        .order_by(JobItem.run_id, JobItem.id)
        .limit(limit)
    )
    if run_id is not None:
        candidates = candidates.where(JobItem.run_id == run_id)
    if conn.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True, of=JobItem)
    claimed = conn.execute(
        update(JobItem)
        .where(JobItem.id.in_(candidates.scalar_subquery()))
        .values(
            status="running",
            lease_owner=worker,
            lease_expires_at=now + lease,
            attempts=JobItem.attempts + 1,
            started_at=func.coalesce(JobItem.started_at, now),
        )
        .returning(JobItem.id, JobItem.run_id, JobItem.symbol, JobItem.attempts)
    ).all()
    run_ids = {row.run_id for row in claimed}
    if run_ids:
        conn.execute(
            update(JobRun)
            .where(JobRun.id.in_(run_ids), JobRun.status == "queued")
            .values(status="running", started_at=now)
        )
    return sorted((Claim(*row) for row in claimed), key=lambda c: c.item_id)


def _fail_exhausted(conn: Connection, now: dt.datetime) -> None:
    """Claimable items already claimed MAX_ATTEMPTS times fail with their last reason instead of being handed out."""
    exhausted = (
        conn.execute(
            update(JobItem)
            .where(_claimable(now), JobItem.attempts >= MAX_ATTEMPTS)
            .values(
                status="failed",
                finished_at=now,
                lease_owner=None,
                lease_expires_at=None,
                error_message=literal(f"gave up after {MAX_ATTEMPTS} attempts: ")
                + func.coalesce(JobItem.error_message, "its worker stopped while working on it"),
            )
            .returning(JobItem.run_id)
        )
        .scalars()
        .all()
    )
    for run_id in set(exhausted):
        refresh_run(conn, run_id)


def claimable_runs(conn: Connection, kind: str) -> list[int]:
    """Runs of `kind` with an item to claim now, oldest first (a kind that works one run at a time asks this)."""
    return list(
        conn.scalars(
            select(JobRun.id)
            .where(
                JobRun.kind == kind,
                JobRun.status.in_(("queued", "running")),
                exists().where(JobItem.run_id == JobRun.id, _claimable(utcnow())),
            )
            .order_by(JobRun.id)
        )
    )


def outstanding_items(conn: Connection, kinds: tuple[str, ...]) -> int:
    """Items not yet final in open runs of `kinds` (claimable now or leased by some worker)."""
    return conn.execute(
        select(func.count())
        .select_from(JobItem)
        .join(JobRun, JobRun.id == JobItem.run_id)
        .where(
            JobRun.kind.in_(kinds),
            JobRun.status.in_(("queued", "running")),
            JobItem.status.in_(("queued", "running")),
        )
    ).scalar_one()


def extend_leases(conn: Connection, worker: str, item_ids: list[int], lease: dt.timedelta = DEFAULT_LEASE) -> int:
    """Heartbeat: push the lease of `worker`'s running items forward; returns how many it still holds."""
    if not item_ids:
        return 0
    result = conn.execute(
        update(JobItem)
        .where(JobItem.id.in_(item_ids), JobItem.lease_owner == worker, JobItem.status == "running")
        .values(lease_expires_at=utcnow() + lease)
    )
    return result.rowcount


def usage_totals(session: Session | Connection, run_ids: list[int]) -> dict[int, dict[str, float]]:
    """Each run's request accounting summed over its items (USAGE_COLUMNS' keys); runs that fetched nothing
    over a network are missing."""
    if not run_ids:
        return {}
    columns = [getattr(JobItem, c) for c in USAGE_COLUMNS.values()]
    stmt = (
        select(JobItem.run_id, *[func.sum(c) for c in columns])
        .where(JobItem.run_id.in_(run_ids), JobItem.requests.is_not(None))
        .group_by(JobItem.run_id)
    )
    # float(): PostgreSQL sums a BIGINT as NUMERIC (a Decimal)
    return {
        row[0]: dict(zip(USAGE_COLUMNS, (float(v or 0) for v in row[1:]), strict=True)) for row in session.execute(stmt)
    }


def record_outcomes(conn: Connection, worker: str, outcomes: list[ItemOutcome]) -> None:
    """Store each item's outcome and refresh its run's totals (in the caller's transaction).

    Only items `worker` still holds are updated: a worker whose lease lapsed and was taken over must not
    overwrite the new owner's bookkeeping (its data write was an idempotent upsert, so nothing is lost).
    """
    if not outcomes:
        return
    now = utcnow()
    conn.execute(
        update(JobItem)
        .where(JobItem.id == bindparam("item"), JobItem.lease_owner == worker)
        .values(
            status=bindparam("new_status"),
            contracts=bindparam("new_contracts"),
            quarantined=bindparam("new_quarantined"),
            error_message=bindparam("error"),
            **{column: bindparam(f"usage_{column}") for column in USAGE_COLUMNS.values()},
            finished_at=now,
            lease_owner=None,
            lease_expires_at=None,
        ),
        [
            {
                "item": o.item_id,
                "new_status": o.status,
                "new_contracts": o.contracts,
                "new_quarantined": o.quarantined or None,
                "error": o.error,
                **{f"usage_{column}": (o.usage or {}).get(key) for key, column in USAGE_COLUMNS.items()},
            }
            for o in outcomes
        ],
    )
    run_ids = conn.execute(select(JobItem.run_id).where(JobItem.id.in_([o.item_id for o in outcomes]))).scalars().all()
    for run_id in sorted(set(run_ids)):
        refresh_run(conn, run_id)


def release_items(
    conn: Connection, worker: str, item_ids: list[int] | None = None, *, reason: str | None = None
) -> int:
    """Give back `worker`'s unfinished items (all, or `item_ids`): they are queued again at once.

    Their attempts stay counted (see the module docstring); `reason` says why they came back, and becomes the
    item's error if it is given up on.
    """
    statement = update(JobItem).where(JobItem.lease_owner == worker, JobItem.status == "running")
    if item_ids is not None:
        statement = statement.where(JobItem.id.in_(item_ids))
    values: dict[str, Any] = {"status": "queued", "lease_owner": None, "lease_expires_at": None}
    if reason is not None:
        values["error_message"] = shorten(reason, 1000)
    return conn.execute(statement.values(**values)).rowcount


def refresh_run(conn: Connection, run_id: int) -> None:
    """Recount a run's items; close the run when none is left to do.

    The run row is locked first: two workers recording a run's last two items at once would otherwise each
    count before the other committed, each see one item still running, and leave the run open for ever. With
    the lock, the second waits, and under READ COMMITTED its count then sees the first one's update.
    """
    conn.execute(select(JobRun.id).where(JobRun.id == run_id).with_for_update())
    counts = dict(
        conn.execute(
            select(JobItem.status, func.count()).where(JobItem.run_id == run_id).group_by(JobItem.status)
        ).all()
    )
    contracts = conn.execute(
        select(func.coalesce(func.sum(JobItem.contracts), 0)).where(JobItem.run_id == run_id)
    ).scalar_one()
    conn.execute(
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(
            done_items=sum(counts.get(s, 0) for s in FINAL_ITEM_STATUSES),
            failed_items=counts.get("failed", 0),
            no_options_items=counts.get("no_options", 0),
            contracts=contracts,
        )
    )
    if counts.get("queued", 0) == 0 and counts.get("running", 0) == 0:
        _finish_run(conn, run_id)


def _finish_run(conn: Connection, run_id: int) -> None:
    now = utcnow()
    quarantined: Counter[str] = Counter()
    for doc in conn.execute(
        select(JobItem.quarantined).where(JobItem.run_id == run_id, JobItem.quarantined.is_not(None))
    ).scalars():
        quarantined.update(doc)
    run = conn.execute(select(JobRun.status, JobRun.total_items, JobRun.failed_items).where(JobRun.id == run_id)).one()
    if run.status in FINAL_RUN_STATUSES:
        return
    status = "failed" if run.total_items and run.failed_items == run.total_items else "completed"
    conn.execute(
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(
            status=status,
            active_scope=None,
            finished_at=now,
            quarantined=dict(quarantined) or None,
            started_at=func.coalesce(JobRun.started_at, now),
        )
    )


def cancel_run(conn: Connection, run_id: int) -> None:
    """Stop a run: its queued items are cancelled; items in flight finish and are recorded."""
    conn.execute(
        update(JobItem)
        .where(JobItem.run_id == run_id, JobItem.status == "queued")
        .values(status="cancelled", finished_at=utcnow())
    )
    conn.execute(
        update(JobRun)
        .where(JobRun.id == run_id, JobRun.status.in_(("queued", "running")))
        .values(status="cancelled", active_scope=None, finished_at=utcnow())
    )


__all__ = [
    "Claim",
    "ItemOutcome",
    "active_run",
    "cancel_run",
    "claim_items",
    "claimable_runs",
    "enqueue_run",
    "extend_leases",
    "new_worker_id",
    "outstanding_items",
    "record_outcomes",
    "refresh_run",
    "release_items",
]

"""The sidecar's heartbeat in `system_health_status` (written and read), its failures in `critical_error_logs`,
and retention housekeeping.

One heartbeat row per sidecar process (its id derives from the worker id), updated in place every beat, so the
table says which sidecars are alive without growing by thousands of rows a day; housekeeping deletes the rows of
processes that stopped beating long ago. `sidecar_health` is what the dashboard reads of them.
"""

from __future__ import annotations

import datetime as dt
import time
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select, text, update
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import (
    FINAL_RUN_STATUSES,
    CriticalErrorLog,
    JobRun,
    OpportunitySnapshot,
    QuarantineCount,
    ScanSession,
    ScheduleFire,
    SymbolDailyHistory,
    SystemHealthStatus,
)
from core.wording import shorten

SERVICE_NAME = "sidecar"
STALE_AFTER = dt.timedelta(minutes=2)  # a sidecar that has not beaten for this long is not counted alive
_HEARTBEAT_NAMESPACE = uuid.UUID("6f1d3c1e-5b8a-4f3e-9a57-2c7d0e4b9a11")


def heartbeat_id(worker_id: str) -> str:
    """The stable id of one process's heartbeat row."""
    return str(uuid.uuid5(_HEARTBEAT_NAMESPACE, worker_id))


def write_heartbeat(engine: Engine, worker_id: str, status: str, details: dict[str, Any]) -> None:
    """Upsert this process's heartbeat row: status 'ok', 'degraded' or 'stopped', timing and `details`."""
    started = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(text("SELECT 1"))
        response_ms = int((time.perf_counter() - started) * 1000)
        errors = conn.execute(
            select(func.count())
            .select_from(CriticalErrorLog)
            .where(CriticalErrorLog.created_at >= utcnow() - dt.timedelta(hours=24))
        ).scalar_one()
        values = {
            "service_name": SERVICE_NAME,
            "status": status,
            "check_timestamp": utcnow(),
            "response_time_ms": response_ms,
            "error_count_24h": errors,
            "details": details,
        }
        row_id = heartbeat_id(worker_id)
        if not conn.execute(
            update(SystemHealthStatus).where(SystemHealthStatus.id == row_id).values(**values)
        ).rowcount:
            conn.execute(insert(SystemHealthStatus).values(id=row_id, **values))


def record_error(
    engine: Engine, error_type: str, message: str, details: dict[str, Any] | None = None, severity: str = "HIGH"
) -> None:
    """Insert one `critical_error_logs` row (its own transaction)."""
    with engine.begin() as conn:
        conn.execute(
            insert(CriticalErrorLog).values(
                error_type=error_type, message=shorten(message, 4000), details=details, severity=severity
            )
        )


@dataclass(frozen=True)
class SidecarHealth:
    """The newest heartbeat of any sidecar, and how many beat within STALE_AFTER."""

    last_beat: dt.datetime | None = None
    status: str | None = None
    details: dict[str, Any] | None = None
    now: dt.datetime | None = None
    live: int = 0  # sidecars (one heartbeat row each) that beat within STALE_AFTER

    @property
    def age(self) -> dt.timedelta | None:
        return None if self.last_beat is None or self.now is None else self.now - self.last_beat

    @property
    def alive(self) -> bool:
        return self.live > 0


def sidecar_health(session: Session, now: dt.datetime | None = None) -> SidecarHealth:
    """The sidecars' latest heartbeat in `system_health_status` (any host: the newest wins)."""
    row = session.execute(
        select(SystemHealthStatus.check_timestamp, SystemHealthStatus.status, SystemHealthStatus.details)
        .where(SystemHealthStatus.service_name == SERVICE_NAME)
        .order_by(SystemHealthStatus.check_timestamp.desc())
        .limit(1)
    ).first()
    now = now or utcnow()
    if row is None:
        return SidecarHealth(now=now)
    live = (
        session.scalar(
            select(func.count())
            .select_from(SystemHealthStatus)
            .where(
                SystemHealthStatus.service_name == SERVICE_NAME,
                SystemHealthStatus.status != "stopped",
                SystemHealthStatus.check_timestamp >= now - STALE_AFTER,
            )
        )
        or 0
    )
    beat = row.check_timestamp
    beat = beat.replace(tzinfo=dt.UTC) if beat is not None and beat.tzinfo is None else beat
    return SidecarHealth(beat, row.status, row.details, now, live)


@dataclass(frozen=True)
class Retention:
    """How long housekeeping keeps each kind of row, in days (RETENTION_* in core.config)."""

    history_days: int
    quarantine_days: int
    job_days: int
    resolved_error_days: int
    heartbeat_days: int
    track_record_days: int = 1095  # tracked screens' snapshots (by expiry) and sessions (by start)


def housekeeping(engine: Engine, retention: Retention, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete rows past retention; returns how many of each went (one transaction per table)."""
    now = now or utcnow()
    days = dt.timedelta(days=1)
    statements = {
        "symbol_daily_history": delete(SymbolDailyHistory).where(
            SymbolDailyHistory.date < (now - retention.history_days * days).date()
        ),
        "quarantine_counts": delete(QuarantineCount).where(
            QuarantineCount.recorded_at < now - retention.quarantine_days * days
        ),
        "schedule_fires": delete(ScheduleFire).where(ScheduleFire.fire_time < now - retention.job_days * days),
        "job_runs": delete(JobRun).where(
            JobRun.status.in_(FINAL_RUN_STATUSES),
            JobRun.finished_at < now - retention.job_days * days,
        ),
        "critical_error_logs": delete(CriticalErrorLog).where(
            CriticalErrorLog.resolved_at < now - retention.resolved_error_days * days
        ),
        "system_health_status": delete(SystemHealthStatus).where(
            SystemHealthStatus.service_name == SERVICE_NAME,
            SystemHealthStatus.check_timestamp < now - retention.heartbeat_days * days,
        ),
        # the track record: snapshots by expiry, then the sessions that recorded them
        "opportunity_snapshots": delete(OpportunitySnapshot).where(
            OpportunitySnapshot.expires_at < now - retention.track_record_days * days
        ),
        "scan_sessions": delete(ScanSession).where(ScanSession.started_at < now - retention.track_record_days * days),
    }
    removed = {}
    for name, statement in statements.items():
        with engine.begin() as conn:
            removed[name] = conn.execute(statement.execution_options(synchronize_session=False)).rowcount
    return removed


__all__ = [
    "SERVICE_NAME",
    "STALE_AFTER",
    "Retention",
    "SidecarHealth",
    "heartbeat_id",
    "housekeeping",
    "record_error",
    "sidecar_health",
    "write_heartbeat",
]

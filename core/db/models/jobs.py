"""The job queue (our addition, DESIGN section 6): requested runs, their per-symbol items, schedule fires.

Why a table and not a broker: the dashboard only has the database, the work must survive a crash of any
process, and PostgreSQL's `FOR UPDATE SKIP LOCKED` lets several sidecars share one queue without blocking.
A run's `active_scope` is set while it is queued or running and cleared when it ends; a unique index on it
makes "a second Sync All returns the existing one" a database guarantee rather than a race.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db.base import Base, CreatedAt, JSONType, UTCDateTime, intpk, utcnow

RUN_STATUSES = ("queued", "running", "completed", "failed", "cancelled")
FINAL_RUN_STATUSES = ("completed", "failed", "cancelled")  # a run in one of these never changes again
ITEM_STATUSES = ("queued", "running", "synced", "no_options", "failed", "cancelled")


class JobRun(CreatedAt, Base):
    """One requested unit of work: sync all / a watchlist / some symbols, or run a scanner."""

    __tablename__ = "job_runs"
    __table_args__ = (
        CheckConstraint("kind IN ('sync', 'scan', 'accounts_sync', 'lab')", name="kind"),
        CheckConstraint(f"status IN {RUN_STATUSES}", name="status"),
        Index("idx_job_runs_status_created", "status", "created_at"),
    )

    id: Mapped[intpk]
    kind: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(200))  # e.g. sync:all, sync:watchlist:3, scan:5:watchlist:3
    active_scope: Mapped[str | None] = mapped_column(String(200), unique=True)
    params: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(20), default="queued", server_default=text("'queued'"))
    requested_by: Mapped[str | None] = mapped_column(String(80))
    provider: Mapped[str | None] = mapped_column(String(20))
    total_items: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    done_items: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    failed_items: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    no_options_items: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    contracts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    quarantined: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error_message: Mapped[str | None] = mapped_column(Text)
    scan_history_id: Mapped[int | None] = mapped_column(ForeignKey("scan_history.id", ondelete="SET NULL"))
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    items: Mapped[list[JobItem]] = relationship(back_populates="run", passive_deletes=True)


class JobItem(Base):
    """One symbol of a run. Claimed under a lease; a lease that expires is reclaimed and the item resumed."""

    __tablename__ = "job_items"
    __table_args__ = (
        UniqueConstraint("run_id", "symbol", name="uq_job_items_run_symbol"),
        CheckConstraint(f"status IN {ITEM_STATUSES}", name="status"),
        Index("idx_job_items_claim", "status", "lease_expires_at"),
        Index("idx_job_items_run_status", "run_id", "status"),
    )

    id: Mapped[intpk]
    run_id: Mapped[int] = mapped_column(ForeignKey("job_runs.id", ondelete="CASCADE"))
    symbol: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="queued", server_default=text("'queued'"))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    contracts: Mapped[int | None] = mapped_column(Integer)
    quarantined: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    error_message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    # What fetching the item cost (None when it fetched nothing): HTTP requests, retries, 429s, bytes, and the
    # seconds waiting for the rate limiter versus on the network.
    requests: Mapped[int | None] = mapped_column(Integer)
    retries: Mapped[int | None] = mapped_column(Integer)
    rate_limited: Mapped[int | None] = mapped_column(Integer)
    bytes_received: Mapped[int | None] = mapped_column(BigInteger)
    wait_seconds: Mapped[float | None] = mapped_column(Float)
    network_seconds: Mapped[float | None] = mapped_column(Float)

    run: Mapped[JobRun] = relationship(back_populates="items")


class ScheduleFire(Base):
    """A schedule's fire at one instant, enqueued once: the unique key stops a second sidecar repeating it."""

    __tablename__ = "schedule_fires"
    __table_args__ = (UniqueConstraint("schedule_id", "fire_time", name="uq_schedule_fires_schedule_time"),)

    id: Mapped[intpk]
    schedule_id: Mapped[int] = mapped_column(ForeignKey("scan_schedules.id", ondelete="CASCADE"))
    fire_time: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    run_id: Mapped[int | None] = mapped_column(ForeignKey("job_runs.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

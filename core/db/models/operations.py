"""Operations tables of the opportunity/sandbox/error-log seed (sections 2-3): errors, health, scans.

The sidecar writes its heartbeat to `system_health_status` and its failures to `critical_error_logs`
(DESIGN section 6); `scan_sessions` and `opportunity_snapshots` record opportunity scans and their findings.

Differences from the seed, on purpose:
- String primary keys are UUID strings, String(36), generated in Python (`uuidpk`); the seed's `default=...`.
- `system_health_status.response_time_ms` and `error_count_24h` are Integer, not String: they are numbers
  that get compared and summed. The table also gains `details` (JSON heartbeat payload: pid, host, version)
  and `created_at`.
- The seed gives no ON DELETE: `opportunity_snapshots.scan_session_id` is SET NULL, so deleting a session
  keeps the snapshots it found (they expire on their own through `expires_at`).
- `critical_error_logs.created_at` is indexed (errors are read newest first) and `severity` has a server
  default; `opportunity_snapshots.id` has no extra index (the seed's `index=True` on the primary key would
  duplicate the primary key's own).
- Defaulted counters and event timestamps are NOT NULL (with server defaults) like the rest of the schema.
- The track record (docs/track-record.md, migration 0012): `scan_sessions` gains `screen_name`, `quote_date`
  (unique together: one session per tracked screen and quote date) and `job_run_id` (the universe sync it
  followed; no foreign key, job runs are housekept sooner); `opportunity_snapshots` gains its resolution at
  expiry: `outcome`, `resolved_at`, `underlying_close`, `pnl` (dollars per contract), `realized_return`,
  `realized_annualized_return` (percent), or `unresolved_reason` while the close is unknown.
Unsized `String` columns are kept as in the seed (VARCHAR without a limit on both backends).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db.base import Base, CreatedAt, JSONType, UTCDateTime, created_ts, intpk, utcnow, uuidpk

__all__ = ["CriticalErrorLog", "OpportunitySnapshot", "ScanSession", "SystemHealthStatus"]


class CriticalErrorLog(Base):
    """A failure worth an operator's attention (sidecar crashes, failed syncs), until resolved."""

    __tablename__ = "critical_error_logs"

    id: Mapped[uuidpk]
    error_type: Mapped[str] = mapped_column(String, index=True)
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[created_ts] = mapped_column(index=True)
    resolved_at: Mapped[dt.datetime | None]
    severity: Mapped[str | None] = mapped_column(String, default="HIGH", server_default=text("'HIGH'"))


class SystemHealthStatus(CreatedAt, Base):
    """One health check or heartbeat of a service (the sidecar, the database, a provider)."""

    __tablename__ = "system_health_status"

    id: Mapped[uuidpk]
    check_timestamp: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.current_timestamp())
    service_name: Mapped[str] = mapped_column(String, index=True)
    status: Mapped[str] = mapped_column(String)
    response_time_ms: Mapped[int | None] = mapped_column(Integer)
    error_count_24h: Mapped[int | None] = mapped_column(Integer)
    details: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # heartbeat payload: pid, host, version


class ScanSession(Base):
    """One opportunity scan of a strategy: when it ran, how it ended, what it found."""

    __tablename__ = "scan_sessions"
    __table_args__ = (UniqueConstraint("screen_name", "quote_date", name="uq_scan_sessions_screen_name_quote_date"),)

    id: Mapped[uuidpk]
    strategy: Mapped[str] = mapped_column(String, index=True)
    started_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.current_timestamp())
    completed_at: Mapped[dt.datetime | None]
    opportunities_found: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    status: Mapped[str | None] = mapped_column(String, default="RUNNING", server_default=text("'RUNNING'"), index=True)
    screen_name: Mapped[str | None] = mapped_column(String(100))  # the tracked saved screen it ran
    quote_date: Mapped[dt.date | None] = mapped_column(Date)  # the quotes' New York date
    job_run_id: Mapped[int | None] = mapped_column(Integer)  # the universe sync it followed

    # SET NULL in the database: the ORM nulls loaded snapshots itself and leaves unloaded ones to the DB.
    opportunities: Mapped[list[OpportunitySnapshot]] = relationship(back_populates="scan_session", passive_deletes=True)


class OpportunitySnapshot(CreatedAt, Base):
    """One opportunity a scan found, as a JSON document, valid until `expires_at`."""

    __tablename__ = "opportunity_snapshots"
    __table_args__ = (
        CheckConstraint("outcome IN ('expired', 'assigned', 'called_away')", name="outcome"),
        Index("idx_opportunity_snapshots_outcome_expires", "outcome", "expires_at"),
    )

    id: Mapped[intpk]
    opportunity_id: Mapped[str] = mapped_column(String, unique=True, index=True)
    symbol: Mapped[str] = mapped_column(String, index=True)
    strategy_type: Mapped[str] = mapped_column(String, index=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONType)
    expires_at: Mapped[dt.datetime]
    scan_session_id: Mapped[str | None] = mapped_column(ForeignKey("scan_sessions.id", ondelete="SET NULL"), index=True)
    # the resolution at expiry (core.track.resolve); outcome NULL until resolved
    outcome: Mapped[str | None] = mapped_column(String(20))  # expired | assigned | called_away
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    underlying_close: Mapped[float | None] = mapped_column(Float)
    pnl: Mapped[float | None] = mapped_column(Float)  # dollars per contract held to expiry
    realized_return: Mapped[float | None] = mapped_column(Float)  # percent of capital
    realized_annualized_return: Mapped[float | None] = mapped_column(Float)  # percent a year
    unresolved_reason: Mapped[str | None] = mapped_column(Text)  # why the close is not known yet

    scan_session: Mapped[ScanSession | None] = relationship(back_populates="opportunities")

"""FluxScan tables: scanners, watchlists, schedules, runs (scan_history), results, settings, templates.

Index names are the seed's (`idx_scanner_name`, ...). One correction: `scan_results.scan_history_id` links a
result to the run that produced it (DESIGN section 3), so a run's results can be shown and deleted together.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, Time, false, func, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db.base import Base, CreatedAt, JSONType, Timestamps, UTCDateTime, intpk, utcnow

SCHEDULE_TYPES = ("once", "interval", "daily", "weekly")


class Scanner(Timestamps, Base):
    """A user-written Python scanner (DESIGN section 7) with its default parameters."""

    __tablename__ = "scanners"
    __table_args__ = (
        Index("idx_scanner_name", "name"),
        Index("idx_scanner_category", "category"),
        Index("idx_scanner_active", "is_active"),
    )

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str] = mapped_column(Text)
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    category: Mapped[str | None] = mapped_column(String(50))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    template_id: Mapped[int | None] = mapped_column(ForeignKey("scanner_templates.id", ondelete="SET NULL"))
    draft: Mapped[bool] = mapped_column(default=False, server_default=false())  # saved with validation problems

    results: Mapped[list[ScanResult]] = relationship(back_populates="scanner", passive_deletes=True)
    schedules: Mapped[list[ScanSchedule]] = relationship(back_populates="scanner", passive_deletes=True)
    history: Mapped[list[ScanHistory]] = relationship(back_populates="scanner", passive_deletes=True)


class Watchlist(Timestamps, Base):
    """A named list of symbols to scan or sync; `symbols` is a JSON array of plain tickers."""

    __tablename__ = "watchlists"
    __table_args__ = (Index("idx_watchlist_name", "name"), Index("idx_watchlist_exchange", "exchange"))

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    symbols: Mapped[list[Any]] = mapped_column(JSONType)
    exchange: Mapped[str | None] = mapped_column(String(10), default="NSE", server_default=text("'NSE'"))
    sync_max_dte: Mapped[int | None] = mapped_column(Integer)  # this watchlist's expiry window (None: the setting)


class ScanResult(Base):
    """One symbol's signal from one scanner run."""

    __tablename__ = "scan_results"
    __table_args__ = (
        Index("idx_result_scanner", "scanner_id"),
        Index("idx_result_symbol", "symbol"),
        Index("idx_result_signal", "signal"),
        Index("idx_result_timestamp", "timestamp"),
        Index("idx_result_history", "scan_history_id"),
    )

    id: Mapped[intpk]
    scanner_id: Mapped[int] = mapped_column(ForeignKey("scanners.id", ondelete="CASCADE"))
    scan_history_id: Mapped[int | None] = mapped_column(ForeignKey("scan_history.id", ondelete="CASCADE"))
    symbol: Mapped[str] = mapped_column(String(20))
    exchange: Mapped[str | None] = mapped_column(String(10))
    signal: Mapped[str | None] = mapped_column(String(50))
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    timestamp: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )

    scanner: Mapped[Scanner] = relationship(back_populates="results")
    run: Mapped[ScanHistory | None] = relationship(back_populates="results")


class ScanSchedule(Timestamps, Base):
    """When to run a scanner over a watchlist. `days_of_week` is comma-separated, 0 = Monday ... 6 = Sunday."""

    __tablename__ = "scan_schedules"
    __table_args__ = (
        Index("idx_schedule_scanner", "scanner_id"),
        Index("idx_schedule_watchlist", "watchlist_id"),
        Index("idx_schedule_active", "is_active"),
        Index("idx_schedule_next_run", "next_run"),
        CheckConstraint("schedule_type IN ('once', 'interval', 'daily', 'weekly')", name="schedule_type"),
        CheckConstraint("interval_minutes IS NULL OR interval_minutes > 0", name="interval_positive"),
    )

    id: Mapped[intpk]
    scanner_id: Mapped[int] = mapped_column(ForeignKey("scanners.id", ondelete="CASCADE"))
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("watchlists.id", ondelete="CASCADE"))
    schedule_type: Mapped[str | None] = mapped_column(String(20))
    interval_minutes: Mapped[int | None] = mapped_column(Integer)
    run_time: Mapped[dt.time | None] = mapped_column(Time)
    days_of_week: Mapped[str | None] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    last_run: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    next_run: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    market_hours_only: Mapped[bool] = mapped_column(default=True, server_default=true())
    timezone: Mapped[str] = mapped_column(
        String(50), default="America/New_York", server_default=text("'America/New_York'")
    )

    scanner: Mapped[Scanner] = relationship(back_populates="schedules")


class ScanHistory(Timestamps, Base):
    """One run of a scanner: status, counts, timing and errors."""

    __tablename__ = "scan_history"
    __table_args__ = (
        Index("idx_history_scanner", "scanner_id"),
        Index("idx_history_watchlist", "watchlist_id"),
        Index("idx_history_status", "status"),
        Index("idx_history_started", "started_at"),
    )

    id: Mapped[intpk]
    scanner_id: Mapped[int] = mapped_column(ForeignKey("scanners.id", ondelete="CASCADE"))
    watchlist_id: Mapped[int | None] = mapped_column(ForeignKey("watchlists.id", ondelete="SET NULL"))
    status: Mapped[str | None] = mapped_column(String(20))
    symbols_scanned: Mapped[int | None] = mapped_column(Integer)
    signals_found: Mapped[int | None] = mapped_column(Integer)
    execution_time_ms: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    scanner: Mapped[Scanner] = relationship(back_populates="history")
    results: Mapped[list[ScanResult]] = relationship(back_populates="run", passive_deletes=True)


class Setting(Base):
    """An application-wide setting (saved screens live here as `screen:<name>`)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[Any] = mapped_column(JSONType, nullable=True)
    updated_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )


class ScannerTemplate(CreatedAt, Base):
    """A pre-built scanner users start from."""

    __tablename__ = "scanner_templates"
    __table_args__ = (Index("idx_template_category", "category"),)

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100))
    category: Mapped[str | None] = mapped_column(String(50))
    description: Mapped[str | None] = mapped_column(Text)
    code: Mapped[str] = mapped_column(Text)
    default_parameters: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


# "Wheel TV" and "wheel tv" are one name: the database refuses the second even if a writer forgets to check.
Index("uq_scanners_name_lower", func.lower(Scanner.name), unique=True)
Index("uq_watchlists_name_lower", func.lower(Watchlist.name), unique=True)
Index("uq_scanner_templates_name_lower", func.lower(ScannerTemplate.name), unique=True)
Index("uq_settings_key_lower", func.lower(Setting.key), unique=True)  # saved screens are `screen:<name>` keys

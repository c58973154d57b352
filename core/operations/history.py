"""What the History page shows: sync runs, scan runs, critical errors, sidecar heartbeats and data coverage.

Every table comes back as a pandas DataFrame with plain columns (numbers, strings, UTC timestamps), newest
first, at most `limit` rows, so the page only renders.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import (
    CriticalErrorLog,
    JobRun,
    ScanHistory,
    Scanner,
    Stock,
    StockData,
    SystemHealthStatus,
    Watchlist,
)
from core.jobs import queue
from core.wording import describe_counts, scope_words

FRESH_WITHIN = dt.timedelta(hours=24)

SYNC_COLUMNS = [
    "id",
    "status",
    "scope",
    "provider",
    "requested_by",
    "created_at",
    "started_at",
    "finished_at",
    "duration_s",
    "symbols",
    "done",
    "failed",
    "no_options",
    "contracts",
    "quarantined",
    "max_dte",
    "requests",
    "retries",
    "rate_limited",
    "megabytes",
    "wait_s",
    "network_s",
    "error",
]
SCAN_COLUMNS = [
    "id",
    "scanner",
    "watchlist",
    "status",
    "symbols_scanned",
    "signals_found",
    "execution_s",
    "started_at",
    "completed_at",
    "error",
]
ERROR_COLUMNS = ["created_at", "severity", "error_type", "message", "details", "resolved_at"]
HEARTBEAT_COLUMNS = ["check_timestamp", "service_name", "status", "response_time_ms", "details"]


@dataclass(frozen=True)
class Coverage:
    stocks: int = 0
    synced: int = 0
    fresh: int = 0
    no_options: int = 0
    failed: int = 0
    contracts: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class HistoryReport:
    sync_runs: pd.DataFrame
    scan_runs: pd.DataFrame
    errors: pd.DataFrame
    heartbeats: pd.DataFrame
    coverage: Coverage


def history_report(session: Session, limit: int = 200, now: dt.datetime | None = None) -> HistoryReport:
    """Everything the History page shows, in one read-only pass."""
    return HistoryReport(
        sync_runs(session, limit),
        scan_runs(session, limit),
        critical_errors(session, limit),
        heartbeats(session, limit),
        coverage(session, now),
    )


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> float | None:
    return None if start is None or end is None else round((end - start).total_seconds(), 2)


def sync_runs(session: Session, limit: int = 200) -> pd.DataFrame:
    runs = list(session.scalars(select(JobRun).where(JobRun.kind == "sync").order_by(JobRun.id.desc()).limit(limit)))
    usage = queue.usage_totals(session, [r.id for r in runs])
    rows = [
        {
            "id": r.id,
            "status": r.status,
            "scope": scope_words(r.scope),
            "provider": r.provider,
            "requested_by": r.requested_by,
            "created_at": r.created_at,
            "started_at": r.started_at,
            "finished_at": r.finished_at,
            "duration_s": _seconds(r.started_at, r.finished_at),
            "symbols": r.total_items,
            "done": r.done_items,
            "failed": r.failed_items,
            "no_options": r.no_options_items,
            "contracts": r.contracts,
            "quarantined": describe_counts(r.quarantined),
            "max_dte": (r.params or {}).get("max_dte"),
            **_usage_cells(usage.get(r.id)),
            "error": r.error_message,
        }
        for r in runs
    ]
    return _frame(rows, SYNC_COLUMNS, times=("created_at", "started_at", "finished_at"))


def _usage_cells(usage: dict[str, float] | None) -> dict[str, float | None]:
    """A run's summed request accounting as History's cells (blank for a provider without a network)."""
    if not usage:
        return dict.fromkeys(("requests", "retries", "rate_limited", "megabytes", "wait_s", "network_s"))
    return {
        "requests": int(usage["requests"]),
        "retries": int(usage["retries"]),
        "rate_limited": int(usage["rate_limited"]),
        "megabytes": round(usage["bytes"] / 1e6, 2),
        "wait_s": round(usage["wait_seconds"], 1),
        "network_s": round(usage["network_seconds"], 1),
    }


def scan_runs(session: Session, limit: int = 200) -> pd.DataFrame:
    query = (
        select(ScanHistory, Scanner.name.label("scanner"), Watchlist.name.label("watchlist"))
        .join(Scanner, Scanner.id == ScanHistory.scanner_id)
        .outerjoin(Watchlist, Watchlist.id == ScanHistory.watchlist_id)
        .order_by(ScanHistory.id.desc())
        .limit(limit)
    )
    rows = [
        {
            "id": h.id,
            "scanner": scanner,
            "watchlist": watchlist,
            "status": h.status,
            "symbols_scanned": h.symbols_scanned,
            "signals_found": h.signals_found,
            "execution_s": None if h.execution_time_ms is None else h.execution_time_ms / 1000,
            "started_at": h.started_at,
            "completed_at": h.completed_at,
            "error": h.error_message,
        }
        for h, scanner, watchlist in session.execute(query)
    ]
    return _frame(rows, SCAN_COLUMNS, times=("started_at", "completed_at"))


def critical_errors(session: Session, limit: int = 200) -> pd.DataFrame:
    errors = session.scalars(select(CriticalErrorLog).order_by(CriticalErrorLog.created_at.desc()).limit(limit))
    rows = [
        {
            "created_at": e.created_at,
            "severity": e.severity,
            "error_type": e.error_type,
            "message": e.message,
            "details": _describe_details(e.details),
            "resolved_at": e.resolved_at,
        }
        for e in errors
    ]
    return _frame(rows, ERROR_COLUMNS, times=("created_at", "resolved_at"))


def heartbeats(session: Session, limit: int = 200) -> pd.DataFrame:
    beats = session.scalars(select(SystemHealthStatus).order_by(SystemHealthStatus.check_timestamp.desc()).limit(limit))
    rows = [
        {
            "check_timestamp": b.check_timestamp,
            "service_name": b.service_name,
            "status": b.status,
            "response_time_ms": b.response_time_ms,
            "details": _describe_details(b.details),
        }
        for b in beats
    ]
    return _frame(rows, HEARTBEAT_COLUMNS, times=("check_timestamp",))


def coverage(session: Session, now: dt.datetime | None = None) -> Coverage:
    """How much of the universe has fresh chains, and how many rows the last syncs kept out of rankings."""
    now = now or utcnow()
    stocks = session.scalar(select(func.count()).select_from(Stock)) or 0
    states = session.execute(
        select(StockData.sync_status, StockData.fetched_at, StockData.contracts, StockData.quarantined)
    ).all()
    quarantined: Counter[str] = Counter()
    for state in states:
        quarantined.update(state.quarantined or {})
    synced = [s for s in states if s.sync_status == "synced"]
    fresh = sum(1 for s in synced if s.fetched_at is not None and now - s.fetched_at <= FRESH_WITHIN)
    return Coverage(
        stocks=stocks,
        synced=len(synced),
        fresh=fresh,
        no_options=sum(1 for s in states if s.sync_status == "no_options"),
        failed=sum(1 for s in states if s.sync_status == "failed"),
        contracts=sum(s.contracts or 0 for s in states),
        quarantined=dict(quarantined.most_common()),
    )


def _describe_details(details) -> str:
    if not details:
        return ""
    if isinstance(details, dict):
        return ", ".join(f"{k}={v}" for k, v in details.items())
    return str(details)


def _frame(rows: list[dict], columns: list[str], times: tuple[str, ...]) -> pd.DataFrame:
    """The rows as a table; a missing text (no error, no watchlist) is blank, never a literal "None" cell."""
    frame = pd.DataFrame(rows, columns=columns)
    for name in times:
        frame[name] = pd.to_datetime(frame[name], utc=True)
    for name in frame.columns:
        if frame[name].dtype == object:
            frame[name] = frame[name].where(frame[name].notna(), "")
    return frame

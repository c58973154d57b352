"""What the sidebar, the History page and the Overview page call: an Engine in, a read-only unit of work inside,
frozen dataclasses and DataFrames out (never ORM objects)."""

from __future__ import annotations

from sqlalchemy import Engine

from core.db.engine import DatabaseError, describe_url, unit_of_work
from core.db.migrate import require_current_schema
from core.jobs.health import STALE_AFTER, sidecar_health
from core.operations import history, status
from core.operations.history import HistoryReport
from core.operations.overview import DatabaseOverview, database_overview
from core.operations.status import DashboardStatus, describe_age


def sidebar_status(engine: Engine) -> DashboardStatus:
    """Everything the sidebar shows, or a status with `error` set when the database is down or unmigrated."""
    database = describe_url(engine.url)
    try:
        require_current_schema(engine)
        with unit_of_work(engine) as session:
            newest, oldest, count = status.data_freshness(session)
            synthetic, reason = status.synthetic_data(session)
            return DashboardStatus(database, None, newest, oldest, count, sidecar_health(session), synthetic, reason)
    except DatabaseError as exc:
        return DashboardStatus(database, error=str(exc))


def history_report(engine: Engine, limit: int = 200) -> HistoryReport:
    """Everything the History page shows: runs, scans, errors, heartbeats (newest `limit` of each), coverage."""
    with unit_of_work(engine) as session:
        return history.history_report(session, limit)


def data_version(engine: Engine) -> str:
    """The data version right now (three indexed aggregates: cheap enough for every rerun)."""
    with unit_of_work(engine) as session:
        return status.data_version(session)


__all__ = [
    "STALE_AFTER",
    "DashboardStatus",
    "DatabaseOverview",
    "HistoryReport",
    "data_version",
    "database_overview",
    "describe_age",
    "history_report",
    "sidebar_status",
]

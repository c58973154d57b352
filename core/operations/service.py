"""What the sidebar, the History page and the Overview page call: an Engine in, a read-only unit of work inside,
frozen dataclasses and DataFrames out (never ORM objects).

The pages' reads take the acting user and need the viewer role; the activity log needs `READ_ACTIVITY` (admins).
`sidebar_status` and `data_version` take no actor: they are the status line every signed-in page shows and a
cache key, drawn only after dashboard.py has found a signed-in user.
"""

from __future__ import annotations

from sqlalchemy import Engine

from core.auth.audit import ActivityEntry, activity_filters, recent_activity
from core.auth.roles import Actor, Permission, require
from core.db.engine import DatabaseError, describe_url, unit_of_work
from core.db.migrate import require_current_schema
from core.jobs.health import STALE_AFTER, sidecar_health
from core.operations import history, overview, status
from core.operations.history import HistoryReport
from core.operations.overview import DatabaseOverview
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


def history_report(engine: Engine, actor: Actor, limit: int = 200) -> HistoryReport:
    """Everything the History page shows: runs, scans, errors, heartbeats (newest `limit` of each), coverage."""
    require(actor, Permission.READ)
    with unit_of_work(engine) as session:
        return history.history_report(session, limit)


def database_overview(engine: Engine, actor: Actor) -> DatabaseOverview:
    """The Overview page: which database, its schema revision and table counts (or why it cannot be reached)."""
    require(actor, Permission.READ)
    return overview.database_overview(engine)


def activity(
    engine: Engine, actor: Actor, *, username: str | None = None, action: str | None = None, limit: int = 200
) -> list[ActivityEntry]:
    """History's Activity tab (admins): the newest `limit` activity rows, of one user and/or one action."""
    return recent_activity(engine, actor, limit, username=username, action=action)


def activity_choices(engine: Engine, actor: Actor) -> tuple[list[str], list[str]]:
    """The user names and actions the activity log holds, for the tab's filters (admins)."""
    return activity_filters(engine, actor)


def data_version(engine: Engine) -> str:
    """The data version right now (three indexed aggregates: cheap enough for every rerun)."""
    with unit_of_work(engine) as session:
        return status.data_version(session)


__all__ = [
    "STALE_AFTER",
    "ActivityEntry",
    "DashboardStatus",
    "DatabaseOverview",
    "HistoryReport",
    "activity",
    "activity_choices",
    "data_version",
    "database_overview",
    "describe_age",
    "history_report",
    "sidebar_status",
]

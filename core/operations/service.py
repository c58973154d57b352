"""What the sidebar, the History page and the Overview page call: an Engine in, a read-only unit of work inside,
frozen dataclasses and DataFrames out (never ORM objects).

The pages' reads take the acting user and need the viewer role; the activity log needs `READ_ACTIVITY` and the
Overview's table counts `READ_OPERATIONS` (admins).
Retention (the Operations page): reading the policy needs the viewer role, changing it or asking the sidecar to
run housekeeping now needs `MANAGE_RETENTION` (admins), and each change leaves one activity row.
`sidebar_status` and `data_version` take no actor: they are the status line every signed-in page shows and a
cache key, drawn only after dashboard.py has found a signed-in user.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import Engine

from core.auth.audit import ActivityEntry, activity_filters, recent_activity, record_activity
from core.auth.roles import Actor, Permission, require
from core.db.base import utcnow
from core.db.engine import DatabaseError, describe_url, unit_of_work
from core.db.migrate import require_current_schema
from core.jobs import retention as policy
from core.jobs.health import STALE_AFTER, Retention, sidecar_health
from core.jobs.retention import BOUNDS, LABELS, HousekeepingRun, RetentionError
from core.jobs.settings import SidecarSettings
from core.operations import history, market, overview, status
from core.operations.history import HistoryReport
from core.operations.market import MarketOverview
from core.operations.overview import DatabaseOverview
from core.operations.status import DashboardStatus, describe_age, describe_since


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
    """The Overview page's operator view (admins): which database, its schema revision and table counts (or why it
    cannot be reached)."""
    require(actor, Permission.READ_OPERATIONS)
    return overview.database_overview(engine)


def market_overview(engine: Engine, actor: Actor) -> MarketOverview:
    """The Overview page's market view: coverage by sector, quote ages, the IV regime and IV-rank movers."""
    require(actor, Permission.READ)
    with unit_of_work(engine) as session:
        return market.market_overview(session, utcnow())


def activity(
    engine: Engine, actor: Actor, *, username: str | None = None, action: str | None = None, limit: int = 200
) -> list[ActivityEntry]:
    """History's Activity tab (admins): the newest `limit` activity rows, of one user and/or one action."""
    return recent_activity(engine, actor, limit, username=username, action=action)


def activity_choices(engine: Engine, actor: Actor) -> tuple[list[str], list[str]]:
    """The user names and actions the activity log holds, for the tab's filters (admins)."""
    return activity_filters(engine, actor)


RETENTION_CHANGE = "retention_change"
HOUSEKEEPING_REQUEST = "housekeeping_request"


@dataclass(frozen=True)
class RetentionView:
    """The retention policy as it stands: defaults (RETENTION_*), what is overridden, and housekeeping's state."""

    defaults: dict[str, int]
    overrides: dict[str, int]
    effective: dict[str, int]
    bounds: dict[str, tuple[int, int]]
    labels: dict[str, str]
    last_run: HousekeepingRun | None
    requested_at: dt.datetime | None  # a "run now" the sidecar has not picked up yet


def retention_view(engine: Engine, actor: Actor) -> RetentionView:
    """The Retention tab: every field's default, override and effective days, the last run and a pending request.

    The defaults are this process's RETENTION_* settings; the sidecar applies its own (docs/sidecar.md).
    """
    require(actor, Permission.READ)
    defaults = _defaults()
    with unit_of_work(engine) as session:
        overrides = policy.stored_overrides(session)
        last, requested = policy.last_run(session), policy.pending_request(session)
    return RetentionView(
        asdict(defaults), overrides, {**asdict(defaults), **overrides}, dict(BOUNDS), dict(LABELS), last, requested
    )


def set_retention(engine: Engine, actor: Actor, values: dict[str, Any]) -> dict[str, int]:
    """Store `values` (days per field; a value equal to its default clears that override); returns the overrides.

    Every value is checked first (whole days within `BOUNDS`): one bad value raises `RetentionError` and nothing
    is stored. Housekeeping uses the new policy at its next run.
    """
    require(actor, Permission.MANAGE_RETENTION)
    defaults = _defaults()
    with unit_of_work(engine, write=True) as session:
        before = policy.stored_overrides(session)
        overrides = policy.store_overrides(session, {**before, **values}, defaults)
        record_activity(
            session, RETENTION_CHANGE, actor=actor, target="retention", details={"before": before, "after": overrides}
        )
    return overrides


def request_housekeeping(engine: Engine, actor: Actor) -> dt.datetime:
    """Ask the leading sidecar to run housekeeping now (it checks every SIDECAR_SCHEDULE_REFRESH_SECONDS)."""
    require(actor, Permission.MANAGE_RETENTION)
    with unit_of_work(engine, write=True) as session:
        at = policy.request_run(session, actor.username)
        record_activity(session, HOUSEKEEPING_REQUEST, actor=actor, target="housekeeping")
    return at


def _defaults() -> Retention:
    return SidecarSettings.from_settings().retention


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
    "HousekeepingRun",
    "MarketOverview",
    "RetentionError",
    "RetentionView",
    "activity",
    "activity_choices",
    "data_version",
    "database_overview",
    "describe_age",
    "describe_since",
    "history_report",
    "market_overview",
    "request_housekeeping",
    "retention_view",
    "set_retention",
    "sidebar_status",
]

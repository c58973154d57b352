"""What the dashboard's sidebar says about the data: which database, how fresh, is the sidecar alive, is it real.

One function, `dashboard_status`, answers all of it in a handful of cheap, indexed aggregates, so the sidebar
can ask on every page (cached for a few seconds by the dashboard). `data_version` is the cache key of every
query result the pages cache: it changes whenever a sync writes, a run ends or a watchlist changes, so a
cached table is thrown away because the data moved, not because a timer ran out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.engine import DatabaseError, describe_url, unit_of_work
from core.db.migrate import require_current_schema
from core.db.models import FINAL_RUN_STATUSES, JobRun, Setting, StockData, SystemHealthStatus, Watchlist

SIDECAR_SERVICE = "sidecar"
SIDECAR_STALE_AFTER = dt.timedelta(minutes=2)
DATA_SOURCE_KEY = "data_source"  # written by `python -m core demo`: {"provider": "synthetic", ...}


@dataclass(frozen=True)
class SidecarHealth:
    last_beat: dt.datetime | None = None
    status: str | None = None
    details: dict[str, Any] | None = None
    now: dt.datetime | None = None
    live: int = 0  # sidecars (one heartbeat row each) that beat within SIDECAR_STALE_AFTER

    @property
    def age(self) -> dt.timedelta | None:
        return None if self.last_beat is None or self.now is None else self.now - self.last_beat

    @property
    def alive(self) -> bool:
        return self.live > 0


@dataclass(frozen=True)
class DashboardStatus:
    """Sidebar facts. `error` is set (and the rest empty) when the database cannot be used."""

    database: str
    error: str | None = None
    newest_fetch: dt.datetime | None = None
    oldest_fetch: dt.datetime | None = None
    symbols_with_data: int = 0
    sidecar: SidecarHealth = SidecarHealth()
    synthetic: bool = False
    synthetic_reason: str | None = None


def dashboard_status(engine: Engine) -> DashboardStatus:
    """Everything the sidebar shows, or a status with `error` set when the database is down or unmigrated."""
    database = describe_url(engine.url)
    try:
        require_current_schema(engine)
        with unit_of_work(engine) as session:
            newest, oldest, count = session.execute(
                select(func.max(StockData.fetched_at), func.min(StockData.fetched_at), func.count(StockData.fetched_at))
            ).one()
            synthetic, reason = synthetic_data(session)
            return DashboardStatus(
                database, None, _aware(newest), _aware(oldest), count, sidecar_health(session), synthetic, reason
            )
    except DatabaseError as exc:
        return DashboardStatus(database, error=str(exc))


def sidecar_health(session: Session, now: dt.datetime | None = None) -> SidecarHealth:
    """The sidecar's latest heartbeat in `system_health_status` (any host: the newest wins)."""
    row = session.execute(
        select(SystemHealthStatus.check_timestamp, SystemHealthStatus.status, SystemHealthStatus.details)
        .where(SystemHealthStatus.service_name == SIDECAR_SERVICE)
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
                SystemHealthStatus.service_name == SIDECAR_SERVICE,
                SystemHealthStatus.status != "stopped",
                SystemHealthStatus.check_timestamp >= now - SIDECAR_STALE_AFTER,
            )
        )
        or 0
    )
    return SidecarHealth(_aware(row.check_timestamp), row.status, row.details, now, live)


def synthetic_data(session: Session) -> tuple[bool, str | None]:
    """Whether the data on screen is synthetic, and why we think so.

    Synthetic when the newest completed sync used the synthetic provider, or when the demo seeded this
    database (its settings flag stays until the demo's rows are replaced, so mixed data is still flagged).
    """
    provider = session.scalar(
        select(JobRun.provider)
        .where(JobRun.kind == "sync", JobRun.status == "completed")
        .order_by(JobRun.finished_at.desc(), JobRun.id.desc())
        .limit(1)
    )
    if provider == "synthetic":
        return True, "the newest sync used the synthetic provider"
    flag = session.get(Setting, DATA_SOURCE_KEY)
    if flag is not None and isinstance(flag.value, dict) and flag.value.get("provider") == "synthetic":
        return True, "this database was seeded by `python -m core demo`"
    return False, None


def data_version(session: Session) -> str:
    """A short string that changes whenever synced data, finished runs or watchlists change (a cache key)."""
    newest, count = session.execute(select(func.max(StockData.fetched_at), func.count(StockData.symbol))).one()
    finished, runs = session.execute(
        select(func.max(JobRun.finished_at), func.count(JobRun.id)).where(JobRun.status.in_(FINAL_RUN_STATUSES))
    ).one()
    lists, list_count = session.execute(select(func.max(Watchlist.updated_at), func.count(Watchlist.id))).one()
    return "|".join(str(v) for v in (newest, count, finished, runs, lists, list_count))


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


def describe_age(age: dt.timedelta | None) -> str:
    """'42 s', '5 min', '3 h', '2 d' (for people, not for arithmetic)."""
    if age is None:
        return "never"
    seconds = max(int(age.total_seconds()), 0)
    if seconds < 90:
        return f"{seconds} s"
    if seconds < 90 * 60:
        return f"{seconds // 60} min"
    if seconds < 36 * 3600:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"

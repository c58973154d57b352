"""What the dashboard's sidebar says about the data: which database, how fresh, is the sidecar alive, is it real.

The facts come from a handful of cheap, indexed aggregates (core.operations.service.sidebar_status reads them in
one read-only unit of work, so the sidebar can ask on every page without waiting for the sidecar's write lock).
`data_version` is the cache key of every query result the pages cache: it changes whenever a sync writes, a
run ends or a watchlist changes, so a cached table is thrown away because the data moved, not on a timer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import FINAL_RUN_STATUSES, JobRun, Setting, StockData, Watchlist
from core.jobs.health import SidecarHealth

DATA_SOURCE_KEY = "data_source"  # written by `python -m core demo`: {"provider": "synthetic", ...}


@dataclass(frozen=True)
class DashboardStatus:
    """Sidebar facts. `error` is set (and the rest empty) when the database cannot be used."""

    database: str
    error: str | None = None
    newest_quote: dt.datetime | None = None  # market time of the newest quote, never when we wrote the row
    oldest_quote: dt.datetime | None = None
    symbols_with_data: int = 0
    sidecar: SidecarHealth = SidecarHealth()
    synthetic: bool = False
    synthetic_reason: str | None = None


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


def data_freshness(session: Session) -> tuple[dt.datetime | None, dt.datetime | None, int]:
    """(newest quote, oldest quote, symbols with a quote) over `stock_data`.

    Freshness is the quote time -- the market time of the quote -- never the time we wrote the row (DESIGN
    section 4): an imported 2023 snapshot written a minute ago is two years old.
    """
    newest, oldest, count = session.execute(
        select(func.max(StockData.quote_time), func.min(StockData.quote_time), func.count(StockData.quote_time))
    ).one()
    return _aware(newest), _aware(oldest), count


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


def describe_since(age: dt.timedelta | None) -> str:
    """'5 min ago', or, for a stamp after now (a provider's clock or a file ahead of ours), 'ahead of now by 3 h'.

    A minute's slack: clocks of two machines never agree to the second.
    """
    if age is None:
        return "never"
    if age < -dt.timedelta(minutes=1):
        return f"ahead of now by {describe_age(-age)}"
    return f"{describe_age(age)} ago"


__all__ = [
    "DATA_SOURCE_KEY",
    "DashboardStatus",
    "data_freshness",
    "data_version",
    "describe_age",
    "describe_since",
    "synthetic_data",
]

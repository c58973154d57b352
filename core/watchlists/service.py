"""What the Watchlists page calls: an Engine and the acting user in, its own unit of work inside, plain values out.

Every function checks the actor's role first (`require`: reading needs viewer, changing needs trader) and
every change writes its activity row in the same transaction. Edits go through `WatchlistManager` in one writing
unit of work each; the page's table joins each symbol's profile and data age with its best cash-secured put
under the default screen (core.premiums.screen).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.auth.audit import record_activity
from core.auth.roles import Actor, Permission, require
from core.db.engine import unit_of_work
from core.db.models import ScanSchedule, Stock, StockData
from core.premiums.filters import PremiumFilters
from core.premiums.screen import DatabaseScanner
from core.symbols import WatchlistError
from core.watchlists.formats import Parsed, WatchlistInfo, export_csv, export_tradingview, parse_csv, parse_symbols
from core.watchlists.manager import AddResult, WatchlistManager, known_symbols
from core.wording import plural

OVERVIEW_COLUMNS = [
    "symbol",
    "exchange",
    "name",
    "sector",
    "price",
    "best_put_expiry",
    "best_put_strike",
    "best_put_premium",
    "best_put_annualized",
    "iv_rank",
    "fetched_at",
    "sync_status",
]


@dataclass(frozen=True)
class WatchlistView:
    """One watchlist as the page shows it: its entries and the table of its symbols."""

    info: WatchlistInfo
    table: pd.DataFrame  # OVERVIEW_COLUMNS, one row per symbol in list order


@dataclass(frozen=True)
class DeletionImpact:
    """What deleting a watchlist takes with it, for the confirmation the page asks for."""

    name: str
    symbols: int
    schedules: int

    def describe(self) -> str:
        return (
            f"Its {plural(self.symbols, 'symbol')} and {plural(self.schedules, 'scanner schedule')} go with it; "
            "past scan results stay"
        )


def names(engine: Engine, actor: Actor) -> list[str]:
    """Every watchlist's name, alphabetically."""
    require(actor, Permission.READ)
    with unit_of_work(engine) as session:
        return WatchlistManager(session).names()


def view(engine: Engine, actor: Actor, name: str) -> WatchlistView:
    """The watchlist `name` and its table (WatchlistError when there is none)."""
    require(actor, Permission.READ)
    with unit_of_work(engine) as session:
        return WatchlistView(WatchlistManager(session).get(name), watchlist_table(session, name))


def create(engine: Engine, actor: Actor, name: str, description: str | None = None) -> WatchlistInfo:
    """A new, empty watchlist (WatchlistError when the name is empty or taken)."""
    require(actor, Permission.MANAGE_WATCHLISTS)
    with unit_of_work(engine, write=True) as session:
        info = WatchlistManager(session).create(name, description)
        record_activity(session, "watchlist_create", actor=actor, target=f"watchlist:{info.name}")
        return info


def rename(engine: Engine, actor: Actor, old: str, new: str) -> WatchlistInfo:
    """Rename a watchlist in both tables."""
    require(actor, Permission.MANAGE_WATCHLISTS)
    with unit_of_work(engine, write=True) as session:
        info = WatchlistManager(session).rename(old, new)
        record_activity(
            session, "watchlist_rename", actor=actor, target=f"watchlist:{info.name}", details={"from": old}
        )
        return info


def set_sync_window(engine: Engine, actor: Actor, name: str, max_dte: int | None) -> WatchlistInfo:
    """Set the expiry window syncs of `name` use (days; 0: every expiry; None: back to SYNC_MAX_DTE)."""
    require(actor, Permission.MANAGE_WATCHLISTS)
    with unit_of_work(engine, write=True) as session:
        info = WatchlistManager(session).set_sync_window(name, max_dte)
        record_activity(
            session, "watchlist_sync_window", actor=actor, target=f"watchlist:{info.name}", details={"max_dte": max_dte}
        )
        return info


def deletion_impact(engine: Engine, actor: Actor, name: str) -> DeletionImpact:
    """How many symbols and scanner schedules go when `name` is deleted (WatchlistError when there is none)."""
    require(actor, Permission.MANAGE_WATCHLISTS)
    with unit_of_work(engine) as session:
        return _impact(session, name)


def delete(engine: Engine, actor: Actor, name: str) -> DeletionImpact:
    """Delete a watchlist (its scanner schedules go with it); returns what went."""
    require(actor, Permission.MANAGE_WATCHLISTS)
    with unit_of_work(engine, write=True) as session:
        gone = _impact(session, name)
        WatchlistManager(session).delete(gone.name)
        record_activity(
            session,
            "watchlist_delete",
            actor=actor,
            target=f"watchlist:{gone.name}",
            details={"symbols": gone.symbols, "schedules": gone.schedules},
        )
        return gone


def _impact(session: Session, name: str) -> DeletionImpact:
    info = WatchlistManager(session).get(name)
    count = select(func.count()).select_from(ScanSchedule).where(ScanSchedule.watchlist_id == info.id)
    return DeletionImpact(info.name, len(info.entries), session.scalar(count) or 0)


def add(engine: Engine, actor: Actor, name: str, parsed: Parsed) -> AddResult:
    """Add parsed entries; each one not added comes back with its reason (unknown, already listed...)."""
    require(actor, Permission.MANAGE_WATCHLISTS)
    with unit_of_work(engine, write=True) as session:
        result = WatchlistManager(session).add(name, parsed, known_symbols(session))
        if result.added:
            record_activity(
                session,
                "watchlist_add_symbols",
                actor=actor,
                target=f"watchlist:{name}",
                details={"added": list(result.added), "skipped": len(result.skipped)},
            )
        return result


def remove(engine: Engine, actor: Actor, name: str, symbols: Iterable[str]) -> int:
    """Remove symbols from a watchlist; returns how many were removed."""
    require(actor, Permission.MANAGE_WATCHLISTS)
    symbols = list(symbols)
    with unit_of_work(engine, write=True) as session:
        removed = WatchlistManager(session).remove(name, symbols)
        if removed:
            record_activity(
                session,
                "watchlist_remove_symbols",
                actor=actor,
                target=f"watchlist:{name}",
                details={"symbols": symbols},
            )
        return removed


def watchlist_table(session: Session, name: str) -> pd.DataFrame:
    """A watchlist's symbols with their profile, data age and the latest best cash-secured put (default filters)."""
    info = WatchlistManager(session).get(name)
    if not info.entries:
        return pd.DataFrame(columns=OVERVIEW_COLUMNS)
    symbols = list(info.symbols)
    profiles = {
        r.symbol: r
        for r in session.execute(
            select(
                Stock.symbol,
                Stock.name,
                Stock.sector,
                StockData.price,
                StockData.iv_rank,
                StockData.fetched_at,
                StockData.sync_status,
            )
            .outerjoin(StockData, StockData.symbol == Stock.symbol)
            .where(Stock.symbol.in_(symbols))
        )
    }
    best = DatabaseScanner(session).best_per_symbol(PremiumFilters(watchlist=name, limit=max(len(symbols), 1)))
    best = best.set_index("symbol") if len(best) else best
    rows = []
    for entry in info.entries:
        p = profiles.get(entry.symbol)
        b = best.loc[entry.symbol] if len(best) and entry.symbol in best.index else None
        rows.append(
            {
                "symbol": entry.symbol,
                "exchange": entry.exchange,
                "name": p.name if p else None,
                "sector": p.sector if p else None,
                "price": p.price if p else None,
                "best_put_expiry": b["expiration_date"] if b is not None else None,
                "best_put_strike": b["strike"] if b is not None else None,
                "best_put_premium": b["premium"] if b is not None else None,
                "best_put_annualized": b["annualized_return"] if b is not None else None,
                "iv_rank": p.iv_rank if p else None,
                "fetched_at": p.fetched_at if p else None,
                "sync_status": (p.sync_status or "not synced") if p else "not in the database yet",
            }
        )
    frame = pd.DataFrame(rows, columns=OVERVIEW_COLUMNS)
    frame["fetched_at"] = pd.to_datetime(frame["fetched_at"], utc=True)
    return frame


__all__ = [
    "OVERVIEW_COLUMNS",
    "AddResult",
    "DeletionImpact",
    "Parsed",
    "WatchlistError",
    "WatchlistInfo",
    "WatchlistView",
    "add",
    "create",
    "delete",
    "deletion_impact",
    "export_csv",
    "export_tradingview",
    "names",
    "parse_csv",
    "parse_symbols",
    "remove",
    "rename",
    "view",
    "watchlist_table",
]

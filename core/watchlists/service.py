"""What the Watchlists page calls: an Engine in, its own unit of work inside, plain values and frames out.

Edits go through `WatchlistManager` in one writing unit of work each; the page's table joins each symbol's
profile and data age with its best cash-secured put under the default screen (core.premiums.screen).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.db.engine import unit_of_work
from core.db.models import Stock, StockData
from core.premiums.filters import PremiumFilters
from core.premiums.screen import DatabaseScanner
from core.symbols import WatchlistError
from core.watchlists.formats import Parsed, WatchlistInfo, export_csv, export_tradingview, parse_csv, parse_symbols
from core.watchlists.manager import AddResult, WatchlistManager, known_symbols

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


def names(engine: Engine) -> list[str]:
    """Every watchlist's name, alphabetically."""
    with unit_of_work(engine) as session:
        return WatchlistManager(session).names()


def view(engine: Engine, name: str) -> WatchlistView:
    """The watchlist `name` and its table (WatchlistError when there is none)."""
    with unit_of_work(engine) as session:
        return WatchlistView(WatchlistManager(session).get(name), watchlist_table(session, name))


def create(engine: Engine, name: str, description: str | None = None) -> WatchlistInfo:
    """A new, empty watchlist (WatchlistError when the name is empty or taken)."""
    with unit_of_work(engine, write=True) as session:
        return WatchlistManager(session).create(name, description)


def rename(engine: Engine, old: str, new: str) -> WatchlistInfo:
    """Rename a watchlist in both tables."""
    with unit_of_work(engine, write=True) as session:
        return WatchlistManager(session).rename(old, new)


def delete(engine: Engine, name: str) -> None:
    """Delete a watchlist (its scanner schedules go with it)."""
    with unit_of_work(engine, write=True) as session:
        WatchlistManager(session).delete(name)


def add(engine: Engine, name: str, parsed: Parsed) -> AddResult:
    """Add parsed entries; each one not added comes back with its reason (unknown, already listed...)."""
    with unit_of_work(engine, write=True) as session:
        return WatchlistManager(session).add(name, parsed, known_symbols(session))


def remove(engine: Engine, name: str, symbols: Iterable[str]) -> int:
    """Remove symbols from a watchlist; returns how many were removed."""
    with unit_of_work(engine, write=True) as session:
        return WatchlistManager(session).remove(name, symbols)


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
    "Parsed",
    "WatchlistError",
    "WatchlistInfo",
    "WatchlistView",
    "add",
    "create",
    "delete",
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

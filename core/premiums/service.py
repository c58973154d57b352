"""What the Scan Premiums page calls: an Engine in, its own unit of work inside, frames and frozen values out.

The screen itself is `DatabaseScanner` (core.premiums.screen, SQL in core.premiums.query); a selected row in
depth is core.premiums.symbol_detail; named filter sets are core.premiums.saved_screens. Reads are read-only
units of work and need the viewer role; saving and deleting a screen write, need the trader role and are logged
in the activity log. The "my holdings" scope (`covered_calls`, `sized_puts`; docs/wheel.md) reads the actor's
accounts through `core.accounts.scope` (a trader's own, an admin's every account, a viewer none) and is the same
screen query with a `Scope`; the Wheel's service and `premiums --holdings` call these too. `data_version` takes
no actor: it is a cache key (three counts), not data.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, func, select

from core.accounts import scope as books
from core.auth.audit import record_activity
from core.auth.roles import Actor, Permission, require
from core.db.engine import unit_of_work
from core.db.models import Stock, StockData, Watchlist
from core.exports import frame_csv
from core.operations.service import data_version
from core.premiums import saved_screens
from core.premiums.export import export_frame
from core.premiums.filters import PremiumFilters
from core.premiums.freshness import QuoteFreshness, quote_freshness
from core.premiums.query import Scope
from core.premiums.saved_screens import ScreenError
from core.premiums.screen import DatabaseScanner, InvalidFilters
from core.premiums.symbol_detail import SymbolDetail, Trade, symbol_detail
from core.premiums.window import SyncWindows
from core.premiums.window import sync_windows as windows_of


@dataclass(frozen=True)
class Choices:
    """What the filter widgets offer, and whether there is anything to screen at all."""

    sectors: list[str]
    watchlists: list[str]
    synced: int  # symbols whose last sync stored a chain


def choices(engine: Engine, actor: Actor) -> Choices:
    """The sectors and watchlists to filter by, and how many symbols have option data."""
    require(actor, Permission.READ)
    with unit_of_work(engine) as session:
        sectors = [s for s in session.scalars(select(Stock.sector).distinct().order_by(Stock.sector)) if s]
        watchlists = list(session.scalars(select(Watchlist.name).order_by(Watchlist.name)))
        synced = session.scalar(select(func.count()).select_from(StockData).where(StockData.contracts > 0)) or 0
    return Choices(sectors, watchlists, synced)


@dataclass(frozen=True)
class PutCash:
    """The cash that secures new puts: available cash less what open short puts already reserve."""

    available: float | None
    reserved: float
    free: float | None


def account_choices(engine: Engine, actor: Actor | None) -> dict[int, str]:
    """The accounts whose holdings and cash the actor may screen against ("my holdings", the wheel), id -> label
    (with the owner's name for an admin). A viewer owns no accounts: PermissionDenied."""
    with unit_of_work(engine) as session:
        ids = books.account_ids(session, actor, None)
        return books.account_labels(session, ids, with_owner=actor.can(Permission.MANAGE_ALL_ACCOUNTS))


def covered_calls(
    engine: Engine, actor: Actor | None, filters: PremiumFilters, *, account=None, never_below_cost: bool = False
) -> pd.DataFrame:
    """The screen's covered calls on what these accounts hold in lots of a contract or more, with
    contracts_covered and cost_basis; `never_below_cost` keeps strikes at or above the cost basis."""
    with unit_of_work(engine) as session:
        ids = books.account_ids(session, actor, account)
        scope = Scope(account_ids=tuple(ids), holdings=True, never_below_cost=never_below_cost)
        return DatabaseScanner(session).best_per_symbol(dataclasses.replace(filters, strategy="cc"), scope)


def put_cash(engine: Engine, actor: Actor | None, *, account=None) -> PutCash:
    """What the accounts' cash secures: available, reserved by open short puts, free (never below zero)."""
    with unit_of_work(engine) as session:
        available, reserved = books.put_cash(session, books.account_ids(session, actor, account))
    free = None if available is None else max(available - reserved, 0.0)
    return PutCash(available, reserved, free)


def sized_puts(
    engine: Engine, actor: Actor | None, filters: PremiumFilters, *, account=None, affordable_only: bool = True
) -> pd.DataFrame:
    """The screen's cash-secured puts with contracts_affordable (free cash // (strike x 100)); `affordable_only`
    hides what the free cash cannot secure. frame.attrs carries the PutCash figures."""
    cash = put_cash(engine, actor, account=account)
    if cash.free is None:
        raise InvalidFilters("account", "no cash reported for this account (sync it, or import its funds)")
    with unit_of_work(engine) as session:
        scope = Scope(cash=cash.free, affordable_only=affordable_only)
        frame = DatabaseScanner(session).best_per_symbol(dataclasses.replace(filters, strategy="csp"), scope)
    frame.attrs.update(cash=dataclasses.asdict(cash))
    return frame


def best_per_symbol(engine: Engine, actor: Actor, filters: PremiumFilters) -> pd.DataFrame:
    """The screen: the best contract per symbol (every contract with `all_contracts`), best first.

    Raises `InvalidFilters` naming the field that cannot be used.
    """
    require(actor, Permission.READ)
    with unit_of_work(engine) as session:
        return DatabaseScanner(session).best_per_symbol(filters)


def table_csv(frame: pd.DataFrame) -> str:
    """The table as the download button gives it: `export_frame`'s columns, units and rounding (shared with
    `premiums --format csv`), with text that could be a spreadsheet formula neutralised."""
    return frame_csv(export_frame(frame))


def freshness(engine: Engine, actor: Actor, as_of: dt.date) -> QuoteFreshness:
    """The newest stored quote against the as-of date's trading day (stale: say so, offer the quotes' date)."""
    require(actor, Permission.READ)
    with unit_of_work(engine) as session:
        return quote_freshness(session, as_of)


def sync_windows(engine: Engine, actor: Actor) -> SyncWindows:
    """How many synced symbols each expiry window covers (the DTE filter's note)."""
    require(actor, Permission.READ)
    with unit_of_work(engine) as session:
        return windows_of(session)


def detail(engine: Engine, actor: Actor, trade: Trade, as_of: dt.date | None = None) -> SymbolDetail:
    """The selected contract's symbol in depth: chain around the money, IV smile, history, payoff."""
    require(actor, Permission.READ)
    with unit_of_work(engine) as session:
        return symbol_detail(session, trade, as_of=as_of)


def screen_names(engine: Engine, actor: Actor) -> list[str]:
    """The saved screens, by name."""
    require(actor, Permission.READ)
    with unit_of_work(engine) as session:
        return saved_screens.screen_names(session)


def load_screen(engine: Engine, actor: Actor, name: str) -> PremiumFilters:
    """The filters saved as `name` (ScreenError when there is none)."""
    require(actor, Permission.READ)
    with unit_of_work(engine) as session:
        return saved_screens.load_screen(session, name)


def save_screen(engine: Engine, actor: Actor, name: str, filters: PremiumFilters) -> str:
    """Save (or overwrite) `filters` as `name`; returns the cleaned name (ScreenError for a bad name)."""
    require(actor, Permission.MANAGE_SAVED_SCREENS)
    with unit_of_work(engine, write=True) as session:
        saved = saved_screens.save_screen(session, name, filters)
        record_activity(session, "screen_save", actor=actor, target=f"screen:{saved}", details=filters.to_json())
        return saved


def delete_screen(engine: Engine, actor: Actor, name: str) -> None:
    """Forget the saved screen `name` (nothing happens when there is none)."""
    require(actor, Permission.MANAGE_SAVED_SCREENS)
    with unit_of_work(engine, write=True) as session:
        if saved_screens.delete_screen(session, name):
            record_activity(session, "screen_delete", actor=actor, target=f"screen:{name}")


__all__ = [
    "Choices",
    "InvalidFilters",
    "PutCash",
    "QuoteFreshness",
    "ScreenError",
    "SymbolDetail",
    "Trade",
    "account_choices",
    "best_per_symbol",
    "choices",
    "covered_calls",
    "data_version",  # the cache key of the page's cached reads (core.operations.status)
    "delete_screen",
    "export_frame",  # the CSV's columns, units and rounding, shared with `premiums --format csv`
    "detail",
    "freshness",
    "load_screen",
    "put_cash",
    "save_screen",
    "sized_puts",
    "table_csv",
    "screen_names",
]

"""Cached reads of the Scan Premiums page: thin `st.cache_data` wrappers over core.premiums.service.

Each cache key carries `version` (core.premiums.service.data_version): new data, a finished run or an edited
watchlist changes it, so a cached result is dropped because the data moved, not on a timer. The engine is
passed as `_engine` (a leading underscore: Streamlit does not hash it; there is one per process) and the acting
user as `_actor` (every role may read what is cached here, and the page checked the role before asking, so a
result cached for one reader serves another); the other arguments are plain strings and tuples, and results
are DataFrames or frozen dataclasses.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import streamlit as st

from core.auth import Actor
from core.clock import today_in_new_york
from core.operations.database import Engine
from core.premiums import service
from core.premiums.filters import PremiumFilters
from core.premiums.service import Choices, SymbolDetail, Trade
from core.symbol_view import service as symbol_view
from core.symbol_view.service import ExpiryView, SymbolChoice, SymbolOverview


def current_version(engine: Engine) -> str:
    """The data version right now (never cached: it is what tells the cached reads they are stale)."""
    return service.data_version(engine)


@st.cache_data(max_entries=16, show_spinner=False)
def choices(_engine: Engine, _actor: Actor, version: str) -> Choices:
    """Sectors, watchlists and the synced-symbol count (saved screens are not in the version: read them fresh)."""
    return service.choices(_engine, _actor)


def best_premiums(engine: Engine, actor: Actor, filters: PremiumFilters, version: str) -> pd.DataFrame:
    """The screen's result, cached by the filters, the as-of day and the data version."""
    as_of = str(filters.as_of or today_in_new_york())
    return _best(engine, actor, json.dumps(filters.to_json(), sort_keys=True), as_of, version)


@st.cache_data(max_entries=64, show_spinner="Scanning premiums…")
def _best(_engine: Engine, _actor: Actor, filters_json: str, as_of: str, version: str) -> pd.DataFrame:
    return service.best_per_symbol(_engine, _actor, PremiumFilters.from_json(json.loads(filters_json)))


def symbol_detail(engine: Engine, actor: Actor, trade: Trade, as_of: str, version: str) -> SymbolDetail:
    """The selected row in depth, cached by the trade, the as-of day and the data version."""
    doc = {**trade.__dict__, "expiration_date": trade.expiration_date.isoformat()}
    return _detail(engine, actor, json.dumps(doc, sort_keys=True), as_of, version)


@st.cache_data(max_entries=32, show_spinner=False)
def _detail(_engine: Engine, _actor: Actor, trade_json: str, as_of: str, version: str) -> SymbolDetail:
    doc = json.loads(trade_json)
    trade = Trade(**{**doc, "expiration_date": dt.date.fromisoformat(doc["expiration_date"])})
    return service.detail(_engine, _actor, trade, as_of=dt.date.fromisoformat(as_of))


# ---- the Symbol page -------------------------------------------------------------------------------------
@st.cache_data(max_entries=8, show_spinner=False)
def symbol_choices(_engine: Engine, _actor: Actor, version: str) -> list[SymbolChoice]:
    """Every stored stock for the search box."""
    return symbol_view.symbols(_engine, _actor)


@st.cache_data(max_entries=32, show_spinner="Reading the symbol…")
def symbol_overview(_engine: Engine, _actor: Actor, symbol: str, as_of: str, version: str) -> SymbolOverview:
    return symbol_view.overview(_engine, _actor, symbol, as_of=dt.date.fromisoformat(as_of))


@st.cache_data(max_entries=64, show_spinner=False)
def symbol_expiry(_engine: Engine, _actor: Actor, symbol: str, expiry: str, as_of: str, version: str) -> ExpiryView:
    return symbol_view.expiry(
        _engine, _actor, symbol, dt.date.fromisoformat(expiry), as_of=dt.date.fromisoformat(as_of)
    )

"""Cached reads for the pages. Each cache key carries `version` (core.status.data_version): new data, a finished
run or an edited watchlist changes it, so a cached result is dropped because the data moved, not on a timer.

Arguments are plain strings and tuples (what Streamlit hashes cheaply); results are DataFrames or frozen
dataclasses (what it can pickle). Sessions live only inside these functions.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

import pandas as pd
import streamlit as st
from sqlalchemy import func, select

from core.clock import today_in_new_york
from core.db.engine import unit_of_work
from core.db.models import Stock, StockData
from core.premiums.filters import PremiumFilters
from core.screens import screen_names
from core.status import data_version
from core.watchlists import WatchlistManager
from ui.db import engine


@dataclass(frozen=True)
class Choices:
    sectors: list[str]
    watchlists: list[str]
    screens: list[str]
    synced: int  # symbols whose last sync stored a chain


def current_version(url: str) -> str:
    """The data version right now (three indexed aggregates: cheap enough for every rerun)."""
    with unit_of_work(engine(), write=False) as session:
        return data_version(session)


def choices(url: str, version: str) -> Choices:
    """Sectors, watchlists (cached by version) and saved screens (always fresh: they are not in the version)."""
    sectors, watchlists, synced = _choices(url, version)
    with unit_of_work(engine(), write=False) as session:
        screens = screen_names(session)
    return Choices(sectors, watchlists, screens, synced)


@st.cache_data(max_entries=16, show_spinner=False)
def _choices(url: str, version: str) -> tuple[list[str], list[str], int]:
    with unit_of_work(engine(), write=False) as session:
        sectors = [s for s in session.scalars(select(Stock.sector).distinct().order_by(Stock.sector)) if s]
        synced = session.scalar(select(func.count()).select_from(StockData).where(StockData.contracts > 0)) or 0
        return sectors, WatchlistManager(session).names(), synced


def best_premiums(url: str, filters: PremiumFilters, version: str) -> pd.DataFrame:
    """`DatabaseScanner.best_per_symbol(filters)`, cached by filters, the as-of day and the data version."""
    return _best(url, json.dumps(filters.to_json(), sort_keys=True), str(filters.as_of or today_in_new_york()), version)


@st.cache_data(max_entries=64, show_spinner="Scanning premiums…")
def _best(url: str, filters_json: str, as_of: str, version: str) -> pd.DataFrame:
    from core.premiums.scanner import DatabaseScanner

    with unit_of_work(engine(), write=False) as session:
        return DatabaseScanner(session).best_per_symbol(PremiumFilters.from_json(json.loads(filters_json)))


@st.cache_data(max_entries=32, show_spinner=False)
def symbol_detail(url: str, trade_json: str, as_of: str, version: str):
    from core.symbol_detail import Trade
    from core.symbol_detail import symbol_detail as detail

    doc = json.loads(trade_json)
    trade = Trade(**{**doc, "expiration_date": dt.date.fromisoformat(doc["expiration_date"])})
    with unit_of_work(engine(), write=False) as session:
        return detail(session, trade, as_of=dt.date.fromisoformat(as_of))

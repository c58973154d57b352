"""Watchlists: parsing what users paste or upload (`formats`), editing both watchlist tables as one (`manager`),
and what the Watchlists page calls (`service`). A watchlist's tickers (`watchlist_symbols`, `plain_tickers`) are
defined in core.symbols and re-exported here."""

from core.symbols import WatchlistError, plain_tickers, watchlist_symbols
from core.watchlists.formats import (
    Entry,
    Parsed,
    Skipped,
    WatchlistInfo,
    export_csv,
    export_tradingview,
    parse_csv,
    parse_entry,
    parse_symbols,
)
from core.watchlists.manager import AddResult, WatchlistManager, known_symbols

__all__ = [
    "AddResult",
    "Entry",
    "Parsed",
    "Skipped",
    "WatchlistError",
    "WatchlistInfo",
    "WatchlistManager",
    "export_csv",
    "export_tradingview",
    "known_symbols",
    "parse_csv",
    "parse_entry",
    "parse_symbols",
    "plain_tickers",
    "watchlist_symbols",
]

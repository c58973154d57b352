"""Watchlists in and out as text: what users paste or upload (TradingView lists, one per line, CSV) and exports.

Nothing a user pastes is dropped silently: every entry is either kept or comes back with the reason it was
skipped (malformed, a duplicate in the input, a TradingView section header).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from core.exports import rows_csv
from core.symbols import WatchlistError, is_ticker

EXCHANGE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{0,9}$")  # watchlists.exchange holds 10 characters
_SPLIT = re.compile(r"[,\n\r\t;]+")


@dataclass(frozen=True)
class Entry:
    """One symbol a user gave, with the exchange from a TradingView prefix (`NASDAQ:AAPL`) if there was one."""

    symbol: str
    exchange: str | None = None

    @property
    def tradingview(self) -> str:
        return f"{self.exchange}:{self.symbol}" if self.exchange else self.symbol


@dataclass(frozen=True)
class Skipped:
    entry: str
    reason: str


@dataclass(frozen=True)
class Parsed:
    entries: tuple[Entry, ...] = ()
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True)
class WatchlistInfo:
    """A watchlist as the pages show it (a plain value: safe in session state)."""

    id: int
    name: str
    description: str | None
    entries: tuple[Entry, ...]
    sync_max_dte: int | None = None  # the expiry window its syncs use; None: SYNC_MAX_DTE

    @property
    def symbols(self) -> tuple[str, ...]:
        return tuple(e.symbol for e in self.entries)


def parse_entry(raw: str) -> Entry | Skipped:
    """'nasdaq:aapl' -> Entry('AAPL', 'NASDAQ'); anything that is not a ticker -> Skipped with the reason."""
    text = raw.strip().strip('"').strip()
    if text.startswith("###"):
        return Skipped(raw.strip(), "TradingView section header, not a symbol")
    exchange = None
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 2 or not parts[0].strip() or not parts[1].strip():
            return Skipped(raw.strip(), "malformed: expected EXCHANGE:SYMBOL such as NASDAQ:AAPL")
        exchange, text = parts[0].strip().upper(), parts[1]
        if not EXCHANGE_PATTERN.match(exchange):
            return Skipped(raw.strip(), f"malformed exchange {exchange!r}")
    symbol = text.strip().upper()
    if not is_ticker(symbol):
        return Skipped(raw.strip(), "malformed: a ticker is 1-20 letters, digits or . - ^ =")
    return Entry(symbol, exchange)


def parse_symbols(text: str) -> Parsed:
    """Parse pasted symbols: a TradingView export (`NASDAQ:AAPL,NYSE:KO`), one per line, or comma-separated."""
    return _parse(_SPLIT.split(text))


def parse_csv(data: bytes) -> Parsed:
    """Parse an uploaded CSV: a `symbol` or `ticker` column (and optional `exchange`), else every cell.

    Any line ending is accepted (Windows, Unix, old Mac `\\r`); a file that is not text (NUL bytes, or mostly
    undecodable) or not CSV is a `WatchlistError` that says so, never a crash.
    """
    if b"\x00" in data:
        raise WatchlistError("this file is not a text CSV (it contains binary data): upload a .csv or .txt list")
    text = data.decode("utf-8-sig", errors="replace")
    if text.count("\ufffd") > max(8, len(text) // 20):
        raise WatchlistError("this file is not UTF-8 text: save it as CSV (UTF-8) and upload it again")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=None)))
    except csv.Error as exc:
        raise WatchlistError(f"this file is not a readable CSV: {exc}") from None
    if not rows:
        return Parsed()
    header = [h.strip().lower() for h in rows[0]]
    column = next((header.index(n) for n in ("symbol", "ticker") if n in header), None)
    if column is None:
        return _parse(cell for row in rows for cell in row)
    exchange = header.index("exchange") if "exchange" in header else None
    cells = []
    for row in rows[1:]:
        if len(row) <= column or not row[column].strip():
            continue
        value = row[column].strip()
        if exchange is not None and len(row) > exchange and row[exchange].strip() and ":" not in value:
            value = f"{row[exchange].strip()}:{value}"
        cells.append(value)
    return _parse(cells)


def _parse(raw_entries: Iterable[str]) -> Parsed:
    entries: dict[str, Entry] = {}
    skipped: list[Skipped] = []
    for raw in raw_entries:
        if not raw.strip():
            continue
        result = parse_entry(raw)
        if isinstance(result, Skipped):
            skipped.append(result)
        elif result.symbol in entries:
            skipped.append(Skipped(raw.strip(), "duplicate in this input"))
        else:
            entries[result.symbol] = result
    return Parsed(tuple(entries.values()), tuple(skipped))


def export_tradingview(info: WatchlistInfo) -> str:
    """The watchlist as TradingView imports it: `NASDAQ:AAPL,NYSE:KO` (no prefix where the exchange is unknown)."""
    return ",".join(e.tradingview for e in info.entries)


def export_csv(info: WatchlistInfo) -> str:
    """The watchlist as a CSV file with a `symbol` and an `exchange` column."""
    return rows_csv(["symbol", "exchange"], ([e.symbol, e.exchange or ""] for e in info.entries))


__all__ = [
    "EXCHANGE_PATTERN",
    "Entry",
    "Parsed",
    "Skipped",
    "WatchlistInfo",
    "export_csv",
    "export_tradingview",
    "parse_csv",
    "parse_entry",
    "parse_symbols",
]

"""Watchlists: parse pasted or uploaded symbols, and edit both watchlist tables as one.

Two tables describe watchlists: FluxScan's `watchlists` (a JSON array of plain tickers; what `sync
--watchlist`, scanner schedules and the premium filter read) and Database Scan's `tv_watchlists` +
`tv_watchlist_symbols` (TradingView-style, exchange-qualified, ordered). `watchlists` is the one the UI edits;
`WatchlistManager` mirrors every change into `tv_watchlists` in the same transaction, so both stay meaningful.
The manager never commits: "create + add 40 symbols + enqueue a sync" is the caller's one unit of work.

Nothing a user pastes is dropped silently: every entry is either added or comes back with the reason it was
skipped (malformed, unknown, duplicate, already listed, a TradingView section header).
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.db.models import Stock, StockData, TvWatchlist, TvWatchlistSymbol, Watchlist
from core.symbols import is_ticker

EXCHANGE_PATTERN = re.compile(r"^[A-Z][A-Z0-9_]{0,9}$")  # watchlists.exchange holds 10 characters
MAX_NAME = 100
_SPLIT = re.compile(r"[,\n\r\t;]+")


class WatchlistError(ValueError):
    """A watchlist request that cannot be done (no such list, a name taken or empty); the message says which."""


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
class AddResult:
    added: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()


@dataclass(frozen=True)
class WatchlistInfo:
    """A watchlist as the pages show it (a plain value: safe in session state)."""

    id: int
    name: str
    description: str | None
    entries: tuple[Entry, ...]

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
    """Parse an uploaded CSV: a `symbol` or `ticker` column (and optional `exchange`), else every cell."""
    text = data.decode("utf-8-sig", errors="replace")
    rows = list(csv.reader(io.StringIO(text)))
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


def plain_tickers(values: Iterable[object]) -> tuple[str, ...]:
    """Stored watchlist entries as tickers: trimmed, upper-case, an exchange prefix ('NASDAQ:AAPL') dropped, no
    duplicates, blanks and non-strings skipped."""
    out = (v.strip().upper().rsplit(":", 1)[-1] for v in values if isinstance(v, str) and v.strip())
    return tuple(dict.fromkeys(out))


def watchlist_symbols(session: Session, name: str) -> tuple[str, ...]:
    """The tickers of the watchlist called `name`, in stored order: what sync, scans and screens read.

    FluxScan's `watchlists` is the source of truth; a list that exists only in Database Scan's `tv_watchlists`
    (written by another tool) is read from there. Raises `WatchlistError` when neither has it.
    """
    found = session.execute(select(Watchlist.symbols).where(Watchlist.name == name)).first()
    if found is not None:
        return plain_tickers(found.symbols or [])
    tv_id = session.scalar(select(TvWatchlist.id).where(TvWatchlist.name == name))
    if tv_id is None:
        raise WatchlistError(f"no watchlist named {name!r}")
    rows = session.scalars(
        select(TvWatchlistSymbol.symbol)
        .where(TvWatchlistSymbol.watchlist_id == tv_id)
        .order_by(TvWatchlistSymbol.position)
    )
    return plain_tickers(rows)


def export_tradingview(info: WatchlistInfo) -> str:
    """The watchlist as TradingView imports it: `NASDAQ:AAPL,NYSE:KO` (no prefix where the exchange is unknown)."""
    return ",".join(e.tradingview for e in info.entries)


def export_csv(info: WatchlistInfo) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["symbol", "exchange"])
    writer.writerows([e.symbol, e.exchange or ""] for e in info.entries)
    return buffer.getvalue()


class WatchlistManager:
    """Create, rename, delete and fill watchlists in both tables; takes a session and never commits."""

    def __init__(self, session: Session):
        self.session = session

    # ---- reading -------------------------------------------------------------------------------------
    def names(self) -> list[str]:
        return list(self.session.scalars(select(Watchlist.name).order_by(Watchlist.name)))

    def get(self, name: str) -> WatchlistInfo:
        watchlist = self._watchlist(name)
        tv = self._tv(watchlist.name)
        exchanges = {s.symbol: s.exchange for s in tv.symbols} if tv is not None else {}
        entries = tuple(Entry(str(s).upper(), exchanges.get(str(s).upper())) for s in watchlist.symbols or [])
        return WatchlistInfo(watchlist.id, watchlist.name, watchlist.description, entries)

    def known_symbols(self) -> set[str]:
        return set(self.session.scalars(select(Stock.symbol)))

    # ---- writing -------------------------------------------------------------------------------------
    def create(self, name: str, description: str | None = None, source: str = "manual") -> WatchlistInfo:
        name = _clean_name(name)
        if self.session.scalar(select(Watchlist.id).where(Watchlist.name == name)) is not None:
            raise WatchlistError(f"a watchlist named {name!r} already exists")
        self.session.add(Watchlist(name=name, description=description, symbols=[], exchange=None))
        tv = self._tv(name)
        if tv is None:
            self.session.add(TvWatchlist(name=name, description=description, source=source))
        else:  # an orphan TradingView list of that name: reuse it, emptied to match, rather than fail
            self.session.execute(delete(TvWatchlistSymbol).where(TvWatchlistSymbol.watchlist_id == tv.id))
        self.session.flush()
        return self.get(name)

    def rename(self, old: str, new: str) -> WatchlistInfo:
        new = _clean_name(new)
        watchlist = self._watchlist(old)
        if new == watchlist.name:
            return self.get(new)
        if self.session.scalar(select(Watchlist.id).where(Watchlist.name == new)) is not None:
            raise WatchlistError(f"a watchlist named {new!r} already exists")
        self.session.execute(delete(TvWatchlist).where(TvWatchlist.name == new))  # a stray TradingView-only list
        tv = self._ensure_tv(watchlist)
        watchlist.name = tv.name = new
        self.session.flush()
        return self.get(new)

    def delete(self, name: str) -> None:
        watchlist = self._watchlist(name)
        # SQL deletes: the database cascades to tv_watchlist_symbols and scan_schedules (and nulls scan_history)
        self.session.execute(delete(TvWatchlist).where(TvWatchlist.name == watchlist.name))
        self.session.execute(delete(Watchlist).where(Watchlist.id == watchlist.id))
        self.session.flush()

    def add(self, name: str, parsed: Parsed, known: set[str] | None = None) -> AddResult:
        """Add parsed entries; skip (with a reason) those already listed and, if `known` is given, unknown ones.

        `known=None` accepts any well-formed ticker: the first sync then finds out whether it exists (for
        providers such as yfinance that cannot list their symbols offline).
        """
        watchlist = self._watchlist(name)
        current = self.get(watchlist.name)
        listed = set(current.symbols)
        added: list[Entry] = []
        skipped = list(parsed.skipped)
        for entry in parsed.entries:
            if entry.symbol in listed:
                skipped.append(Skipped(entry.tradingview, "already in this watchlist"))
            elif known is not None and entry.symbol not in known:
                skipped.append(
                    Skipped(entry.tradingview, "unknown symbol: not in the database or the provider's universe")
                )
            else:
                added.append(entry)
                listed.add(entry.symbol)
        if added:
            self._store(watchlist, current.entries + tuple(self._with_exchange(added)))
        return AddResult(tuple(e.symbol for e in added), tuple(skipped))

    def remove(self, name: str, symbols: Iterable[str]) -> int:
        watchlist = self._watchlist(name)
        drop = {s.upper() for s in symbols}
        current = self.get(watchlist.name).entries
        kept = tuple(e for e in current if e.symbol not in drop)
        self._store(watchlist, kept)
        return len(current) - len(kept)

    def replace(self, name: str, entries: Iterable[Entry]) -> WatchlistInfo:
        """Set a watchlist's symbols (in order), creating the list if needed."""
        if self.session.scalar(select(Watchlist.id).where(Watchlist.name == name)) is None:
            self.create(name)
        self._store(self._watchlist(name), tuple(self._with_exchange(list(entries))))
        return self.get(name)

    def reconcile(self) -> None:
        """Bring `tv_watchlists` in line with `watchlists`; a TradingView-only list is adopted, not deleted."""
        names = set(self.names())
        for tv in self.session.scalars(select(TvWatchlist)).all():
            if tv.name not in names:
                self.session.add(
                    Watchlist(
                        name=tv.name, description=tv.description, symbols=[s.symbol for s in tv.symbols], exchange=None
                    )
                )
        self.session.flush()
        for name in self.names():
            watchlist = self._watchlist(name)
            self._store(watchlist, self.get(name).entries)

    # ---- internals -----------------------------------------------------------------------------------
    def _watchlist(self, name: str) -> Watchlist:
        watchlist = self.session.scalar(select(Watchlist).where(Watchlist.name == name))
        if watchlist is None:
            raise WatchlistError(f"no watchlist named {name!r}")
        return watchlist

    def _tv(self, name: str) -> TvWatchlist | None:
        return self.session.scalar(select(TvWatchlist).where(TvWatchlist.name == name))

    def _ensure_tv(self, watchlist: Watchlist) -> TvWatchlist:
        tv = self._tv(watchlist.name)
        if tv is None:
            tv = TvWatchlist(name=watchlist.name, description=watchlist.description, source="manual")
            self.session.add(tv)
            self.session.flush()
        return tv

    def _with_exchange(self, entries: list[Entry]) -> list[Entry]:
        """Fill a missing exchange from `stocks`, so exports carry TradingView prefixes where we know them."""
        missing = [e.symbol for e in entries if not e.exchange]
        exchanges = (
            dict(self.session.execute(select(Stock.symbol, Stock.exchange).where(Stock.symbol.in_(missing))).all())
            if missing
            else {}
        )
        return [e if e.exchange else Entry(e.symbol, exchanges.get(e.symbol)) for e in entries]

    def _store(self, watchlist: Watchlist, entries: tuple[Entry, ...]) -> None:
        watchlist.symbols = [e.symbol for e in entries]
        exchanges = {e.exchange for e in entries}
        watchlist.exchange = next(iter(exchanges)) if len(exchanges) == 1 and None not in exchanges else None
        tv = self._ensure_tv(watchlist)
        self.session.execute(delete(TvWatchlistSymbol).where(TvWatchlistSymbol.watchlist_id == tv.id))
        self.session.add_all(
            TvWatchlistSymbol(watchlist_id=tv.id, symbol=e.symbol, exchange=e.exchange, position=i)
            for i, e in enumerate(entries)
        )
        self.session.flush()
        self.session.expire(tv, ["symbols"])


def _clean_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise WatchlistError("a watchlist needs a name")
    if len(name) > MAX_NAME:
        raise WatchlistError(f"a watchlist name has at most {MAX_NAME} characters")
    return name


def known_symbols(session: Session, provider: str | None = None) -> set[str] | None:
    """Symbols a watchlist may take: those in `stocks` plus those the provider lists offline.

    None when the provider cannot list its symbols without the network (yfinance): any well-formed ticker is
    accepted then, and its first sync tells whether it exists.
    """
    from core.config import get_settings
    from core.providers import UnknownProvider, get_provider

    name = provider or get_settings().market_data_provider
    if name == "yfinance":
        return None
    known = set(session.scalars(select(Stock.symbol)))
    with contextlib.suppress(UnknownProvider):  # e.g. csv without a folder configured: the database is all we know
        known.update(get_provider(name).universe())
    return known


def watchlist_overview(session: Session, name: str) -> pd.DataFrame:
    """A watchlist's symbols with their profile, data age and the latest best cash-secured put (default filters)."""
    from core.premiums.filters import PremiumFilters
    from core.premiums.scanner import DatabaseScanner

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

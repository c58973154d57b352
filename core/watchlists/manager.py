"""Edit both watchlist tables as one: FluxScan's `watchlists` and Database Scan's `tv_watchlists`.

`watchlists` (a JSON array of plain tickers) is what `sync --watchlist`, scanner schedules and the premium
filter read, and the one the UI edits; `tv_watchlists` + `tv_watchlist_symbols` are TradingView-style,
exchange-qualified and ordered. `WatchlistManager` mirrors every change into `tv_watchlists` in the same
transaction, so both stay meaningful. It never commits: "create + add 40 symbols + enqueue a sync" is the
caller's one unit of work.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.config import get_settings
from core.db.models import Stock, TvWatchlist, TvWatchlistSymbol, Watchlist
from core.providers import ONLINE_PROVIDERS, UnknownProvider, get_provider
from core.symbols import WatchlistError
from core.watchlists.formats import Entry, Parsed, Skipped, WatchlistInfo

MAX_NAME = 100


@dataclass(frozen=True)
class AddResult:
    added: tuple[str, ...] = ()
    skipped: tuple[Skipped, ...] = ()


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
        return WatchlistInfo(watchlist.id, watchlist.name, watchlist.description, entries, watchlist.sync_max_dte)

    def known_symbols(self) -> set[str]:
        return set(self.session.scalars(select(Stock.symbol)))

    # ---- writing -------------------------------------------------------------------------------------
    def create(self, name: str, description: str | None = None, source: str = "manual") -> WatchlistInfo:
        name = _clean_name(name)
        self._refuse_taken(name)
        self.session.add(Watchlist(name=name, description=description, symbols=[], exchange=None))
        tv = self._tv(name)
        if tv is None:
            self.session.add(TvWatchlist(name=name, description=description, source=source))
        else:  # an orphan TradingView list of that name: reuse it, emptied to match, rather than fail
            tv.name = name
            self.session.execute(delete(TvWatchlistSymbol).where(TvWatchlistSymbol.watchlist_id == tv.id))
        self.session.flush()
        return self.get(name)

    def set_sync_window(self, name: str, max_dte: int | None) -> WatchlistInfo:
        """The expiry window syncs of this watchlist use (days; 0: every expiry; None: SYNC_MAX_DTE)."""
        if max_dte is not None and not 0 <= max_dte <= 3660:
            raise WatchlistError(f"a sync window is 0 (every expiry) to 3660 days, not {max_dte}")
        watchlist = self._watchlist(name)
        watchlist.sync_max_dte = max_dte
        self.session.flush()
        return self.get(watchlist.name)

    def rename(self, old: str, new: str) -> WatchlistInfo:
        new = _clean_name(new)
        watchlist = self._watchlist(old)
        if new == watchlist.name:
            return self.get(new)
        self._refuse_taken(new, but=watchlist.id)
        # a stray TradingView-only list of that name (in any case) gives way
        self.session.execute(
            delete(TvWatchlist).where(func.lower(TvWatchlist.name) == new.lower(), TvWatchlist.name != watchlist.name)
        )
        tv = self._ensure_tv(watchlist)
        watchlist.name = tv.name = new
        self.session.flush()
        return self.get(new)

    def delete(self, name: str) -> None:
        watchlist = self._watchlist(name)
        # SQL deletes: the database cascades to tv_watchlist_symbols and scan_schedules (and nulls scan_history)
        self.session.execute(delete(TvWatchlist).where(func.lower(TvWatchlist.name) == watchlist.name.lower()))
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
        if self.session.scalar(select(Watchlist.id).where(func.lower(Watchlist.name) == name.lower())) is None:
            self.create(name)
        self._store(self._watchlist(name), tuple(self._with_exchange(list(entries))))
        return self.get(name)

    # ---- internals -----------------------------------------------------------------------------------
    def _refuse_taken(self, name: str, but: int | None = None) -> None:
        """Names ignore case ("Wheel TV" is "wheel tv"): say so before the database's unique index refuses."""
        query = select(Watchlist.name).where(func.lower(Watchlist.name) == name.lower())
        if but is not None:
            query = query.where(Watchlist.id != but)
        taken = self.session.scalar(query)
        if taken is not None:
            raise WatchlistError(f"a watchlist called {taken!r} already exists (names ignore case)")

    def _watchlist(self, name: str) -> Watchlist:
        watchlist = self.session.scalar(select(Watchlist).where(func.lower(Watchlist.name) == name.lower()))
        if watchlist is None:
            raise WatchlistError(f"no watchlist named {name!r}")
        return watchlist

    def _tv(self, name: str) -> TvWatchlist | None:
        return self.session.scalar(select(TvWatchlist).where(func.lower(TvWatchlist.name) == name.lower()))

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

    None when the provider cannot list its symbols without the network (yfinance, openalgo): any well-formed ticker is
    accepted then, and its first sync tells whether it exists.
    """
    name = provider or get_settings().market_data_provider
    if name in ONLINE_PROVIDERS:
        return None
    known = set(session.scalars(select(Stock.symbol)))
    with contextlib.suppress(UnknownProvider):  # e.g. csv without a folder configured: the database is all we know
        known.update(get_provider(name).universe())
    return known


__all__ = ["MAX_NAME", "AddResult", "WatchlistManager", "known_symbols"]

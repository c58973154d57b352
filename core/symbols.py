"""What a ticker symbol is, reading a list of them, and the tickers of a stored watchlist: the one rule every
command, page and job uses.

A ticker is 1-20 characters of upper-case letters, digits and `. - ^ =` starting with a letter or digit (`BRK-B`,
`^GSPC`, `EURUSD=X`). `parse_ticker_list` is strict (a command line, a request): it upper-cases, drops
duplicates keeping the first, and refuses the whole list naming every entry that is not a ticker. Lenient
parsing that keeps going and reports each skipped entry with its reason (pasted watchlists) builds on
`is_ticker` in core.watchlists.

`watchlist_symbols` lives here rather than in core.watchlists because the premium screen, sync requests,
scanner runs and schedule fires all read it, and the Watchlists page's service (core.watchlists) in turn reads
the premium screen: the lookup sits below both. core.watchlists re-exports it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import TvWatchlist, TvWatchlistSymbol, Watchlist

TICKER_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9.\-^=]{0,19}$")
_SEPARATORS = re.compile(r"[,\s]+")
_SHOWN = 10  # bad entries named in one error message


class SymbolListError(ValueError):
    """A list of symbols that is empty or holds entries that are not tickers; the message names them."""


class WatchlistError(ValueError):
    """A watchlist request that cannot be done (no such list, a name taken or empty); the message says which."""


def is_ticker(text: str) -> bool:
    """Whether `text` (already upper-case and stripped) is a ticker symbol."""
    return bool(TICKER_PATTERN.match(text))


def parse_ticker_list(text: str | Iterable[str]) -> tuple[str, ...]:
    """'aapl, MSFT  brk-b' (or an iterable of entries) -> ('AAPL', 'MSFT', 'BRK-B').

    Commas and whitespace separate entries; duplicates are dropped (first kept). Raises `SymbolListError`
    naming up to ten entries that are not tickers, or saying that no symbol was given.
    """
    raw = _SEPARATORS.split(text) if isinstance(text, str) else [str(t) for t in text]
    symbols = [s.strip().upper() for s in raw if s and s.strip()]
    bad = [s for s in symbols if not is_ticker(s)]
    if bad:
        more = f" and {len(bad) - _SHOWN} more" if len(bad) > _SHOWN else ""
        raise SymbolListError(f"not ticker symbols: {', '.join(bad[:_SHOWN])}{more}")
    if not symbols:
        raise SymbolListError("no symbols given")
    return tuple(dict.fromkeys(symbols))


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


__all__ = [
    "TICKER_PATTERN",
    "SymbolListError",
    "WatchlistError",
    "is_ticker",
    "parse_ticker_list",
    "plain_tickers",
    "watchlist_symbols",
]

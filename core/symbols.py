"""What a ticker symbol is, and reading a list of them: the one rule every command, page and job uses.

A ticker is 1-20 characters of upper-case letters, digits and `. - ^ =` starting with a letter or digit (`BRK-B`,
`^GSPC`, `EURUSD=X`). `parse_ticker_list` is strict (a command line, a request): it upper-cases, drops
duplicates keeping the first, and refuses the whole list naming every entry that is not a ticker. Lenient
parsing that keeps going and reports each skipped entry with its reason (pasted watchlists) builds on
`is_ticker` in core.watchlists.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

TICKER_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9.\-^=]{0,19}$")
_SEPARATORS = re.compile(r"[,\s]+")
_SHOWN = 10  # bad entries named in one error message


class SymbolListError(ValueError):
    """A list of symbols that is empty or holds entries that are not tickers; the message names them."""


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


__all__ = ["TICKER_PATTERN", "SymbolListError", "is_ticker", "parse_ticker_list"]

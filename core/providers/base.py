"""The one interface every market-data provider implements (synthetic, yfinance, csv).

A provider answers questions about one symbol at a time; the sync pipeline (core/sync) turns the answers
into rows. Chains come back in yfinance's `option_chain()` shape, calls and puts in one frame with an
`option_type` column, so every provider feeds the same normalise -> validate -> enrich -> upsert path.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import pandas as pd

# The 14 columns of yfinance's Ticker.option_chain() frames, in yfinance's order.
CHAIN_COLUMNS: tuple[str, ...] = (
    "contractSymbol",
    "lastTradeDate",
    "strike",
    "lastPrice",
    "bid",
    "ask",
    "change",
    "percentChange",
    "volume",
    "openInterest",
    "impliedVolatility",
    "inTheMoney",
    "contractSize",
    "currency",
)
OHLCV_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume")


class ProviderError(RuntimeError):
    """The provider failed for this symbol (network, rate limit after retries, garbage); worth a retry later."""


class SymbolNotFound(ProviderError):
    """The provider does not know this symbol at all."""


class NoOptions(Exception):
    """The symbol exists but lists no options: an outcome, not a failure."""


@dataclass(frozen=True, slots=True)
class Quote:
    symbol: str
    price: float
    quote_time: dt.datetime  # timezone-aware UTC
    currency: str = "USD"
    previous_close: float | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    symbol: str
    name: str | None = None
    sector: str | None = None
    industry: str | None = None
    market_cap: int | None = None
    avg_volume: int | None = None
    dividend_yield: float | None = None  # a fraction: 0.012 means 1.2 % a year
    next_earnings: dt.date | None = None
    exchange: str | None = None
    ex_dividend: dt.date | None = None  # the next ex-dividend date (or the latest announced one)


@dataclass(slots=True)
class ChainSnapshot:
    """Everything one sync of one symbol needs: the quote, the profile and every expiry's chain.

    `chain` holds CHAIN_COLUMNS plus `option_type` ('call'/'put') and `expiration` (a date); it is empty,
    with `expirations == []`, for a symbol with no options.
    """

    quote: Quote
    profile: Profile
    expirations: list[dt.date]
    chain: pd.DataFrame
    warnings: list[str] = field(default_factory=list)


class MarketDataProvider(ABC):
    """Market data for one symbol at a time. Implementations must be safe to call from one thread."""

    name: str = "abstract"

    @abstractmethod
    def universe(self) -> list[str]:
        """Symbols this provider can serve without being told (the whole synthetic universe, a csv folder's)."""

    @abstractmethod
    def quote(self, symbol: str) -> Quote: ...

    @abstractmethod
    def profile(self, symbol: str) -> Profile: ...

    @abstractmethod
    def expirations(self, symbol: str) -> list[dt.date]:
        """Listed expiry dates, ascending; raise `NoOptions` when the symbol has none."""

    @abstractmethod
    def chain(self, symbol: str, expiration: dt.date) -> pd.DataFrame:
        """Calls and puts for one expiry: CHAIN_COLUMNS + `option_type`."""

    @abstractmethod
    def history(self, symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        """Daily OHLCV with a DatetimeIndex (dates) and OHLCV_COLUMNS, ascending, `start`..`end` inclusive."""

    def history_ends(self, symbol: str) -> dt.date | None:
        """The last day of daily history this source holds for `symbol`, when it knows without a network call.

        None means unknown (a web API). A scan whose window finds no bars uses it to say where the data ends.
        """
        return None

    def snapshot(self, symbol: str) -> ChainSnapshot:
        """Quote, profile and all chains for `symbol`; raises `NoOptions` / `ProviderError`."""
        quote = self.quote(symbol)
        profile = self.profile(symbol)
        expirations = self.expirations(symbol)
        frames = []
        for expiry in expirations:
            frame = self.chain(symbol, expiry)
            if len(frame):
                frames.append(frame.assign(expiration=expiry))
        chain = pd.concat(frames, ignore_index=True) if frames else empty_chain()
        return ChainSnapshot(quote=quote, profile=profile, expirations=expirations, chain=chain)


def empty_chain() -> pd.DataFrame:
    """A chain frame with the right columns and no rows."""
    return pd.DataFrame(columns=[*CHAIN_COLUMNS, "option_type", "expiration"])

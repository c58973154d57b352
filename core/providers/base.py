"""The one interface every market-data provider implements (synthetic, yfinance, csv).

A provider answers questions about one symbol at a time; the sync pipeline (core/sync) turns the answers
into rows. Chains come back in yfinance's `option_chain()` shape, calls and puts in one frame with an
`option_type` column, so every provider feeds the same normalise -> validate -> enrich -> upsert path.
"""

from __future__ import annotations

import datetime as dt
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field

import pandas as pd

from core.clock import NEW_YORK

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


class UnknownProvider(ValueError):
    """A provider name that is not one of PROVIDER_NAMES, or a provider missing what it needs."""


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
    max_dte: int = 0  # the expiry window it was fetched with; 0 = every listed expiry


@dataclass(slots=True)
class RequestUsage:
    """What fetching one symbol cost: HTTP requests (cookie and crumb ones too), retries, 429s, bytes, time.

    `wait_seconds` is time spent waiting for the rate limiter's token (politeness), `network_seconds` time in
    requests (latency and transfer). A provider without a network leaves every field at zero.
    """

    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    bytes: int = 0
    wait_seconds: float = 0.0
    network_seconds: float = 0.0

    def add(self, other: RequestUsage) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


@contextmanager
def metered(local: threading.local) -> Iterator[RequestUsage]:
    """Count the requests this thread makes into a fresh `RequestUsage` (kept on `local.meter`) while the block
    runs; a meter already running on the thread (an outer block) gets the inner block's counts too."""
    usage = RequestUsage()
    outer = getattr(local, "meter", None)
    local.meter = usage
    try:
        yield usage
    finally:
        local.meter = outer
        if outer is not None:
            outer.add(usage)


def window_end(quote: Quote, max_dte: int) -> dt.date | None:
    """The last expiry inside a `max_dte` window, counted from the quote's day in New York; None = no window."""
    if max_dte <= 0:
        return None
    return quote.quote_time.astimezone(NEW_YORK).date() + dt.timedelta(days=max_dte)


def within_window(expirations: list[dt.date], quote: Quote, max_dte: int) -> list[dt.date]:
    """The expiries a sync with window `max_dte` asks for (all of them when `max_dte` is 0)."""
    end = window_end(quote, max_dte)
    return list(expirations) if end is None else [e for e in expirations if e <= end]


def apply_window(snapshot: ChainSnapshot, max_dte: int) -> ChainSnapshot:
    """`snapshot` cut to the expiries inside the window (for sources whose whole chain costs nothing extra)."""
    snapshot.max_dte = max(0, max_dte)
    kept = within_window(snapshot.expirations, snapshot.quote, snapshot.max_dte)
    if len(kept) < len(snapshot.expirations):
        snapshot.expirations = kept
        snapshot.chain = snapshot.chain[snapshot.chain["expiration"].isin(set(kept))].reset_index(drop=True)
    return snapshot


class MarketDataProvider(ABC):
    """Market data for one symbol at a time. Implementations must be safe to call from one thread.

    A provider that sets `concurrent = True` may be called from several threads at once (the sync worker then
    fetches with a small pool); its politeness must then hold across threads (yfinance: one token bucket).
    """

    name: str = "abstract"
    concurrent: bool = False

    @contextmanager
    def metering(self) -> Iterator[RequestUsage]:
        """Count the requests this thread makes inside the block; a provider without a network counts none."""
        yield RequestUsage()

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

    def snapshot(self, symbol: str, max_dte: int = 0) -> ChainSnapshot:
        """Quote, profile and the chains of every expiry within `max_dte` days (0: all); raises `NoOptions` /
        `ProviderError`."""
        quote = self.quote(symbol)
        profile = self.profile(symbol)
        expirations = within_window(self.expirations(symbol), quote, max_dte)
        frames = []
        for expiry in expirations:
            frame = self.chain(symbol, expiry)
            if len(frame):
                frames.append(frame.assign(expiration=expiry))
        chain = pd.concat(frames, ignore_index=True) if frames else empty_chain()
        return ChainSnapshot(
            quote=quote, profile=profile, expirations=expirations, chain=chain, max_dte=max(0, max_dte)
        )


def empty_chain() -> pd.DataFrame:
    """A chain frame with the right columns and no rows."""
    return pd.DataFrame(columns=[*CHAIN_COLUMNS, "option_type", "expiration"])

"""Yahoo Finance through the yfinance package; the only module that imports yfinance (STYLE principle 7).

Every HTTP request yfinance makes for us (option listings, chains, history, cookie and crumb fetches) goes
through one session whose `request` first takes a token from a process-wide bucket, so however many
providers and threads run, Yahoo sees at most `requests_per_second`. Failures that are worth another try
(`YFRateLimitError`, timeouts, connection resets, HTTP 5xx) are retried with jittered exponential backoff and
then reported as `ProviderError` carrying the reason.

Outcomes are kept apart on purpose: a symbol Yahoo knows but that lists no expirations raises `NoOptions`;
an expiry that comes back with no calls and no puts for a symbol that has options is suspect (Yahoo does
that under load), so it is asked for once more and then reported in `ChainSnapshot.warnings`, never passed
off as an empty market.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pandas as pd
import yfinance as yf
from yfinance.exceptions import YFPricesMissingError, YFRateLimitError, YFTickerMissingError

from core.clock import NEW_YORK
from core.providers.base import (
    CHAIN_COLUMNS,
    OHLCV_COLUMNS,
    ChainSnapshot,
    MarketDataProvider,
    NoOptions,
    Profile,
    ProviderError,
    Quote,
    RequestUsage,
    SymbolNotFound,
    empty_chain,
    metered,
    within_window,
)
from core.providers.ratelimit import TokenBucket

log = logging.getLogger(__name__)
T = TypeVar("T")

_FLOAT_COLUMNS = (
    "strike",
    "lastPrice",
    "bid",
    "ask",
    "change",
    "percentChange",
    "volume",
    "openInterest",
    "impliedVolatility",
)
_TRANSIENT_NAMES = {
    "ConnectionError",
    "ChunkedEncodingError",
    "RemoteDisconnected",
    "ProtocolError",
    "ConnectTimeout",
    "ReadTimeout",
    "Timeout",
    "TimeoutError",
}


_SHARED_LIMITER = TokenBucket(rate=2.0)


def shared_rate_limiter() -> TokenBucket:
    """The bucket every YFinanceProvider in this process uses unless a test injects its own."""
    return _SHARED_LIMITER


class _RequestGate:
    """Makes every request of a session wait for the limiter, use our timeout, and leave its status behind.

    yfinance turns some HTTP failures into empty results (a 5xx option listing looks like "no expirations"),
    so the provider reads the last status seen on this thread to tell them apart. A 429 pauses the whole
    bucket (every thread of the process) for `pause_on_429` seconds, doubling while 429s keep coming. Requests
    are counted into the thread's meter when one is open (`YFinanceProvider.metering`). With `base_url`, every
    request for a *.yahoo.com host goes to that server instead, path and query kept (a Yahoo-compatible mirror,
    or the local server of the tests and benchmarks).
    """

    def __init__(
        self, limiter: TokenBucket, timeout: float, *, base_url: str | None = None, pause_on_429: float = 5.0
    ) -> None:
        self.limiter, self.timeout = limiter, timeout
        self.base_url = base_url.rstrip("/") if base_url else None
        self.pause_on_429, self.max_pause = pause_on_429, max(pause_on_429, 120.0)
        self._streak = 0  # 429s in a row, process-wide (the pause doubles with it)
        self._local = threading.local()

    def install(self, session: Any) -> None:
        # Re-installing replaces the wrapper instead of stacking a second one (two providers, one session).
        inner = getattr(session, "_wheelhouse_inner_request", None) or session.request

        def request(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            meter: RequestUsage | None = getattr(self._local, "meter", None)
            waited = self.limiter.acquire()
            kwargs["timeout"] = self.timeout
            started = time.monotonic()
            try:
                response = inner(method, self.route(url), *args, **kwargs)
            finally:
                if meter is not None:
                    meter.requests += 1
                    meter.wait_seconds += waited
                    meter.network_seconds += time.monotonic() - started
            status = getattr(response, "status_code", None)
            self._local.status = status
            if meter is not None:
                meter.bytes += len(getattr(response, "content", b"") or b"")
            if status == 429:
                if meter is not None:
                    meter.rate_limited += 1
                self._streak += 1
                self.limiter.pause(min(self.max_pause, self.pause_on_429 * 2.0 ** (self._streak - 1)))
            elif status is not None and status < 400:
                self._streak = 0
            return response

        session._wheelhouse_inner_request = inner
        session.request = request

    def route(self, url: str) -> str:
        if self.base_url is None:
            return url
        parts = urlsplit(url)
        if not (parts.hostname or "").endswith("yahoo.com"):
            return url
        return self.base_url + (parts.path or "/") + (f"?{parts.query}" if parts.query else "")

    def metering(self) -> AbstractContextManager[RequestUsage]:
        return metered(self._local)

    def count_retry(self) -> None:
        meter = getattr(self._local, "meter", None)
        if meter is not None:
            meter.retries += 1

    def forget(self) -> None:
        self._local.status = None

    def last_status(self) -> int | None:
        return getattr(self._local, "status", None)


class _ServerError(Exception):
    """Yahoo answered with HTTP 5xx; yfinance parsed it into an empty result."""


@dataclass(slots=True)
class _Listing:
    """One `/v7/finance/options/{symbol}` answer: the ticker that holds yfinance's date map, quote, dates."""

    ticker: Any
    quote: dict[str, Any]
    expirations: list[dt.date]
    fetched_at: float


def _default_session() -> Any:
    from curl_cffi import requests as curl_requests  # yfinance's own HTTP client (one of its dependencies)

    return curl_requests.Session(impersonate="chrome")


class YFinanceProvider(MarketDataProvider):
    """Quotes, chains and history from Yahoo Finance through yfinance, rate limited and retried.

    `requests_per_second` sets the process-wide bucket (the last provider made wins); a `rate_limiter` passed
    in replaces it for this provider (tests pass one on a fake clock). `sleep` and `rng` drive the backoff.
    `session` is any curl_cffi or requests Session (default: curl_cffi impersonating Chrome, as yfinance
    does); yfinance shares one session per process, so the last one handed to `yf.Ticker` is used by all.
    """

    name = "yfinance"
    concurrent = True  # one bucket and thread-local curl handles: safe to fetch from a pool

    def __init__(
        self,
        requests_per_second: float = 2.0,
        max_retries: int = 4,
        timeout: float = 20.0,
        session: Any = None,
        *,
        include_profile_info: bool = False,
        sleep: Callable[[float], None] = time.sleep,
        rate_limiter: TokenBucket | None = None,
        rng: random.Random | None = None,
        backoff_base: float = 1.0,
        max_backoff: float = 60.0,
        listing_ttl: float = 60.0,
        cache_dir: str | Path | None = None,
        base_url: str | None = None,
        pause_on_429: float = 5.0,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.max_retries, self.timeout = max_retries, timeout
        self.include_profile_info = include_profile_info
        self.backoff_base, self.max_backoff, self.listing_ttl = backoff_base, max_backoff, listing_ttl
        self._sleep = sleep
        self._rng = rng or random.Random()
        if rate_limiter is None:
            rate_limiter = _SHARED_LIMITER
            rate_limiter.configure(requests_per_second)
        self._limiter = rate_limiter
        self._gate = _RequestGate(rate_limiter, timeout, base_url=base_url, pause_on_429=pause_on_429)
        self._session = session if session is not None else _default_session()
        self._gate.install(self._session)
        self._listings: dict[str, _Listing] = {}
        if cache_dir is not None:
            yf.set_tz_cache_location(str(cache_dir))
        # Errors as exceptions, not empty frames: an empty history must mean "no rows", never "it failed".
        yf.config.debug.hide_exceptions = False

    # -- the interface -------------------------------------------------------------------------------------
    def universe(self) -> list[str]:
        return []

    def quote(self, symbol: str) -> Quote:
        return _quote_from(symbol, self._fetch_listing(symbol).quote)

    def profile(self, symbol: str) -> Profile:
        profile, warnings = self._profile(symbol, self._recent_listing(symbol))
        for warning in warnings:
            log.warning(warning)
        return profile

    def expirations(self, symbol: str) -> list[dt.date]:
        listing = self._fetch_listing(symbol)
        if not listing.expirations:
            raise NoOptions(f"{symbol}: Yahoo lists no option expirations")
        return list(listing.expirations)

    def chain(self, symbol: str, expiration: dt.date) -> pd.DataFrame:
        frame, warning = self._fetch_chain(self._recent_listing(symbol), symbol, expiration)
        if warning:
            log.warning(warning)
            frame.attrs["warning"] = warning
        return frame

    def metering(self) -> Any:
        return self._gate.metering()

    def snapshot(self, symbol: str, max_dte: int = 0) -> ChainSnapshot:
        """One listing request (quote, profile, dates) plus one request per expiry within `max_dte` days of the
        quote's day (every listed expiry when 0), two for a suspect empty one. Expiries beyond are not asked."""
        listing = self._fetch_listing(symbol)
        if not listing.expirations:
            raise NoOptions(f"{symbol}: Yahoo lists no option expirations")
        quote = _quote_from(symbol, listing.quote)
        profile, warnings = self._profile(symbol, listing)
        wanted = within_window(listing.expirations, quote, max_dte)
        frames = []
        for expiry in wanted:
            frame, warning = self._fetch_chain(listing, symbol, expiry)
            if warning:
                warnings.append(warning)
            if len(frame):
                frames.append(frame.assign(expiration=expiry))
        if not frames and wanted:
            raise ProviderError(
                f"{symbol}: all {len(wanted)} requested expiries came back with no "
                "calls and no puts (Yahoo under load?)"
            )
        chain = pd.concat(frames, ignore_index=True) if frames else empty_chain()
        return ChainSnapshot(
            quote=quote, profile=profile, expirations=wanted, chain=chain, warnings=warnings, max_dte=max(0, max_dte)
        )

    def history(self, symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        def fetch() -> pd.DataFrame | None:
            ticker = yf.Ticker(symbol, session=self._session)
            try:
                # yfinance's end is exclusive; ours is inclusive.
                return ticker.history(
                    start=start,
                    end=end + dt.timedelta(days=1),
                    interval="1d",
                    auto_adjust=False,
                    actions=False,
                    timeout=self.timeout,
                )
            except YFPricesMissingError:
                return None
            except YFTickerMissingError as exc:
                raise SymbolNotFound(f"{symbol}: {exc}") from exc

        return _ohlcv_frame(self._call(symbol, "history", fetch), start, end)

    # -- requests ------------------------------------------------------------------------------------------
    def _call(self, symbol: str, what: str, fn: Callable[[], T]) -> T:
        """Run `fn`, retrying transient failures with jittered exponential backoff; ProviderError at the end."""
        for attempt in range(self.max_retries + 1):
            self._gate.forget()
            try:
                return fn()
            except (ProviderError, NoOptions):
                raise
            except Exception as exc:
                reason = self._retry_reason(exc)
                if reason is None:
                    raise ProviderError(f"{symbol}: {what} failed: {type(exc).__name__}: {exc}") from exc
                if attempt == self.max_retries:
                    raise ProviderError(f"{symbol}: {what} failed after {attempt + 1} attempts: {reason}") from exc
                self._gate.count_retry()
                delay = self._backoff(attempt, rate_limited=isinstance(exc, YFRateLimitError))
                log.warning(
                    "%s: %s: %s; retry %d/%d in %.1fs", symbol, what, reason, attempt + 1, self.max_retries, delay
                )
                self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _retry_reason(self, exc: Exception) -> str | None:
        """Why `exc` is worth another try, or None when it is not."""
        name = type(exc).__name__
        if isinstance(exc, YFRateLimitError):
            return "rate limited by Yahoo (HTTP 429)"
        if isinstance(exc, _ServerError):
            return str(exc)
        if isinstance(exc, TimeoutError) or "Timeout" in name:
            return f"timeout ({name}: {exc})"
        status = self._gate.last_status()
        if status is not None and status >= 500:
            return f"HTTP {status} from Yahoo ({name})"
        response = getattr(exc, "response", None)
        if name == "HTTPError" and response is not None:
            code = getattr(response, "status_code", 0) or 0
            return f"HTTP {code} from Yahoo" if code >= 500 else None
        if isinstance(exc, OSError) or name in _TRANSIENT_NAMES:
            return f"network error ({name}: {exc})"
        return None

    def _backoff(self, attempt: int, *, rate_limited: bool) -> float:
        base = self.backoff_base * (2.0 if rate_limited else 1.0)
        ceiling = min(self.max_backoff, base * 2.0**attempt)
        return ceiling * (0.5 + 0.5 * self._rng.random())

    def _fetch_listing(self, symbol: str) -> _Listing:
        def fetch() -> tuple[Any, tuple[str, ...], dict[str, Any], int | None]:
            ticker = yf.Ticker(symbol, session=self._session)
            dates = ticker.options  # one request: the dates, the quote block and the nearest chain
            # yfinance keeps the response's quote block here (it is `option_chain().underlying` too).
            quote = dict(getattr(ticker, "_underlying", None) or {})
            status = self._gate.last_status()
            if not quote and status is not None and status >= 500:
                raise _ServerError(f"HTTP {status} from Yahoo")
            return ticker, dates, quote, status

        ticker, dates, quote, status = self._call(symbol, "option listing", fetch)
        if not quote and not dates:
            if status in (None, 200, 404):
                raise SymbolNotFound(f"{symbol}: Yahoo returned no result for this symbol")
            raise ProviderError(f"{symbol}: option listing failed: HTTP {status} from Yahoo")
        now = time.monotonic()
        listing = _Listing(ticker, quote, sorted(dt.date.fromisoformat(d) for d in dates), now)
        self._listings = {s: v for s, v in self._listings.items() if now - v.fetched_at < self.listing_ttl}
        self._listings[symbol] = listing
        return listing

    def _recent_listing(self, symbol: str) -> _Listing:
        listing = self._listings.get(symbol)
        if listing is not None and time.monotonic() - listing.fetched_at < self.listing_ttl:
            return listing
        return self._fetch_listing(symbol)

    def _fetch_chain(self, listing: _Listing, symbol: str, expiry: dt.date) -> tuple[pd.DataFrame, str | None]:
        if expiry not in listing.expirations:
            raise ProviderError(f"{symbol}: {expiry.isoformat()} is not a listed expiry")
        key = expiry.isoformat()
        frame = _chain_frame(None, None)
        for again in range(2):  # an empty expiry of an optionable symbol is suspect: ask once more
            if again:
                self._gate.count_retry()
            result = self._call(symbol, f"chain {key}", lambda: listing.ticker.option_chain(key))
            frame = _chain_frame(result.calls, result.puts)
            if len(frame):
                return frame, None
        return frame, (
            f"{symbol} {key}: Yahoo returned no calls and no puts for a listed expiry, twice "
            "(suspect; nothing stored for it)"
        )

    def _profile(self, symbol: str, listing: _Listing) -> tuple[Profile, list[str]]:
        q = listing.quote
        fields: dict[str, Any] = {
            "name": q.get("longName") or q.get("shortName") or q.get("displayName"),
            "exchange": q.get("fullExchangeName") or q.get("exchange"),
            "market_cap": _integer(q.get("marketCap")),
            "avg_volume": _integer(q.get("averageDailyVolume3Month")),
            "dividend_yield": _dividend_yield(q),
            "next_earnings": _next_earnings(q),
            "ex_dividend": _day(q.get("exDividendDate")),
            "sector": None,
            "industry": None,
        }
        warnings: list[str] = []
        if self.include_profile_info:
            try:
                info = self._call(symbol, "profile info", lambda: dict(listing.ticker.info or {}))
            except ProviderError as exc:
                warnings.append(f"{symbol}: sector/industry unavailable: {exc}")
            else:
                fields["sector"], fields["industry"] = info.get("sector"), info.get("industry")
                fields["name"] = fields["name"] or info.get("longName") or info.get("shortName")
                fields["market_cap"] = fields["market_cap"] or _integer(info.get("marketCap"))
                fields["avg_volume"] = fields["avg_volume"] or _integer(info.get("averageVolume"))
                fields["ex_dividend"] = fields["ex_dividend"] or _day(info.get("exDividendDate"))
        return Profile(symbol=symbol, **fields), warnings


# -- mapping Yahoo's shapes to ours ----------------------------------------------------------------------------
def _number(value: Any) -> float | None:
    if isinstance(value, dict):  # formatted responses wrap numbers as {"raw": ..., "fmt": ...}
        value = value.get("raw")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _integer(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None else None


def _utc(seconds: Any) -> dt.datetime | None:
    number = _number(seconds)
    return dt.datetime.fromtimestamp(number, tz=dt.UTC) if number is not None else None


def _day(seconds: Any) -> dt.date | None:
    """A date Yahoo sends as epoch seconds at midnight UTC (exDividendDate): its UTC calendar day."""
    moment = _utc(seconds)
    return moment.date() if moment is not None else None


def _quote_from(symbol: str, q: dict[str, Any]) -> Quote:
    price, quote_time = _number(q.get("regularMarketPrice")), _utc(q.get("regularMarketTime"))
    if price is None or quote_time is None:
        raise ProviderError(f"{symbol}: Yahoo's quote has no regularMarketPrice/regularMarketTime")
    return Quote(
        symbol=symbol,
        price=price,
        quote_time=quote_time,
        currency=q.get("currency") or "USD",
        previous_close=_number(q.get("regularMarketPreviousClose")),
    )


def _dividend_yield(q: dict[str, Any]) -> float | None:
    """A fraction. The quote's `dividendYield` is in percent (0.41 = 0.41 %); the trailing one is a fraction."""
    percent = _number(q.get("dividendYield"))
    return percent / 100.0 if percent is not None else _number(q.get("trailingAnnualDividendYield"))


def _next_earnings(q: dict[str, Any]) -> dt.date | None:
    """The first earnings date on or after the quote's day, in the exchange's time zone."""
    try:
        zone = ZoneInfo(q.get("exchangeTimezoneName") or "America/New_York")
    except (KeyError, ValueError):
        zone = NEW_YORK
    as_of = _utc(q.get("regularMarketTime"))
    today = as_of.astimezone(zone).date() if as_of else None
    days = sorted(
        moment.astimezone(zone).date()
        for key in ("earningsTimestamp", "earningsTimestampStart", "earningsTimestampEnd")
        if (moment := _utc(q.get(key))) is not None
    )
    upcoming = [day for day in days if today is None or day >= today]
    return upcoming[0] if upcoming else None


def _chain_frame(calls: pd.DataFrame | None, puts: pd.DataFrame | None) -> pd.DataFrame:
    """Calls and puts in one frame, CHAIN_COLUMNS always present (yfinance drops keys Yahoo omits)."""
    parts = [
        frame.assign(option_type=kind)
        for frame, kind in ((calls, "call"), (puts, "put"))
        if frame is not None and len(frame)
    ]
    if not parts:
        return empty_chain().drop(columns="expiration")
    frame = pd.concat(parts, ignore_index=True).reindex(columns=[*CHAIN_COLUMNS, "option_type"])
    for column in _FLOAT_COLUMNS:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame["lastTradeDate"] = pd.to_datetime(frame["lastTradeDate"], utc=True, errors="coerce")
    frame["inTheMoney"] = frame["inTheMoney"].astype("boolean")
    return frame


def _ohlcv_frame(raw: pd.DataFrame | None, start: dt.date, end: dt.date) -> pd.DataFrame:
    """yfinance's history mapped to lower-case OHLCV on a date index (exchange-local dates)."""
    if raw is None or raw.empty:
        return pd.DataFrame(columns=list(OHLCV_COLUMNS), index=pd.DatetimeIndex([], name="date"), dtype="float64")
    frame = raw.rename(columns=str.lower).reindex(columns=list(OHLCV_COLUMNS)).astype("float64")
    index = pd.DatetimeIndex(raw.index)
    if index.tz is not None:
        index = index.tz_localize(None)
    frame.index = pd.DatetimeIndex(index.normalize(), name="date")
    frame = frame.sort_index()
    return frame.loc[pd.Timestamp(start) : pd.Timestamp(end)]

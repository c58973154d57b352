"""Option chains through a user's broker account, by way of its OpenAlgo host (the official `openalgo` client).

Four OpenAlgo endpoints serve the whole provider interface (docs/providers.md, "OpenAlgo provider"):
- `quotes` (symbol, the underlying's exchange): the spot price and previous close; a symbol OpenAlgo's master
  contract does not know comes back as HTTP 400 "Symbol '...' not found ...", which is `SymbolNotFound`.
- `expiry` (symbol, the options exchange, "options"): the listed expiries as `DD-MMM-YY`, ascending; an empty list
  (OpenAlgo's answer for a symbol without options) is `NoOptions`.
- `optionchain` (underlying, exchange, `DDMMMYY`): every strike's call and put with bid, ask, last price, volume,
  open interest and the contract's lot size. Its reply is not wrapped in `data`: the chain sits at the top level.
- `history` (interval "D"): daily OHLCV, timestamps in epoch seconds of the candle's IST midnight.

Each lot size travels in the chain's `contractSize` column, so premium and capital are per lot (a NIFTY lot of 75,
a stock lot of 50), never per 100 shares. Exchanges: NSE stock options trade on NFO with the underlying quoted on
NSE; the NSE indices (NIFTY, BANKNIFTY, ...) are quoted on NSE_INDEX and the BSE ones (SENSEX, BANKEX) on
BSE_INDEX with options on BFO. `exchange` sets the exchange of every other symbol (NSE by default).

Every request waits for one token bucket per OpenAlgo host (OpenAlgo itself allows 10 requests a second per
endpoint by default, and each `optionchain` fans out to the broker's quote API), is retried with jittered backoff on
timeouts, refused connections, 5xx and 429 (which also pauses the bucket), and is counted into the thread's meter.
The API key lives in the client only: no message, log line or repr carries it.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import numpy as np
import pandas as pd

from core.accounts.errors import BrokerError
from core.accounts.openalgo_client import OpenAlgoClient, raise_for_reply
from core.providers.base import (
    CHAIN_COLUMNS,
    OHLCV_COLUMNS,
    MarketDataProvider,
    NoOptions,
    Profile,
    ProviderError,
    Quote,
    RequestUsage,
    SymbolNotFound,
    empty_chain,
    metered,
)
from core.providers.ratelimit import TokenBucket

log = logging.getLogger(__name__)

INDIA = "Asia/Kolkata"
NSE_INDICES = frozenset({"NIFTY", "BANKNIFTY", "FINNIFTY", "MIDCPNIFTY", "NIFTYNXT50"})
BSE_INDICES = frozenset({"SENSEX", "BANKEX", "SENSEX50"})
OPTIONS_EXCHANGE = {"NSE": "NFO", "NSE_INDEX": "NFO", "BSE": "BFO", "BSE_INDEX": "BFO"}
_CURRENCY = {"NFO": "INR", "BFO": "INR"}
_FLOAT_COLUMNS = ("strike", "lastPrice", "bid", "ask", "change", "percentChange", "volume", "openInterest")

_BUCKETS: dict[str, TokenBucket] = {}
_BUCKETS_LOCK = threading.Lock()


def host_rate_limiter(host: str, rate: float) -> TokenBucket:
    """The bucket every OpenAlgoProvider of this process shares for `host` (set to `rate`: the last one wins)."""
    with _BUCKETS_LOCK:
        bucket = _BUCKETS.get(host)
        if bucket is None:
            bucket = _BUCKETS[host] = TokenBucket(rate=rate)
        else:
            bucket.configure(rate)
        return bucket


def exchanges_of(symbol: str, default: str = "NSE") -> tuple[str, str]:
    """(the underlying's quote exchange, the options exchange) OpenAlgo wants for `symbol`."""
    name = symbol.upper()
    underlying = "NSE_INDEX" if name in NSE_INDICES else "BSE_INDEX" if name in BSE_INDICES else default.upper()
    return underlying, OPTIONS_EXCHANGE.get(underlying, underlying)


class OpenAlgoProvider(MarketDataProvider):
    """Quotes, expiries, chains (with lot sizes) and daily history from one OpenAlgo host with one API key.

    `rate_limiter` replaces the host's shared bucket (tests pass their own); `sleep` and `rng` drive the backoff.
    """

    name = "openalgo"
    concurrent = True  # the client opens a fresh HTTP request per call; the bucket is thread-safe

    def __init__(
        self,
        host: str,
        api_key: str,
        *,
        exchange: str = "NSE",
        timeout: float = 20.0,
        requests_per_second: float = 2.0,
        max_retries: int = 3,
        pause_on_429: float = 5.0,
        rate_limiter: TokenBucket | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        backoff_base: float = 1.0,
        account: str | None = None,
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.host = host.rstrip("/")
        self.exchange = exchange.upper()
        self.timeout, self.max_retries, self.pause_on_429 = timeout, max_retries, pause_on_429
        self.account = account  # the account's name, for messages
        self._key = api_key
        self._client = OpenAlgoClient(api_key=api_key, host=self.host, timeout=timeout)
        self._limiter = rate_limiter or host_rate_limiter(self.host, requests_per_second)
        self._sleep, self._rng, self.backoff_base = sleep, rng or random.Random(), backoff_base
        self._local = threading.local()

    def __repr__(self) -> str:  # never the key
        return f"OpenAlgoProvider({self.host!r}, account={self.account!r})"

    # -- the interface -------------------------------------------------------------------------------------
    def universe(self) -> list[str]:
        return []

    def quote(self, symbol: str) -> Quote:
        underlying, options = exchanges_of(symbol, self.exchange)
        data = self._request(symbol, "quotes", self._client.quotes, symbol=symbol.upper(), exchange=underlying)
        data = data.get("data") if isinstance(data.get("data"), dict) else {}
        price = _number(data.get("ltp"))
        if price is None or price <= 0:
            raise ProviderError(f"{symbol}: OpenAlgo's quote has no last price")
        return Quote(
            symbol=symbol.upper(),
            price=price,
            quote_time=dt.datetime.now(dt.UTC),  # OpenAlgo's quote carries no time: it is the live price
            currency=_CURRENCY.get(options, "INR"),
            previous_close=_number(data.get("prev_close")),
        )

    def profile(self, symbol: str) -> Profile:
        return Profile(symbol=symbol.upper(), exchange=exchanges_of(symbol, self.exchange)[0])

    def expirations(self, symbol: str) -> list[dt.date]:
        _, options = exchanges_of(symbol, self.exchange)
        reply = self._request(
            symbol, "expiry", self._client.expiry, symbol=symbol.upper(), exchange=options, instrumenttype="options"
        )
        listed = reply.get("data") or []
        if not isinstance(listed, list):
            raise ProviderError(f"{symbol}: OpenAlgo's expiry reply is not a list")
        days = sorted({day for text in listed if (day := _expiry_day(text)) is not None})
        if not days:
            raise NoOptions(f"{symbol}: OpenAlgo lists no option expiries on {options}")
        return days

    def chain(self, symbol: str, expiration: dt.date) -> pd.DataFrame:
        underlying, options = exchanges_of(symbol, self.exchange)
        reply = self._request(
            symbol,
            f"optionchain {expiration.isoformat()}",
            self._client.optionchain,
            underlying=symbol.upper(),
            exchange=underlying,
            expiry_date=expiration.strftime("%d%b%y").upper(),
        )
        return chain_frame(reply.get("chain"), currency=_CURRENCY.get(options, "INR"))

    def history(self, symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        underlying, _ = exchanges_of(symbol, self.exchange)
        reply = self._request(
            symbol,
            "history",
            self._client.history,
            symbol=symbol.upper(),
            exchange=underlying,
            interval="D",
            start_date=start.isoformat(),
            end_date=end.isoformat(),
        )
        return ohlcv_frame(reply.get("frame"), start, end)

    def metering(self) -> AbstractContextManager[RequestUsage]:
        return metered(self._local)

    # -- requests ------------------------------------------------------------------------------------------
    def _request(self, symbol: str, what: str, method: Callable[..., Any], /, **payload: Any) -> dict[str, Any]:
        """One endpoint's success reply (a DataFrame from `history` comes back as {"frame": ...}); retried on
        timeouts, refused connections, 5xx and 429; `SymbolNotFound` / `ProviderError` otherwise."""
        meter: RequestUsage = getattr(self._local, "meter", None) or RequestUsage()
        endpoint = what.split()[0]
        for attempt in range(self.max_retries + 1):
            meter.wait_seconds += self._limiter.acquire()
            started = time.monotonic()
            try:
                reply = method(**payload)
            finally:
                meter.requests += 1
                meter.network_seconds += time.monotonic() - started
            if isinstance(reply, pd.DataFrame):  # the client's history() parses a success into a frame
                meter.bytes += int(reply.memory_usage(index=True).sum())
                return {"status": "success", "frame": reply}
            meter.bytes += len(json.dumps(reply, default=str)) if isinstance(reply, dict) else 0
            if isinstance(reply, dict) and reply.get("status") == "success":
                return reply
            if isinstance(reply, dict) and reply.get("error_type") == "no_data":  # history: no candles
                return {"status": "success", "frame": None}
            reason = self._transient(reply)
            if reason is None:
                raise self._failure(symbol, what, endpoint, reply)
            if attempt == self.max_retries:
                last = self._message(endpoint, reply)
                raise ProviderError(f"{symbol}: {what} failed after {attempt + 1} attempts: {last}")
            if reason.startswith("rate limited"):
                meter.rate_limited += 1
                self._limiter.pause(self.pause_on_429 * 2.0**attempt)
            meter.retries += 1
            delay = self.backoff_base * 2.0**attempt * (0.5 + 0.5 * self._rng.random())
            log.warning("%s: %s: %s; retry %d/%d in %.1fs", symbol, what, reason, attempt + 1, self.max_retries, delay)
            self._sleep(delay)
        raise AssertionError("unreachable")  # pragma: no cover

    def _transient(self, reply: Any) -> str | None:
        """Why a failed reply is worth another try (timeout, no connection, 5xx, 429), or None."""
        if not isinstance(reply, dict):
            return None
        kind, code = reply.get("error_type"), reply.get("code")
        if code == 429:
            return "rate limited by OpenAlgo (HTTP 429)"
        if kind == "timeout_error":
            return f"no answer within {self.timeout:g} s"
        if kind == "connection_error" or (kind == "http_error" and code is None):
            return f"cannot reach OpenAlgo at {self.host}"
        if isinstance(code, int) and code >= 500:
            return f"HTTP {code} from OpenAlgo"
        return None

    def _message(self, endpoint: str, reply: Any) -> str:
        """What a failed reply says (the client's error dictionary, read by `raise_for_reply`: the host, the
        endpoint and OpenAlgo's own reason), with the key masked should a server ever echo it."""
        try:
            raise_for_reply(reply, host=self.host, endpoint=endpoint, timeout=self.timeout)
            message = f"OpenAlgo at {self.host}: {endpoint} reply is not a success"  # pragma: no cover
        except BrokerError as exc:
            message = str(exc)
        return message.replace(self._key, "****") if self._key else message

    def _failure(self, symbol: str, what: str, endpoint: str, reply: Any) -> ProviderError:
        """The error a failed, non-transient reply stands for: `SymbolNotFound` when OpenAlgo's master contract
        does not know the symbol, else `ProviderError`."""
        message = self._message(endpoint, reply)
        code = reply.get("code") if isinstance(reply, dict) else None
        if endpoint in ("quotes", "history") and code in (400, 404) and "not found" in message.lower():
            return SymbolNotFound(f"{symbol}: {message}")
        return ProviderError(f"{symbol}: {what}: {message}")


# -- mapping OpenAlgo's shapes to ours -------------------------------------------------------------------------
def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


def _expiry_day(text: Any) -> dt.date | None:
    """'10-JUL-25' (OpenAlgo's expiry list; '10-JUL-2025' too) as a date, None when unreadable."""
    for pattern in ("%d-%b-%y", "%d-%b-%Y"):
        try:
            return dt.datetime.strptime(str(text).strip(), pattern).date()
        except ValueError:
            continue
    log.warning("unreadable expiry date from OpenAlgo: %r", text)
    return None


def chain_frame(strikes: Any, *, currency: str = "INR") -> pd.DataFrame:
    """OpenAlgo's `chain` (one entry per strike with `ce` and `pe` legs, either may be null) in CHAIN_COLUMNS +
    option_type; `contractSize` is the leg's lot size. A vendor IV (percent; sent only `with_greeks`) becomes a
    fraction."""
    rows = []
    for entry in strikes if isinstance(strikes, list) else []:
        if not isinstance(entry, dict):
            continue
        for leg_name, option_type in (("ce", "call"), ("pe", "put")):
            leg = entry.get(leg_name)
            if not isinstance(leg, dict):
                continue
            last, previous = _number(leg.get("ltp")), _number(leg.get("prev_close"))
            change = last - previous if last is not None and previous is not None else None
            iv = _number(leg.get("implied_volatility"))
            rows.append(
                {
                    "contractSymbol": leg.get("symbol"),
                    "lastTradeDate": pd.NaT,
                    "strike": _number(entry.get("strike")),
                    "lastPrice": last,
                    "bid": _number(leg.get("bid")),
                    "ask": _number(leg.get("ask")),
                    "change": change,
                    "percentChange": change / previous * 100.0 if change is not None and previous else None,
                    "volume": _number(leg.get("volume")),
                    "openInterest": _number(leg.get("oi")),
                    "impliedVolatility": iv / 100.0 if iv else None,
                    "inTheMoney": str(leg.get("label") or "").upper().startswith("ITM"),
                    "contractSize": _number(leg.get("lotsize")),
                    "currency": currency,
                    "option_type": option_type,
                }
            )
    if not rows:
        return empty_chain().drop(columns="expiration")
    frame = pd.DataFrame(rows, columns=[*CHAIN_COLUMNS, "option_type"])
    for column in (*_FLOAT_COLUMNS, "impliedVolatility", "contractSize"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame["lastTradeDate"] = pd.to_datetime(frame["lastTradeDate"], utc=True)
    return frame


def ohlcv_frame(raw: pd.DataFrame | None, start: dt.date, end: dt.date) -> pd.DataFrame:
    """The client's history frame (index: naive UTC from epoch seconds) on IST trading dates, OHLCV_COLUMNS."""
    if raw is None or raw.empty:
        return pd.DataFrame(columns=list(OHLCV_COLUMNS), index=pd.DatetimeIndex([], name="date"), dtype="float64")
    frame = raw.reindex(columns=list(OHLCV_COLUMNS)).astype("float64")
    index = pd.DatetimeIndex(raw.index)
    # A daily candle is stamped at its IST midnight, which is the previous evening in UTC: read it in India.
    index = index.tz_localize("UTC") if index.tz is None else index
    frame.index = pd.DatetimeIndex(index.tz_convert(INDIA).tz_localize(None).normalize(), name="date")
    frame = frame[~frame.index.duplicated(keep="last")].sort_index()
    return frame.loc[pd.Timestamp(start) : pd.Timestamp(end)]

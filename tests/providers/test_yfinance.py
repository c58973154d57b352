"""The yfinance provider end to end through yfinance's own request and parsing code, never the network.

The recorded Yahoo bodies in `shared_data/yahoo_v7_raw` are served by `FakeYahoo`, a curl_cffi Session whose
`request` answers from memory. A local http.server was considered and rejected: yfinance fetches its cookie
and crumb from fixed https hosts (fc.yahoo.com, query1.../getcrumb, guce.yahoo.com) and copies its base URL
into several modules at import time, so redirecting it would need TLS interception. The fake session sits
below all of that: yfinance builds URLs, handles crumbs, raises YFRateLimitError and parses JSON exactly as
it does against Yahoo.
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import random
import re
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
from curl_cffi.requests import Response, Session
from curl_cffi.requests.exceptions import Timeout

from core.providers.base import CHAIN_COLUMNS, NoOptions, ProviderError, SymbolNotFound
from core.providers.ratelimit import SEND_MARGIN
from core.providers.yfinance_provider import TokenBucket, YFinanceProvider, shared_rate_limiter

PLACEHOLDER_IV = 1.0000000000000003e-05
LISTINGS = {  # symbol -> the recorded listing served for it; AAPL's matches the _EMPTY_ file's session
    "AAPL": "AAPL_2022-02-24T1019Z.json",
    "AMZN": "AMZN_2022-02-24T1019Z.json",
    "QQQ": "QQQ_2022-02-24T1019Z.json",
    "ADH": "ADH_NO-OPTIONS_2022-02-24T1019Z.json",
}
EMPTY_FILE = "AAPL_date-2022-03-01_EMPTY_2022-02-24T1019Z.json"


class FakeClock:
    """Monotonic time that only moves when someone sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class FakeYahoo(Session):
    """Answers yfinance's HTTP requests from recorded bodies; never opens a connection.

    `failures` is consumed one item per options request: an int is an HTTP status (429, 503), bytes a body
    served with 200, an exception instance is raised as the transport would.
    """

    def __init__(self, raw_dir: Path, clock: FakeClock | None = None) -> None:
        super().__init__()
        self.raw_dir, self.clock = raw_dir, clock
        self.listings = {symbol: self.load(name) for symbol, name in LISTINGS.items()}
        self.empty = self.load(EMPTY_FILE)
        self.failures: list[object] = []
        self.every_date_empty = False
        self.extra: dict[str, dict] = {}  # URL path -> JSON body, for endpoints a test adds
        self.log: list[tuple[float, str]] = []

    def load(self, name: str) -> dict:
        return json.loads((self.raw_dir / name).read_text())

    def serve(self, symbol: str, name: str) -> None:
        self.listings[symbol] = self.load(name)

    def options_requests(self, symbol: str | None = None) -> list[str]:
        return [
            url
            for _, url in self.log
            if "/v7/finance/options/" in url and (symbol is None or urlsplit(url).path.endswith("/" + symbol))
        ]

    def request(self, method, url, params=None, **kwargs):
        self.log.append((self.clock.now if self.clock else 0.0, url))
        parts = urlsplit(url)
        if parts.hostname == "fc.yahoo.com":  # the cookie yfinance caches, as Yahoo would set it
            self.cookies.jar.set_cookie(
                http.cookiejar.Cookie(
                    0,
                    "A3",
                    "fake",
                    None,
                    False,
                    ".yahoo.com",
                    True,
                    True,
                    "/",
                    True,
                    True,
                    int(time.time()) + 86400,
                    False,
                    None,
                    None,
                    {},
                )
            )
            return self.respond(url, 200, b"")
        if parts.path.endswith("/v1/test/getcrumb"):
            return self.respond(url, 200, b"fake-crumb")
        if "consent" in (parts.hostname or ""):
            return self.respond(url, 200, b"<html><body>no consent form here</body></html>")
        match = re.fullmatch(r"/v7/finance/options/([^/]+)", parts.path)
        if match:
            if self.failures:
                failure = self.failures.pop(0)
                if isinstance(failure, BaseException):
                    raise failure
                if isinstance(failure, bytes):
                    return self.respond(url, 200, failure)
                return self.respond(
                    url, failure, b"Edge: Too Many Requests" if failure == 429 else b"<html>Will be right back</html>"
                )
            date = parse_qs(parts.query).get("date")
            return self.respond(url, 200, json.dumps(self.options_body(match[1], date)).encode())
        if parts.path in self.extra:
            return self.respond(url, 200, json.dumps(self.extra[parts.path]).encode())
        chart = re.fullmatch(r"/v8/finance/chart/([^/]+)", parts.path)
        if chart and "chart" in self.extra:
            return self.respond(url, 200, json.dumps(self.extra["chart"](params or {})).encode())
        return self.respond(url, 404, b'{"finance":{"result":null,"error":{"code":"Not Found"}}}')

    def options_body(self, symbol: str, date: list[str] | None) -> dict:
        listing = self.listings.get(symbol)
        if listing is None:  # what Yahoo says about a symbol it does not know
            return {"optionChain": {"result": [], "error": None}}
        if date is None:
            return listing
        recorded = listing["optionChain"]["result"][0]["options"]
        if recorded and int(date[0]) == recorded[0]["expirationDate"] and not self.every_date_empty:
            return listing
        # A date the recording has no chain for: the _EMPTY_ file's answer, for the requested date.
        body = json.loads(json.dumps(self.empty))
        result = body["optionChain"]["result"][0]
        if symbol != result["underlyingSymbol"]:
            own = listing["optionChain"]["result"][0]
            result.update(underlyingSymbol=symbol, quote=own["quote"], expirationDates=own["expirationDates"])
        result["options"][0]["expirationDate"] = int(date[0])
        return body

    @staticmethod
    def respond(url: str, status: int, content: bytes) -> Response:
        response = Response()
        response.url, response.status_code, response.content = url, status, content
        response.ok = status < 400
        return response


@pytest.fixture(scope="module")
def yf_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("yfinance-cache")


@pytest.fixture()
def fake(shared_data) -> FakeYahoo:
    return FakeYahoo(shared_data / "yahoo_v7_raw", FakeClock())


@pytest.fixture()
def backoffs() -> list[float]:
    return []


@pytest.fixture()
def provider(fake, backoffs, yf_cache) -> YFinanceProvider:
    return make_provider(fake, backoffs, yf_cache)


def make_provider(fake: FakeYahoo, backoffs: list[float], cache: Path, **kwargs) -> YFinanceProvider:
    limiter = TokenBucket(2.0, clock=fake.clock.monotonic, sleep=fake.clock.sleep)
    kwargs.setdefault("max_retries", 3)
    return YFinanceProvider(
        session=fake, rate_limiter=limiter, sleep=backoffs.append, rng=random.Random(7), cache_dir=cache, **kwargs
    )


def recorded(raw_dir: Path, name: str) -> tuple[dt.date, list[dict]]:
    """The recorded file's first expiry and its contracts (calls then puts)."""
    option = json.loads((raw_dir / name).read_text())["optionChain"]["result"][0]["options"][0]
    expiry = dt.datetime.fromtimestamp(option["expirationDate"], dt.UTC).date()
    return expiry, option["calls"] + option["puts"]


NORMAL_FILES = sorted(
    name
    for name in (
        "AAPL_2022-02-16T0916Z.json",
        "AAPL_2022-02-24T1019Z.json",
        "AAPL_2025-02-24T0924Z.json",
        "ABBV_2022-02-16T0916Z.json",
        "AMZN_2022-02-16T0916Z.json",
        "AMZN_2022-02-24T1019Z.json",
        "BABA_2022-02-16T0916Z.json",
        "GOOG_2022-02-16T0916Z.json",
        "QQQ_2022-02-16T0916Z.json",
        "QQQ_2022-02-24T1019Z.json",
        "SPOT_2022-02-16T0916Z.json",
    )
)


@pytest.mark.parametrize("name", NORMAL_FILES)
def test_chain_matches_the_recorded_json(name, fake, provider, shared_data):
    symbol = name.split("_")[0]
    fake.serve(symbol, name)
    expiry, contracts = recorded(shared_data / "yahoo_v7_raw", name)

    frame = provider.chain(symbol, expiry)

    assert len(frame) == len(contracts)
    assert list(frame.columns) == [*CHAIN_COLUMNS, "option_type"]
    assert list(frame["contractSymbol"]) == [c["contractSymbol"] for c in contracts]
    assert (frame["option_type"] == "put").sum() == sum("P" in c["contractSymbol"][-9:] for c in contracts)
    assert str(frame["lastTradeDate"].dt.tz) == "UTC"
    # Keys Yahoo left out become NaN, one for one (volume, openInterest, bid, ask, currency, percentChange).
    for key in ("volume", "openInterest", "bid", "ask", "currency", "percentChange"):
        assert frame[key].isna().sum() == sum(c.get(key) is None for c in contracts), key
    # Yahoo's placeholder IV is passed through untouched; the pipeline recognises and re-solves it.
    assert (frame["impliedVolatility"] == PLACEHOLDER_IV).sum() == sum(
        c["impliedVolatility"] == PLACEHOLDER_IV for c in contracts
    )
    assert len(fake.options_requests()) == 2  # the listing, then the expiry


def test_missing_keys_are_nan_not_zero(fake, provider, shared_data):
    fake.serve("AMZN", "AMZN_2022-02-16T0916Z.json")
    expiry, contracts = recorded(shared_data / "yahoo_v7_raw", "AMZN_2022-02-16T0916Z.json")
    frame = provider.chain("AMZN", expiry).set_index("contractSymbol")
    no_oi = [c["contractSymbol"] for c in contracts if "openInterest" not in c]
    assert len(no_oi) == 2
    assert frame.loc[no_oi, "openInterest"].isna().all()
    assert frame["volume"].dtype == "float64" and frame["bid"].dtype == "float64"


def test_snapshot_costs_one_listing_plus_one_request_per_expiry_and_flags_empty_expiries(fake, provider):
    snap = provider.snapshot("AAPL")

    assert snap.quote.price == 160.07 and snap.quote.previous_close == 164.32
    assert snap.quote.quote_time == dt.datetime(2022, 2, 23, 21, 0, 2, tzinfo=dt.UTC)
    assert snap.profile.name == "Apple Inc." and snap.profile.exchange == "NasdaqGS"
    assert snap.profile.dividend_yield == pytest.approx(0.005264119)
    assert snap.profile.next_earnings == dt.date(2022, 4, 26)  # the past one (Jan 27) is skipped
    assert snap.profile.sector is None  # no info() call unless asked for
    assert len(snap.expirations) == 19
    assert len(snap.chain) == 84 and set(snap.chain["expiration"]) == {dt.date(2022, 2, 25)}
    # The recording has one expiry's chain; the other 18 come back empty, are asked twice, then flagged.
    assert len(snap.warnings) == 18
    assert all("no calls and no puts" in w for w in snap.warnings)
    assert "2022-03-04" in snap.warnings[0]
    assert len(fake.options_requests()) == 1 + 19 + 18


def test_empty_expiry_is_retried_once_then_reported(fake, provider):
    frame = provider.chain("AAPL", dt.date(2022, 3, 4))
    assert frame.empty and list(frame.columns) == [*CHAIN_COLUMNS, "option_type"]
    assert "suspect" in frame.attrs["warning"]
    assert sum("date=" in url for url in fake.options_requests()) == 2
    with pytest.raises(ProviderError, match="not a listed expiry"):
        provider.chain("AAPL", dt.date(2022, 3, 1))


def test_every_expiry_empty_is_a_failure_not_an_empty_market(fake, provider):
    fake.every_date_empty = True
    with pytest.raises(ProviderError, match="all 19 requested expiries"):
        provider.snapshot("AAPL")


def test_a_symbol_without_options_raises_no_options(fake, provider):
    with pytest.raises(NoOptions):
        provider.expirations("ADH")
    with pytest.raises(NoOptions):
        provider.snapshot("ADH")
    assert not issubclass(NoOptions, ProviderError)  # an outcome, not a failure
    assert len(fake.options_requests("ADH")) == 2


def test_unknown_symbol_is_not_found(provider):
    with pytest.raises(SymbolNotFound):
        provider.expirations("NOPE")


def test_a_429_is_retried_after_a_backoff_sleep(fake, provider, backoffs):
    # yfinance retries a 429 once itself (switching cookie strategy), then raises YFRateLimitError.
    fake.failures = [429, 429]
    assert len(provider.expirations("QQQ")) == 28
    assert len(backoffs) == 1
    assert 1.0 <= backoffs[0] <= 2.0  # rate-limit base 2 s, jittered into [50 %, 100 %]
    assert len(fake.options_requests()) == 3


def test_persistent_rate_limiting_becomes_provider_error_with_the_reason(fake, provider, backoffs):
    fake.failures = [429] * 50
    with pytest.raises(ProviderError, match=r"after 4 attempts: rate limited by Yahoo \(HTTP 429\)"):
        provider.quote("AAPL")
    assert len(backoffs) == 3
    for attempt, delay in enumerate(backoffs):  # exponential, jittered
        assert 2.0 * 2**attempt * 0.5 <= delay <= 2.0 * 2**attempt


def test_timeouts_and_connection_resets_are_retried(fake, provider, backoffs):
    fake.failures = [
        Timeout("Operation timed out after 20000 milliseconds"),
        ConnectionResetError(104, "Connection reset by peer"),
    ]
    assert provider.quote("AMZN").price == 2896.54
    assert len(backoffs) == 2 and backoffs[0] <= 1.0 <= backoffs[1] <= 2.0


def test_persistent_network_failure_names_the_error(fake, provider, backoffs):
    fake.failures = [ConnectionResetError(104, "Connection reset by peer")] * 10
    with pytest.raises(ProviderError, match="network error.*ConnectionResetError"):
        provider.expirations("AAPL")
    assert len(backoffs) == 3


def test_server_errors_are_retried(fake, provider, backoffs):
    # yfinance retries any >= 400 once itself, then fails to parse the HTML page; the provider saw the status.
    fake.failures = [503, 503]
    assert provider.quote("QQQ").price == 329.42
    assert len(backoffs) == 1
    fake.failures = [503] * 10
    with pytest.raises(ProviderError, match="HTTP 503"):
        provider.quote("QQQ")


def test_garbage_is_not_retried(fake, provider, backoffs):
    fake.failures = [b"<html>not json</html>"]
    with pytest.raises(ProviderError, match="option listing failed"):
        provider.expirations("AAPL")
    assert backoffs == []


def test_every_request_waits_for_the_rate_limiter(fake, provider):
    provider.snapshot("QQQ")
    times = [t for t, _ in fake.log]
    assert len(times) > 40
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    spacing = (1 + SEND_MARGIN) * 0.5  # 2 requests a second, on the fake clock, sends a margin apart
    assert min(gaps) == pytest.approx(spacing)
    assert times[-1] == pytest.approx(spacing * (len(times) - 1))


def test_token_bucket_spaces_requests_and_allows_a_burst():
    clock = FakeClock()
    bucket = TokenBucket(4.0, burst=2.0, clock=clock.monotonic, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(4)]
    assert waits == [0.0, 0.0, 0.25, 0.25]
    clock.now += 10  # idle time refills only up to the burst
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 0.25]


def test_token_bucket_gives_concurrent_callers_distinct_slots():
    waits: list[float] = []
    # Time stands still: pure reservations (the spacing of actual sends would see every send at once).
    bucket = TokenBucket(2.0, clock=lambda: 0.0, sleep=waits.append, space_sends=False)
    threads = [threading.Thread(target=lambda: [bucket.acquire() for _ in range(5)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(waits) == pytest.approx([0.5 * k for k in range(1, 40)])


def test_a_caller_that_woke_late_does_not_go_out_with_the_next_one():
    clock = FakeClock()
    late = {"by": 0.4}

    def sleep(seconds: float) -> None:  # the first sleeper oversleeps (a busy CPU): its send slips
        clock.sleep(seconds + late.pop("by", 0.0))

    bucket = TokenBucket(2.0, clock=clock.monotonic, sleep=sleep)
    starts = []
    for _ in range(4):
        bucket.acquire()
        starts.append(clock.now)
    spacing = (1 + SEND_MARGIN) * 0.5
    # never closer than 0.5 s and the margin, however the slots fell
    assert starts == pytest.approx([0.0, 0.9, 0.9 + spacing, 0.9 + 2 * spacing])


def test_a_pause_stops_every_caller_then_the_bucket_restarts_at_its_rate():
    clock = FakeClock()
    bucket = TokenBucket(4.0, clock=clock.monotonic, sleep=clock.sleep)
    assert bucket.acquire() == 0.0
    bucket.pause(3.0)  # a 429: nobody asks again for 3 s
    assert bucket.paused_for() == 3.0
    assert bucket.acquire() == pytest.approx(3.25)  # the pause, then one interval: no burst after it
    assert bucket.acquire() == pytest.approx((1 + SEND_MARGIN) * 0.25)  # an interval and the send margin
    bucket.pause(1.0)
    bucket.pause(0.5)  # a shorter pause never cuts a longer one short
    assert bucket.paused_for() == pytest.approx(1.0) and bucket.pauses == 2


def test_a_slot_reserved_before_a_pause_waits_for_its_end():
    clock = FakeClock()
    bucket = TokenBucket(2.0, clock=clock.monotonic, sleep=clock.sleep)
    bucket.acquire()

    def sleep(seconds: float) -> None:  # another fetcher's 429 arrives while this one waits for its slot
        clock.sleep(seconds)
        if clock.now < 1.0:
            bucket.pause(5.0)

    bucket._sleep = sleep
    waited = bucket.acquire()
    assert clock.now >= 0.5 + 5.0  # its 0.5 s slot fell inside the pause: it queued again behind it
    assert waited == pytest.approx(clock.now)


def test_a_429_pauses_the_bucket_for_every_thread(fake, backoffs, yf_cache):
    limiter = TokenBucket(2.0, clock=fake.clock.monotonic, sleep=fake.clock.sleep)
    provider = YFinanceProvider(
        session=fake, rate_limiter=limiter, sleep=backoffs.append, cache_dir=yf_cache, pause_on_429=4.0, max_retries=3
    )
    fake.failures = [429, 429]
    with provider.metering() as usage:
        assert len(provider.expirations("QQQ")) == 28
    # yfinance fetches a fresh crumb between the two (a success, so the second pause is not doubled)
    assert limiter.pauses == 2
    assert usage.rate_limited == 2 and usage.retries == 1
    assert usage.wait_seconds >= 4.0 + 4.0  # every request after a 429 waited for the pause


def test_providers_share_one_process_wide_limiter():
    rate = shared_rate_limiter().rate
    try:
        first = YFinanceProvider(requests_per_second=3.0)  # sessions are made, no request is sent
        second = YFinanceProvider(requests_per_second=1.5)
        assert first._limiter is second._limiter is shared_rate_limiter()
        assert shared_rate_limiter().rate == 1.5
    finally:
        shared_rate_limiter().configure(rate)


def test_profile_info_is_fetched_only_when_asked(fake, backoffs, yf_cache):
    fake.extra["/v10/finance/quoteSummary/AAPL"] = {
        "quoteSummary": {
            "result": [
                {
                    "assetProfile": {"sector": "Technology", "industry": "Consumer Electronics"},
                    "summaryDetail": {"exDividendDate": {"raw": 1739491200, "fmt": "2025-02-14"}},
                }
            ],
            "error": None,
        }
    }
    fake.extra["/v7/finance/quote"] = {"quoteResponse": {"result": [], "error": None}}
    fake.extra["/ws/fundamentals-timeseries/v1/finance/timeseries/AAPL"] = {"timeseries": {"result": [], "error": None}}
    profile = make_provider(fake, backoffs, yf_cache, include_profile_info=True).profile("AAPL")
    assert (profile.sector, profile.industry, profile.name) == ("Technology", "Consumer Electronics", "Apple Inc.")
    assert profile.ex_dividend == dt.date(2025, 2, 14)  # Yahoo's epoch seconds at midnight UTC


@pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")
def test_history_maps_yahoo_chart_to_lower_case_ohlcv(fake, provider, shared_data):
    daily = pd.read_csv(shared_data / "ohlcv" / "SPY_daily_2023-10-03_2024-10-01_ydownload.csv")
    fake.extra["chart"] = lambda params: chart_body(daily, params)

    frame = provider.history("SPY", dt.date(2024, 9, 23), dt.date(2024, 10, 1))

    assert list(frame.columns) == ["open", "high", "low", "close", "volume"]
    assert frame.index.name == "date" and frame.index.tz is None
    assert frame.index[0] == pd.Timestamp("2024-09-23") and frame.index[-1] == pd.Timestamp("2024-10-01")
    assert len(frame) == 7
    assert frame["close"].iloc[-1] == pytest.approx(568.62, abs=0.01)


def chart_body(daily: pd.DataFrame, params: dict) -> dict:
    """A Yahoo /v8/finance/chart answer built from recorded daily rows (bars stamped at the 09:30 open)."""
    opens = pd.to_datetime(daily["Date"]).dt.tz_localize("America/New_York") + pd.Timedelta(hours=9.5)
    seconds = opens.map(lambda t: int(t.timestamp()))
    if params.get("range"):  # yfinance asking for the time zone only
        keep = seconds == seconds.max()
    else:
        keep = (seconds >= int(params["period1"])) & (seconds < int(params["period2"]))
    rows = daily[keep.to_numpy()]
    meta = {
        "currency": "USD",
        "symbol": "SPY",
        "exchangeName": "PCX",
        "instrumentType": "ETF",
        "firstTradeDate": 728317800,
        "regularMarketTime": int(seconds.max()),
        "gmtoffset": -14400,
        "timezone": "EDT",
        "exchangeTimezoneName": "America/New_York",
        "priceHint": 2,
        "dataGranularity": "1d",
        "range": "",
        "validRanges": ["1d", "5d", "1mo", "1y", "max"],
    }
    quote = {key.lower(): rows[key].tolist() for key in ("Open", "High", "Low", "Close", "Volume")}
    result = {
        "meta": meta,
        "timestamp": seconds[keep].tolist(),
        "indicators": {"quote": [quote], "adjclose": [{"adjclose": rows["Adj Close"].tolist()}]},
    }
    return {"chart": {"result": [result], "error": None}}

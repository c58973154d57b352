"""A Yahoo-like HTTP server for tests and benchmarks: the endpoints yfinance calls for option chains.

yfinance talks to it through its real HTTP path (curl_cffi, its cookie and crumb dance, its JSON parsing):
the provider's `base_url` sends every *.yahoo.com request here, path and query kept. Served:

- `/` (yfinance's cookie fetch from fc.yahoo.com): a cookie; `/v1/test/getcrumb`: a crumb;
- `/v7/finance/options/{SYMBOL}` and `?date=EPOCH`: recorded bodies from `../shared/data/yahoo_v7_raw` for the
  symbols in `recorded` (other dates of a recorded symbol get its recorded chain re-dated), and bodies built
  from the synthetic market for any other symbol the synthetic universe knows; an unknown symbol gets Yahoo's
  empty result;
- anything else (the consent pages): 404.

`Behaviour` makes it Yahoo-like: latency with jitter (slept in the handler thread, so many requests can be in
flight), a rate cap answered with 429 (a token bucket: `rate_cap` per second, one second's burst), occasional
5xx and empty expiries (seeded). `stats` counts what it saw, with the arrival time of every options request.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

_OPTIONS = re.compile(r"/v7/finance/options/([^/]+)")


@dataclass
class Behaviour:
    latency: float = 0.0  # seconds, the mean
    jitter: float = 0.0  # uniform ± around the mean
    rate_cap: float | None = None  # requests per second before 429s (every endpoint counts)
    error_rate: float = 0.0  # share of options requests answered 503
    empty_rate: float = 0.0  # share of ?date= answers with no calls and no puts
    seed: int = 0


@dataclass
class Stats:
    requests: int = 0
    options: int = 0
    rate_limited: int = 0
    errors: int = 0
    empties: int = 0
    bytes: int = 0
    arrivals: list[float] = field(default_factory=list)  # monotonic time of each options request
    refusals: list[float] = field(default_factory=list)  # monotonic time of each 429
    in_flight: int = 0
    max_in_flight: int = 0  # the most requests being answered at once (several fetchers at work)
    paths: list[str] = field(default_factory=list)

    def rate(self) -> float:
        """Options requests per second between the first and the last arrival."""
        if len(self.arrivals) < 2:
            return 0.0
        return (len(self.arrivals) - 1) / (self.arrivals[-1] - self.arrivals[0])


class YahooServer:
    """Serve Yahoo option bodies on 127.0.0.1; a context manager (`with YahooServer(...) as server: server.url`)."""

    def __init__(
        self,
        raw_dir: Path | None = None,
        *,
        recorded: dict[str, str] | None = None,
        synthetic=None,
        behaviour: Behaviour | None = None,
    ) -> None:
        self.raw_dir = raw_dir
        self.recorded = {s: json.loads((raw_dir / name).read_text()) for s, name in (recorded or {}).items()}
        self.synthetic = synthetic  # a SyntheticProvider, for universes larger than the recordings
        self.behaviour = behaviour or Behaviour()
        self.stats = Stats()
        self._lock = threading.Lock()
        self._rng = random.Random(self.behaviour.seed)
        self._tokens, self._stamp = self._burst(), time.monotonic()
        self._synthetic_bodies: dict[str, tuple[dict, dict[int, dict]]] = {}
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="yahoo-server", daemon=True)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        """The base URL to hand the provider. `*.localhost` is loopback to curl without DNS, and a host with
        "yahoo" in it lets yfinance cache the cookie as it does Yahoo's, so it is fetched once, not per request.
        """
        return f"http://yahoo.localhost:{self.port}"

    def __enter__(self) -> YahooServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    # -- behaviour ---------------------------------------------------------------------------------------------
    def _burst(self) -> float:
        return max(1.0, self.behaviour.rate_cap or 1.0)

    def _over_cap(self) -> bool:
        cap = self.behaviour.rate_cap
        if not cap:
            return False
        now = time.monotonic()
        self._tokens = min(self._burst(), self._tokens + (now - self._stamp) * cap)
        self._stamp = now
        if self._tokens < 1.0:
            return True  # Yahoo does not count a refused request against the caller's allowance either
        self._tokens -= 1.0
        return False

    def answer(self, path: str, query: str) -> tuple[int, bytes, dict[str, str]]:
        """(status, body, extra headers) for one request; the handler sleeps the latency first."""
        with self._lock:
            self.stats.requests += 1
            self.stats.paths.append(path + (f"?{query}" if query else ""))
            if self._over_cap():
                self.stats.rate_limited += 1
                self.stats.refusals.append(time.monotonic())
                return 429, b"Edge: Too Many Requests", {}
            roll_error, roll_empty = self._rng.random(), self._rng.random()
        if path in ("", "/"):
            return 200, b"", {"Set-Cookie": "A3=local; Path=/; Max-Age=86400"}
        if path.endswith("/v1/test/getcrumb"):
            return 200, b"local-crumb", {}
        match = _OPTIONS.fullmatch(path)
        if not match:
            return 404, b'{"finance":{"result":null,"error":{"code":"Not Found"}}}', {}
        with self._lock:
            self.stats.options += 1
            self.stats.arrivals.append(time.monotonic())
            if roll_error < self.behaviour.error_rate:
                self.stats.errors += 1
                return 503, b"<html>Will be right back</html>", {}
        date = parse_qs(query).get("date")
        body = self.options_body(match[1], int(date[0]) if date else None)
        if date and roll_empty < self.behaviour.empty_rate and body["optionChain"]["result"]:
            option = body["optionChain"]["result"][0]["options"][0]
            option["calls"], option["puts"] = [], []
            with self._lock:
                self.stats.empties += 1
        return 200, json.dumps(body).encode(), {}

    # -- bodies ------------------------------------------------------------------------------------------------
    def options_body(self, symbol: str, date: int | None) -> dict:
        if symbol in self.recorded:
            return self._recorded_body(symbol, date)
        if self.synthetic is not None and symbol in self.synthetic.universe():
            return self._synthetic_body(symbol, date)
        return {"optionChain": {"result": [], "error": None}}

    def _recorded_body(self, symbol: str, date: int | None) -> dict:
        body = json.loads(json.dumps(self.recorded[symbol]))
        result = body["optionChain"]["result"][0]
        if date is None or not result["options"] or result["options"][0]["expirationDate"] == date:
            return body
        # Another listed date: the recorded chain re-dated, so every expiry costs what a real one does.
        option = result["options"][0]
        stamp = dt.datetime.fromtimestamp(date, dt.UTC).strftime("%y%m%d")
        for contract in option["calls"] + option["puts"]:
            code = contract["contractSymbol"]
            contract["contractSymbol"] = code[:-15] + stamp + code[-9:]
            contract["expiration"] = date
        option["expirationDate"] = date
        return body

    def _synthetic_body(self, symbol: str, date: int | None) -> dict:
        with self._lock:
            cached = self._synthetic_bodies.get(symbol)
        if cached is None:
            cached = _yahoo_bodies(self.synthetic.snapshot(symbol))
            with self._lock:
                self._synthetic_bodies[symbol] = cached
        listing, chains = cached
        result = dict(listing)
        first = min(chains) if chains else None
        key = first if date is None else date
        result["options"] = [chains[key]] if key in chains else []
        return {"optionChain": {"result": [result], "error": None}}

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as Yahoo's edge

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                with server._lock:
                    server.stats.in_flight += 1
                    server.stats.max_in_flight = max(server.stats.max_in_flight, server.stats.in_flight)
                try:
                    self._answer(parts)
                finally:
                    with server._lock:
                        server.stats.in_flight -= 1

            def _answer(self, parts) -> None:
                status, body, headers = server.answer(parts.path, parts.query)
                b = server.behaviour
                delay = b.latency + (server._rng.uniform(-b.jitter, b.jitter) if b.jitter else 0.0)
                if delay > 0:
                    time.sleep(delay)
                self.send_response(status)
                self.send_header("Content-Type", "application/json" if body[:1] == b"{" else "text/plain")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)
                with server._lock:
                    server.stats.bytes += len(body)

            do_POST = do_GET

            def log_message(self, *args) -> None:  # quiet
                pass

        return Handler


def _epoch(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def _yahoo_bodies(snapshot) -> tuple[dict, dict[int, dict]]:
    """A synthetic ChainSnapshot as Yahoo's listing (without `options`) and one `options` entry per expiry."""
    q, p = snapshot.quote, snapshot.profile
    quote = {
        "symbol": q.symbol,
        "currency": q.currency,
        "regularMarketPrice": q.price,
        "regularMarketTime": int(q.quote_time.timestamp()),
        "regularMarketPreviousClose": q.previous_close,
        "longName": p.name,
        "fullExchangeName": p.exchange,
        "marketCap": p.market_cap,
        "averageDailyVolume3Month": p.avg_volume,
        "dividendYield": p.dividend_yield * 100 if p.dividend_yield is not None else None,
        "exchangeTimezoneName": "America/New_York",
    }
    if p.next_earnings is not None:
        quote["earningsTimestamp"] = _epoch(p.next_earnings) + 12 * 3600
    quote = {k: v for k, v in quote.items() if v is not None}
    chains: dict[int, dict] = {}
    for expiry, frame in snapshot.chain.groupby("expiration", sort=True):
        stamp = _epoch(expiry)
        entry: dict = {"expirationDate": stamp, "hasMiniOptions": False, "calls": [], "puts": []}
        for row in frame.to_dict("records"):
            contract = {
                k: _plain(row[k])
                for k in (
                    "contractSymbol",
                    "strike",
                    "currency",
                    "lastPrice",
                    "change",
                    "percentChange",
                    "volume",
                    "openInterest",
                    "bid",
                    "ask",
                    "contractSize",
                    "impliedVolatility",
                    "inTheMoney",
                )
            }
            contract["expiration"] = stamp
            if row["lastTradeDate"] is not None and row["lastTradeDate"] == row["lastTradeDate"]:
                contract["lastTradeDate"] = int(row["lastTradeDate"].timestamp())
            entry["calls" if row["option_type"] == "call" else "puts"].append(
                {k: v for k, v in contract.items() if v is not None}
            )
        chains[stamp] = entry
    for day in snapshot.expirations:  # a listed expiry without contracts still appears in the listing
        chains.setdefault(_epoch(day), {"expirationDate": _epoch(day), "calls": [], "puts": []})
    listing = {
        "underlyingSymbol": q.symbol,
        "expirationDates": sorted(chains),
        "strikes": sorted({float(s) for s in snapshot.chain["strike"]}),
        "hasMiniOptions": False,
        "quote": quote,
    }
    return listing, chains


def _plain(value):
    """A JSON-ready scalar; NaN (a key Yahoo would omit) becomes None."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value

"""A local OpenAlgo-compatible HTTP server for tests: real sockets, replies shaped as OpenAlgo sends them.

Every reply mirrors marketcalls/openalgo's restx_api + services: `{"status": "success", "data": ...}` with numbers
as strings where OpenAlgo's brokers send strings (funds, positionbook) and as numbers where they send numbers
(holdings, orderbook prices), statistics blocks on holdings and orderbook, `403 {"status": "error", "message":
"Invalid openalgo apikey"}` for a wrong key, `400` with marshmallow's message dict for a missing key, and `500
{"status": "error", "message": ...}` for a broker failure. Tests change the book between calls, make endpoints
fail (`fail`), slow (`timeout`), answer garbage or 429 (`rate_limit`, OpenAlgo's JSON for /api/ paths), or take
the whole server down and bring it back on the same port. Market data (`quotes`, `expiry`, `optionchain`, `history`)
comes from `market` (tests/servers/openalgo_market.py), which tests change between calls.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.servers.openalgo_market import MARKET_ENDPOINTS, Market

ENDPOINTS = ("ping", "funds", "positionbook", "holdings", "orderbook", "tradebook", *MARKET_ENDPOINTS)

DEFAULT_FUNDS = {
    "availablecash": "320.66",
    "collateral": "0.00",
    "m2mrealized": "3.27",
    "m2munrealized": "-7.88",
    "utiliseddebits": "679.34",
}
DEFAULT_POSITIONS = [
    {"symbol": "NHPC", "exchange": "NSE", "product": "MIS", "quantity": "-1", "average_price": "83.74",
     "ltp": "83.72", "pnl": "0.02"},
    {"symbol": "NIFTY28MAR2420800CE", "exchange": "NFO", "product": "NRML", "quantity": "-75",
     "average_price": "112.50", "ltp": "98.05", "pnl": "1083.75"},
    {"symbol": "RELIANCE", "exchange": "NSE", "product": "MIS", "quantity": "0", "average_price": "0.0",
     "ltp": "1189.9", "pnl": "5.90"},
]  # fmt: skip
DEFAULT_HOLDINGS = [
    {"symbol": "RELIANCE", "exchange": "NSE", "product": "CNC", "quantity": 1, "pnl": -149.0, "pnlpercent": -11.1},
    {"symbol": "TATASTEEL", "exchange": "NSE", "product": "CNC", "quantity": 10, "average_price": 144.1,
     "ltp": 129.2, "pnl": -149.0, "pnlpercent": -10.34},
]  # fmt: skip
DEFAULT_ORDERS = [
    {"action": "BUY", "symbol": "RELIANCE", "exchange": "NSE", "orderid": "250408000989443", "product": "MIS",
     "quantity": "1", "price": 1186.0, "pricetype": "MARKET", "order_status": "complete", "trigger_price": 0.0,
     "timestamp": "08-Apr-2025 13:58:03"},
    {"action": "BUY", "symbol": "YESBANK", "exchange": "NSE", "orderid": "250408001002736", "product": "MIS",
     "quantity": "1", "price": 16.5, "pricetype": "LIMIT", "order_status": "cancelled", "trigger_price": 0.0,
     "timestamp": "08-Apr-2025 14:13:45"},
]  # fmt: skip
DEFAULT_TRADES = [
    {"action": "BUY", "symbol": "RELIANCE", "exchange": "NSE", "orderid": "250408000989443", "product": "MIS",
     "quantity": "1", "average_price": 1180.1, "timestamp": "08-Apr-2025 13:58:03", "trade_value": 1180.1},
]  # fmt: skip


@dataclass
class Book:
    """What the broker behind the server holds; tests assign new lists between calls."""

    broker: str = "zerodha"
    funds: dict[str, Any] = field(default_factory=lambda: copy.deepcopy(DEFAULT_FUNDS))
    positions: list[dict[str, Any]] = field(default_factory=lambda: copy.deepcopy(DEFAULT_POSITIONS))
    holdings: list[dict[str, Any]] = field(default_factory=lambda: copy.deepcopy(DEFAULT_HOLDINGS))
    orders: list[dict[str, Any]] = field(default_factory=lambda: copy.deepcopy(DEFAULT_ORDERS))
    trades: list[dict[str, Any]] = field(default_factory=lambda: copy.deepcopy(DEFAULT_TRADES))


def _statistics_of_orders(orders: list[dict]) -> dict[str, float]:
    status = [o.get("order_status") for o in orders]
    return {
        "total_buy_orders": float(sum(o.get("action") == "BUY" for o in orders)),
        "total_sell_orders": float(sum(o.get("action") == "SELL" for o in orders)),
        "total_completed_orders": float(status.count("complete")),
        "total_open_orders": float(status.count("open")),
        "total_rejected_orders": float(status.count("rejected")),
    }


def _statistics_of_holdings(holdings: list[dict]) -> dict[str, float]:
    pnl = sum(float(h.get("pnl") or 0) for h in holdings)
    return {"totalholdingvalue": 0.0, "totalinvvalue": 0.0, "totalprofitandloss": round(pnl, 2),
            "totalpnlpercentage": 0.0}  # fmt: skip


class OpenAlgoServer:
    """One OpenAlgo instance with one valid API key, on 127.0.0.1 and a free port."""

    def __init__(self, api_key: str | None = None, broker: str = "zerodha") -> None:
        self.api_key = api_key or secrets.token_hex(32)  # OpenAlgo's keys are 64 hex characters
        self.book = Book(broker=broker)
        self.market = Market()
        self.failures: dict[str, tuple[str, int | None]] = {}  # endpoint or '*' -> (mode, times left)
        self.delay = 0.0  # seconds every reply waits (a 'timeout' failure waits `slow_seconds`)
        self.slow_seconds = 3.0
        self.requests: list[tuple[str, dict]] = []  # (endpoint, body) in arrival order
        self.port = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> OpenAlgoServer:
        handler = type("Handler", (_Handler,), {"server_state": self})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", self.port), handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, name=f"openalgo-{self.port}", daemon=True).start()
        return self

    def stop(self) -> None:
        """Take the server down: connections to its port are refused until `start()` (same port)."""
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def fail(self, endpoint: str, mode: str, times: int | None = None) -> None:
        """Make `endpoint` ('*' for all) fail: '500', 'broker_error', 'invalid_json', 'html_502', 'timeout',
        'rate_limit' (429)."""
        self.failures[endpoint] = (mode, times)

    def heal(self) -> None:
        self.failures.clear()

    def calls(self, endpoint: str) -> int:
        return sum(1 for name, _ in self.requests if name == endpoint)

    def _failure_for(self, endpoint: str) -> str | None:
        with self._lock:
            for name in (endpoint, "*"):
                if name in self.failures:
                    mode, times = self.failures[name]
                    if times is not None:
                        if times <= 1:
                            del self.failures[name]
                        else:
                            self.failures[name] = (mode, times - 1)
                    return mode
        return None

    def reply(self, endpoint: str, body: dict) -> tuple[int, str, str]:
        """(status, content type, body text) for one request, as OpenAlgo would answer it."""
        self.requests.append((endpoint, body))
        if endpoint not in ENDPOINTS:
            return 404, "text/html", "<h1>Not Found</h1>"
        if "apikey" not in body:
            return _json(400, {"status": "error", "message": {"apikey": ["Missing data for required field."]}})
        if body["apikey"] != self.api_key:
            return _json(403, {"status": "error", "message": "Invalid openalgo apikey"})
        mode = self._failure_for(endpoint)
        if self.delay:
            time.sleep(self.delay)
        if mode == "timeout":
            time.sleep(self.slow_seconds)
        elif mode == "500":
            return _json(500, {"status": "error", "message": "An unexpected error occurred"})
        elif mode == "broker_error":
            return _json(500, {"status": "error", "message": "Error fetching positions data: session expired"})
        elif mode == "invalid_json":
            return 200, "application/json", '{"status": "success", "data": [{"symbol": '
        elif mode == "html_502":
            return 502, "text/html", "<html><body><h1>502 Bad Gateway</h1></body></html>"
        elif mode == "rate_limit":
            message = "Rate limit exceeded. Please slow down your requests."
            return _json(429, {"status": "error", "message": message, "retry_after": 60})
        if endpoint in MARKET_ENDPOINTS:
            return _json(*self.market.reply(endpoint, body))
        return _json(200, {"status": "success", "data": self._data(endpoint)})

    def _data(self, endpoint: str) -> Any:
        book = self.book
        if endpoint == "ping":
            return {"message": "pong", "broker": book.broker}
        if endpoint == "funds":
            return book.funds
        if endpoint == "positionbook":
            return book.positions
        if endpoint == "holdings":
            return {"holdings": book.holdings, "statistics": _statistics_of_holdings(book.holdings)}
        if endpoint == "orderbook":
            return {"orders": book.orders, "statistics": _statistics_of_orders(book.orders)}
        return book.trades


def _json(status: int, document: dict) -> tuple[int, str, str]:
    return status, "application/json", json.dumps(document)


class _Handler(BaseHTTPRequestHandler):
    server_state: OpenAlgoServer
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        parts = [p for p in self.path.split("?")[0].split("/") if p]
        endpoint = parts[2] if len(parts) >= 3 and parts[:2] == ["api", "v1"] else self.path
        status, content_type, text = self.server_state.reply(endpoint, body if isinstance(body, dict) else {})
        payload = text.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout test)
            pass

    def log_message(self, format: str, *args) -> None:  # keep test output quiet
        return

"""One broker account reached through the official OpenAlgo client, with its errors turned into named exceptions.

The `openalgo` client (1.0.47) never raises: every method returns either the server's JSON or a dictionary
`{"status": "error", "message": ..., "error_type": "timeout_error" | "connection_error" | "http_error" |
"json_error" | "api_error" | "unknown_error", "code": <HTTP status>}`; a non-200 reply's message is
`"HTTP <code>: <body>"`. `raise_for_reply` reads those and raises the matching `core.accounts.errors` class with a
one-line message that names the host and never the key. The client has no ping; `OpenAlgoClient.ping` posts to
`/api/v1/ping` through the client's own request code, as AlgoMirror does.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import openalgo

from core.accounts import replies
from core.accounts.errors import (
    BrokerError,
    BrokerServerError,
    BrokerTimeout,
    BrokerUnreachable,
    InvalidReply,
    KeyRejected,
)
from core.accounts.records import AccountBook, Funds, HoldingRecord, OrderRecord, PositionRecord, TradeRecord

MAX_REASON = 200  # characters of a broker's error text kept in a message


class OpenAlgoClient(openalgo.api):
    """The official client plus `ping`, which it lacks."""

    def ping(self) -> dict[str, Any]:
        """POST /api/v1/ping: `{"status": "success", "data": {"message": "pong", "broker": "<name>"}}`."""
        return self._make_request("ping", {"apikey": self.api_key})


class BrokerConnection:
    """Typed calls to one OpenAlgo host with one API key; each raises a `BrokerError` subclass on failure."""

    def __init__(
        self, host: str, api_key: str, *, timeout: float, ws_url: str | None = None, whole_pass: bool = False
    ) -> None:
        """`timeout` bounds each request, or with `whole_pass` every request made from now on together."""
        self.host = host.rstrip("/")
        self.timeout = timeout
        self._deadline = time.monotonic() + timeout if whole_pass else None
        self._key = api_key
        self.client = OpenAlgoClient(api_key=api_key, host=self.host, timeout=timeout, ws_url=ws_url)

    def __repr__(self) -> str:  # never the key
        return f"BrokerConnection({self.host!r})"

    def ping(self) -> str:
        """The broker's name as OpenAlgo reports it; raises when the host or the key does not answer."""
        data = self._call("ping", self.client.ping)
        if not isinstance(data, dict) or not data.get("broker"):
            raise InvalidReply(f"OpenAlgo at {self.host}: ping reply has no broker name")
        return str(data["broker"])

    def funds(self) -> Funds:
        return replies.read_funds(self._call("funds", self.client.funds))

    def positions(self) -> list[PositionRecord]:
        return replies.read_positions(self._call("positionbook", self.client.positionbook))

    def holdings(self) -> list[HoldingRecord]:
        return replies.read_holdings(self._call("holdings", self.client.holdings))

    def orders(self) -> list[OrderRecord]:
        return replies.read_orders(self._call("orderbook", self.client.orderbook))

    def trades(self) -> list[TradeRecord]:
        return replies.read_trades(self._call("tradebook", self.client.tradebook))

    def book(self) -> AccountBook:
        """Funds, positions, holdings, orders and trades, in that order; the first failure stops the pass."""
        return AccountBook(
            funds=self.funds(),
            positions=self.positions(),
            holdings=self.holdings(),
            orders=self.orders(),
            trades=self.trades(),
        )

    def _call(self, endpoint: str, method: Callable[[], dict[str, Any]]) -> Any:
        if self._deadline is not None:  # the account's whole sync shares one budget
            left = self._deadline - time.monotonic()
            if left <= 0:
                raise BrokerTimeout(f"OpenAlgo at {self.host} did not finish within {self.timeout:g} s")
            self.client.timeout = left
        try:
            return raise_for_reply(method(), host=self.host, endpoint=endpoint, timeout=self.timeout)
        except BrokerError as exc:  # belt and braces: a server that echoes the key must not put it in our message
            if self._key and self._key in str(exc):
                raise type(exc)(str(exc).replace(self._key, "****")) from None
            raise


def raise_for_reply(reply: Any, *, host: str, endpoint: str, timeout: float) -> Any:
    """The `data` of a success reply; otherwise the named error the client's error dictionary stands for."""
    where = f"OpenAlgo at {host}"
    if not isinstance(reply, dict):
        raise InvalidReply(f"{where}: {endpoint} reply is not a JSON object")
    if reply.get("status") == "success":
        if "data" not in reply:
            raise InvalidReply(f"{where}: {endpoint} reply has no 'data'")
        return reply["data"]
    kind = reply.get("error_type")
    code = reply.get("code")
    reason = _reason(reply)
    if kind == "timeout_error":
        raise BrokerTimeout(f"{where} did not answer {endpoint} within {timeout:g} s")
    if kind == "connection_error" or (kind == "http_error" and code is None):
        raise BrokerUnreachable(f"cannot reach {where} (is OpenAlgo running there?)")
    if kind == "json_error":
        raise InvalidReply(f"{where}: {endpoint} reply is not JSON")
    if code in (401, 403):
        raise KeyRejected(f"{where} rejected the API key ({reason or f'HTTP {code}'})")
    if isinstance(code, int) and code >= 500 and not reason:
        raise BrokerServerError(f"{where} failed on {endpoint} (HTTP {code})")
    status = f"HTTP {code}: " if isinstance(code, int) and code != 200 else ""
    raise BrokerError(f"{where}: {endpoint} failed: {status}{reason or 'no reason given'}")


def _reason(reply: dict) -> str:
    """The server's own error text: the `message` of a JSON error body, else the message the client wrote."""
    message = reply.get("message")
    if reply.get("error_type") == "http_error" and isinstance(message, str) and message.startswith("HTTP "):
        body = message.partition(": ")[2]
        try:
            parsed = json.loads(body)
        except ValueError:
            return ""  # an HTML error page or similar: the status says enough
        message = parsed.get("message") if isinstance(parsed, dict) else None
    if message is None:
        return ""
    text = message if isinstance(message, str) else json.dumps(message, sort_keys=True)
    line = " ".join(text.split())
    return line[:MAX_REASON] + ("..." if len(line) > MAX_REASON else "")

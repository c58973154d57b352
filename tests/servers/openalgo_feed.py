"""A local OpenAlgo-compatible WebSocket feed for tests (the `websockets` library, as OpenAlgo's own proxy uses).

Speaks the protocol of marketcalls/openalgo's websocket_proxy/server.py as the official client uses it:
`{"action": "authenticate", "api_key": ...}` -> `{"type": "auth", "status": "success", "broker": ..., ...}` or
`{"status": "error", "code": "AUTHENTICATION_ERROR", "message": "Invalid API key"}`; `{"action": "subscribe",
"symbol", "exchange", "mode": 1}` -> `{"type": "subscribe", "status": "success", "subscriptions": [...]}`; ticks
as `{"type": "market_data", "symbol", "exchange", "mode": 1, "data": {"ltp": 1187.75, "timestamp": ...}}`.
Tests push ticks, drop every connection (a network blip) and stop/start the server on the same port.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time

from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed


class FeedServer:
    def __init__(self, api_key: str, broker: str = "zerodha") -> None:
        self.api_key = api_key
        self.broker = broker
        self.port = 0
        self.auth_attempts = 0
        self.subscriptions: dict[ServerConnection, set[tuple[str, str]]] = {}
        self._loop = asyncio.new_event_loop()
        self._server = None
        threading.Thread(target=self._loop.run_forever, name="feed-server", daemon=True).start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> FeedServer:
        async def begin():
            self._server = await serve(self._handle, "127.0.0.1", self.port, close_timeout=1)
            self.port = self._server.sockets[0].getsockname()[1]

        self._run(begin())
        return self

    def stop(self) -> None:
        """Close the server and every connection: clients see the feed drop and reconnects are refused."""

        async def end():
            if self._server is not None:
                self._server.close()
                await self._server.wait_closed()
                self._server = None
            self.subscriptions.clear()

        self._run(end())

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)

    def drop_connections(self) -> None:
        """Close every client connection but keep listening (clients should reconnect)."""

        async def drop():
            for connection in list(self.subscriptions):  # not awaited: the client need not finish the handshake
                asyncio.ensure_future(connection.close(code=1011, reason="test drop"))

        self._run(drop())

    def subscribed(self) -> set[tuple[str, str]]:
        """What the connected clients are subscribed to, read in the server's loop (which changes it)."""

        async def collect():
            return set().union(*self.subscriptions.values())

        return self._run(collect())

    def push_ltp(self, exchange: str, symbol: str, ltp: float) -> int:
        """Send a tick to every connection subscribed to it; returns how many got it."""

        async def push():
            message = json.dumps(
                {
                    "type": "market_data",
                    "symbol": symbol,
                    "exchange": exchange,
                    "mode": 1,
                    "broker": self.broker,
                    "data": {"ltp": ltp, "timestamp": int(time.time() * 1000)},
                }
            )
            sent = 0
            for connection, subs in list(self.subscriptions.items()):
                if (exchange, symbol) in subs:
                    try:
                        await connection.send(message)
                    except ConnectionClosed:  # dropped, its handler not yet finished
                        continue
                    sent += 1
            return sent

        return self._run(push())

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _handle(self, connection: ServerConnection) -> None:
        authenticated = False
        try:
            async for raw in connection:
                data = json.loads(raw)
                action = data.get("action") or data.get("type")
                if action in ("authenticate", "auth"):
                    self.auth_attempts += 1
                    if (data.get("api_key") or data.get("apikey")) != self.api_key:
                        error = {"status": "error", "code": "AUTHENTICATION_ERROR", "message": "Invalid API key"}
                        await connection.send(json.dumps(error))
                        continue
                    authenticated = True
                    self.subscriptions[connection] = set()
                    await connection.send(
                        json.dumps(
                            {
                                "type": "auth",
                                "status": "success",
                                "message": "Authentication successful",
                                "broker": self.broker,
                                "user_id": "tester",
                                "supported_features": {"ltp": True, "quote": True, "depth": True},
                            }
                        )
                    )
                elif action == "subscribe" and authenticated:
                    key = (data["exchange"], data["symbol"])
                    self.subscriptions[connection].add(key)
                    sub = {"symbol": key[1], "exchange": key[0], "status": "success", "mode": "LTP", "depth": 5}
                    reply = {"type": "subscribe", "status": "success", "subscriptions": [sub], "broker": self.broker}
                    await connection.send(json.dumps(reply))
                elif action == "unsubscribe" and authenticated:
                    self.subscriptions[connection].discard((data.get("exchange"), data.get("symbol")))
                else:
                    await connection.send(json.dumps({"status": "error", "code": "NOT_AUTHENTICATED"}))
        except Exception:  # a dropped client ends its handler; the test decides what that means
            pass
        finally:
            self.subscriptions.pop(connection, None)

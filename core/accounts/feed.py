"""Live prices through OpenAlgo's WebSocket feed (the official client's feed API), with reconnection and failover.

`AccountFeed` keeps one account's feed alive: a supervisor thread connects and authenticates with the client's
`connect()`, subscribes LTP for the instruments (`track` changes them on a live connection), notices a dropped
connection and reconnects with exponential backoff (with jitter, capped), subscribing again each time. Each
connection is a `websocket_connections` row (connected_at, disconnected_at, messages_received, last_heartbeat).

`FeedManager` follows users: prices for a user's open positions and holdings come from the feed of their active
data account (`core.accounts.health`); `refresh()` after a ping round moves a feed to the backup (or back to the
primary) and subscribes the same instruments there, and `follow_all()` (the sidecar leader's tick, through
core.accounts.live) does that for every user with a feed. `flush()` writes the latest prices into positions and
holdings (current price, P&L) and the counters into `websocket_connections`: ticks are never written one by one.
Without a feed the page says prices are as of the last sync.
"""

from __future__ import annotations

import logging
import random
import threading
import uuid
from dataclasses import dataclass

from sqlalchemy import Engine, select

from core.accounts.errors import AccountError
from core.accounts.health import active_data_account
from core.accounts.keystore import keyring_for
from core.accounts.openalgo_client import OpenAlgoClient
from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import Holding, Position, TradingAccount, WebSocketConnection
from core.jobs.logs import fields

log = logging.getLogger("wheelhouse.sidecar")
Instrument = tuple[str, str]  # (exchange, symbol)


@dataclass(frozen=True)
class Backoff:
    initial: float = 1.0
    maximum: float = 60.0
    jitter: float = 0.2  # up to +20%, so many feeds dropped at once do not reconnect in step

    def delays(self):
        delay = self.initial
        while True:
            yield delay * (1 + random.random() * self.jitter)
            delay = min(delay * 2, self.maximum)


class AccountFeed:
    """One account's LTP feed, kept connected by a supervisor thread."""

    def __init__(self, engine: Engine, account_id: int, *, backoff: Backoff | None = None) -> None:
        self.engine = engine
        self.account_id = account_id
        self.backoff = backoff or Backoff()
        self.instruments: list[Instrument] = []
        self.prices: dict[Instrument, float] = {}
        self.messages = 0
        self.connects = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._client: OpenAlgoClient | None = None
        self._row_id: int | None = None
        self._thread: threading.Thread | None = None
        with unit_of_work(engine, write=False) as session:
            account = session.get(TradingAccount, account_id)
            self.name, host, self.ws_url = account.account_name, account.host_url, account.websocket_url
            key = keyring_for(engine.dialect.name).decrypt(account.id, account.api_key_encrypted)
        self._make_client = lambda: OpenAlgoClient(api_key=key, host=host or "http://127.0.0.1", ws_url=self.ws_url)

    @property
    def connected(self) -> bool:
        client = self._client
        return bool(client and client.connected and client.authenticated)

    def start(self, instruments: list[Instrument]) -> None:
        """Keep the feed connected in the background until `stop()` (the first try at once, never blocking here)."""
        self.instruments = list(dict.fromkeys(instruments))
        self._thread = threading.Thread(target=self._supervise, name=f"feed-{self.account_id}", daemon=True)
        self._thread.start()

    def stop(self, *, wait: bool = True) -> None:
        """Stop the feed. With `wait` (the sidecar's exit) this returns once the connection and its row are
        closed; without (a feed moved on failover) it returns at once and the feed's thread closes them when a
        connection attempt in flight ends (the client's own wait: up to ten seconds on a dead server)."""
        self._stop.set()
        if not wait:
            return
        if self._thread is not None:
            self._thread.join(timeout=15)
        self._disconnect()

    def track(self, instruments: list[Instrument]) -> bool:
        """Follow these instruments from now on (positions opened or closed by a sync); True when they changed.

        On a live connection the new ones are subscribed and the gone ones unsubscribed at once; otherwise the next
        connection subscribes the new list."""
        wanted = list(dict.fromkeys(instruments))
        with self._lock:
            added = [i for i in wanted if i not in self.instruments]
            gone = [i for i in self.instruments if i not in wanted]
            if not added and not gone:
                return False
            self.instruments = wanted
            for instrument in gone:
                self.prices.pop(instrument, None)
        client = self._client
        if self.connected and client is not None:
            if gone:
                client.unsubscribe_ltp([{"exchange": e, "symbol": s} for e, s in gone])
            if added:
                client.subscribe_ltp([{"exchange": e, "symbol": s} for e, s in added], on_data_received=self._on_tick)
        return True

    def _connect(self) -> bool:
        client = self._make_client()
        self._client = client
        if not client.connect():
            client.disconnect()
            return False
        self.connects += 1
        with self._lock:
            self.messages = 0  # counted per connection, as its websocket_connections row reports
            instruments = list(self.instruments)
        self._open_row()
        if instruments:
            wanted = [{"exchange": e, "symbol": s} for e, s in instruments]
            client.subscribe_ltp(wanted, on_data_received=self._on_tick)
        return True

    def _disconnect(self) -> None:
        if self._client is not None:
            self._client.disconnect()
        self._close_row()

    def _supervise(self) -> None:
        try:
            self._keep_connected()
        finally:
            try:
                self._disconnect()
            except Exception as exc:  # the database down while closing the row: the next start opens a new one
                failure = fields(account=self.name, error=type(exc).__name__)
                log.warning("account feed not closed cleanly", extra=failure)

    def _keep_connected(self) -> None:
        delays = iter(())  # the first connection is tried at once; after a drop, with backoff
        while not self._stop.is_set():
            if self.connected:
                delays = self.backoff.delays()
                self._stop.wait(0.2)
                continue
            try:
                self._disconnect()
                if self._stop.wait(next(delays, 0)):
                    break
                self._connect()
            except Exception as exc:  # e.g. the database down while recording the connection: retry after backoff
                log.warning("account feed failed to connect", extra=fields(account=self.name, error=type(exc).__name__))
                self._stop.wait(next(delays, self.backoff.initial))

    def _on_tick(self, message: dict) -> None:
        data = message.get("data") or {}
        try:
            price = float(data.get("ltp"))
        except (TypeError, ValueError):
            return
        with self._lock:
            self.prices[(message.get("exchange"), message.get("symbol"))] = price
            self.messages += 1

    def _open_row(self) -> None:
        with unit_of_work(self.engine, write=True) as session:
            row = WebSocketConnection(
                account_id=self.account_id, connection_id=str(uuid.uuid4()), status="connected", connected_at=utcnow()
            )
            session.add(row)
            session.flush()
            self._row_id = row.id

    def _close_row(self) -> None:
        if self._row_id is None:
            return
        with unit_of_work(self.engine, write=True) as session:
            row = session.get(WebSocketConnection, self._row_id)
            if row is not None:
                row.status, row.disconnected_at = "disconnected", utcnow()
        self._row_id = None

    def flush(self) -> int:
        """Write the latest prices into this account's owner's positions and holdings; returns rows updated."""
        with self._lock:
            prices, messages = dict(self.prices), self.messages
        updated = 0
        with unit_of_work(self.engine, write=True) as session:
            account = session.get(TradingAccount, self.account_id)
            if account is None:
                return 0
            owned = select(TradingAccount.id).where(TradingAccount.user_id == account.user_id)
            for model in (Position, Holding):
                for row in session.scalars(select(model).where(model.account_id.in_(owned))):
                    price = prices.get((row.exchange, row.symbol))
                    if price is None:
                        continue
                    row.current_price = price
                    if row.average_price is not None:
                        row.pnl = round((price - row.average_price) * row.quantity, 2)
                    if model is Holding:
                        row.current_value = price * row.quantity
                    updated += 1
            if self._row_id is not None and (row := session.get(WebSocketConnection, self._row_id)) is not None:
                row.messages_received, row.last_heartbeat = messages, utcnow()
        return updated


class FeedManager:
    """Each followed user's prices from the feed of their active data account, moved on failover."""

    def __init__(self, engine: Engine, *, backoff: Backoff | None = None) -> None:
        self.engine = engine
        self.backoff = backoff or Backoff()
        self.feeds: dict[int, AccountFeed] = {}  # user id -> feed

    def follow(self, user_id: int) -> AccountFeed | None:
        """Start (or move) the user's feed to their active data account, subscribed to their open instruments
        (resubscribed when a sync changed them); None when that account has no feed URL."""
        active = active_data_account(self.engine, user_id)
        current = self.feeds.get(user_id)
        if current is not None and active is not None and current.account_id == active.id:
            current.track(open_instruments(self.engine, user_id))
            return current
        if current is not None:
            current.stop(wait=False)  # a dead server's connection attempt must not hold up the move
            del self.feeds[user_id]
        if active is None or not active.ws_url:
            return None
        feed = AccountFeed(self.engine, active.id, backoff=self.backoff)
        feed.start(open_instruments(self.engine, user_id))
        self.feeds[user_id] = feed
        return feed

    def follow_all(self) -> None:
        """Follow every user with an active account that has a feed URL, and the users already followed (a feed
        whose account went away stops); one user's broken account (a key that no longer decrypts) is logged and
        skips only that user."""
        with unit_of_work(self.engine, write=False) as session:
            query = select(TradingAccount.user_id).where(
                TradingAccount.is_active.is_(True), TradingAccount.websocket_url.is_not(None)
            )
            users = set(session.scalars(query.distinct()))
        for user_id in sorted(users | set(self.feeds)):
            try:
                self.follow(user_id)
            except AccountError as exc:
                log.warning("account feed not started", extra=fields(user_id=user_id, error=str(exc)))

    def refresh(self) -> None:
        """Follow every followed user again (after a ping round: failover and recovery move feeds)."""
        for user_id in list(self.feeds):
            self.follow(user_id)

    def flush(self) -> int:
        return sum(feed.flush() for feed in self.feeds.values())

    def stop(self) -> None:
        for feed in self.feeds.values():
            feed.stop()
        self.feeds.clear()


def open_instruments(engine: Engine, user_id: int) -> list[Instrument]:
    """(exchange, symbol) of the user's open positions and holdings, the instruments worth a live price."""
    with unit_of_work(engine, write=False) as session:
        owned = select(TradingAccount.id).where(TradingAccount.user_id == user_id)
        rows = [
            *session.execute(
                select(Position.exchange, Position.symbol).where(Position.account_id.in_(owned), Position.quantity != 0)
            ),
            *session.execute(select(Holding.exchange, Holding.symbol).where(Holding.account_id.in_(owned))),
        ]
    return sorted({(exchange, symbol) for exchange, symbol in rows})


__all__ = ["AccountFeed", "Backoff", "FeedManager", "open_instruments"]

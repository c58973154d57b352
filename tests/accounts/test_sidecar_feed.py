"""Live prices in the real sidecar on both databases: the leader runs the accounts' feeds (core.accounts.live)
against local OpenAlgo HTTP and WebSocket servers through the official client; ticks reach positions' last price,
`websocket_connections` shows the connection, a dropped feed reconnects, a sync that closes a position
unsubscribes it, the page's view says the prices are live, and shutdown closes the feed."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from core.accounts import service
from core.accounts.feed import Backoff
from core.accounts.kind import accounts_sync_kind
from core.accounts.queueing import enqueue_account_sync
from core.config import get_settings
from core.db.engine import create_db_engine, unit_of_work
from core.db.models import Position, WebSocketConnection
from core.jobs.kinds import JobKinds
from core.jobs.settings import SidecarSettings
from core.jobs.sidecar import Sidecar
from tests.servers.openalgo_feed import FeedServer
from tests.support.actors import ADMIN
from tests.support.sidecars import wait_until
from ui.account_panels import price_note

SETTINGS = SidecarSettings.from_settings(poll_seconds=0.05, leader_retry_seconds=0.1, lease_seconds=30)
OPTION = ("NFO", "NIFTY28MAR2420800CE")


@pytest.fixture
def sidecar_engine(db, db_url):
    engine = create_db_engine(db_url, sqlite_immediate=True)
    yield engine
    engine.dispose()


@pytest.fixture
def feed_server(openalgo):
    server = FeedServer(openalgo.api_key).start()
    yield server
    server.close()


def option_price(engine):
    with unit_of_work(engine) as session:
        row = session.scalars(select(Position).where(Position.symbol == OPTION[1])).one_or_none()
        return None if row is None else (row.current_price, row.updated_at)


def option_prices(engine) -> set[float | None]:
    with unit_of_work(engine) as session:
        return set(session.scalars(select(Position.current_price).where(Position.symbol == OPTION[1])))


def connections(engine, account_id):
    with unit_of_work(engine) as session:
        query = select(WebSocketConnection).where(WebSocketConnection.account_id == account_id)
        return [(r.status, r.messages_received, r.last_heartbeat) for r in session.scalars(query.order_by("id"))]


def test_the_leader_streams_prices_into_positions_reconnects_resubscribes_and_closes_at_exit(
    sidecar_engine, make_user, openalgo, feed_server, add_account
):
    make_user()
    account = add_account("main", openalgo, ws_url=feed_server.url)
    assert price_note(service.visible_accounts(sidecar_engine, ADMIN)).startswith("Prices are as of")
    kind = accounts_sync_kind(ping_seconds=60, sync_minutes=60, feed_seconds=0.2, feed_backoff=Backoff(0.2, 1.0))
    sidecar = Sidecar(sidecar_engine, SETTINGS, JobKinds([kind]))
    thread = threading.Thread(target=sidecar.run, daemon=True)
    thread.start()
    try:
        # the leader's first sync (due at once) brings the option position; the feed's next tick subscribes it
        wait_until(lambda: OPTION in feed_server.subscribed(), timeout=30, what="the option subscribed")
        feed_server.push_ltp(*OPTION, 91.25)
        wait_until(lambda: (option_price(sidecar_engine) or (None,))[0] == 91.25, timeout=10, what="the tick stored")
        [(status, messages, heartbeat)] = connections(sidecar_engine, account.id)
        assert status == "connected" and messages >= 1 and heartbeat is not None
        [view] = service.visible_accounts(sidecar_engine, ADMIN)
        assert view.feed_at is not None
        assert price_note([view]).startswith("Live prices from the WebSocket feed of main, last written")

        feed_server.drop_connections()  # a network blip: reconnected with backoff, subscribed again
        wait_until(lambda: len(connections(sidecar_engine, account.id)) == 2, timeout=10, what="a new connection")
        wait_until(lambda: OPTION in feed_server.subscribed(), timeout=10, what="resubscribed")
        feed_server.push_ltp(*OPTION, 90.0)
        wait_until(lambda: option_price(sidecar_engine)[0] == 90.0, timeout=10, what="a tick after reconnecting")
        assert [c[0] for c in connections(sidecar_engine, account.id)] == ["disconnected", "connected"]

        openalgo.book.positions = [p for p in openalgo.book.positions if p["symbol"] != OPTION[1]]
        enqueue_account_sync(sidecar_engine, [account.id], requested_by="test")
        wait_until(lambda: option_price(sidecar_engine) is None, timeout=30, what="the closed position gone")
        wait_until(lambda: OPTION not in feed_server.subscribed(), timeout=10, what="the closed position unsubscribed")
        assert ("NSE", "NHPC") in feed_server.subscribed()  # the positions still open stay subscribed
    finally:
        sidecar.request_stop()
        thread.join(30)
    assert not thread.is_alive()
    assert [c[0] for c in connections(sidecar_engine, account.id)] == ["disconnected", "disconnected"]
    wait_until(lambda: feed_server.subscribed() == set(), timeout=10, what="the feed's connection closed")
    assert price_note(service.visible_accounts(sidecar_engine, ADMIN)).startswith("Prices are as of")


def test_the_leaders_feed_follows_failover_to_the_backup_and_back(
    sidecar_engine, make_user, servers, add_account, monkeypatch
):
    monkeypatch.setenv("ACCOUNT_FAILURES_BEFORE_DOWN", "1")
    # a stopped server refuses at once; a generous timeout keeps a slow machine's ping of a live one from failing
    monkeypatch.setenv("ACCOUNT_TIMEOUT_SECONDS", "15")
    get_settings.cache_clear()
    make_user()
    main, spare = servers(), servers(broker="upstox")
    main_feed, spare_feed = FeedServer(main.api_key).start(), FeedServer(spare.api_key).start()
    add_account("main", main, ws_url=main_feed.url)
    add_account("spare", spare, ws_url=spare_feed.url, backup_of="main")
    kind = accounts_sync_kind(ping_seconds=0.3, sync_minutes=60, feed_seconds=0.2, feed_backoff=Backoff(0.2, 1.0))
    sidecar = Sidecar(sidecar_engine, SETTINGS, JobKinds([kind]))
    thread = threading.Thread(target=sidecar.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: OPTION in main_feed.subscribed(), timeout=30, what="the primary's feed subscribed")
        main.stop()
        main_feed.stop()  # the primary goes away: pinged down, failed over, the feed moves to the backup
        wait_until(lambda: OPTION in spare_feed.subscribed(), timeout=30, what="the backup's feed subscribed")
        spare_feed.push_ltp(*OPTION, 88.0)
        # the user's feed prices all their accounts' rows of the option (the backup's sync stored one too)
        wait_until(lambda: option_prices(sidecar_engine) == {88.0}, timeout=10, what="a tick from the backup")
        main.start()
        main_feed.start()  # the primary answers again: the feed moves back and subscribes the same instruments
        wait_until(lambda: OPTION in main_feed.subscribed(), timeout=30, what="back on the primary's feed")
        wait_until(lambda: spare_feed.subscribed() == set(), timeout=10, what="the backup's feed closed")
    finally:
        sidecar.request_stop()
        thread.join(30)
        main_feed.close()
        spare_feed.close()
    assert not thread.is_alive()

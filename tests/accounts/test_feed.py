"""Live prices through the official client's feed against a local WebSocket server: ticks, reconnection, failover."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from core.accounts.feed import AccountFeed, Backoff, FeedManager, open_instruments
from core.accounts.health import ping_accounts
from core.accounts.sync import sync_accounts
from core.db.engine import unit_of_work
from core.db.models import Position, WebSocketConnection
from tests.servers.openalgo_feed import FeedServer

FAST = Backoff(initial=0.2, maximum=1.0)
OPTION = ("NFO", "NIFTY28MAR2420800CE")


def wait_for(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


@pytest.fixture
def feeds():
    started: list[FeedServer] = []

    def start(api_key: str) -> FeedServer:
        server = FeedServer(api_key).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def connection_rows(engine, account_id):
    with unit_of_work(engine, write=False) as session:
        rows = session.scalars(
            select(WebSocketConnection)
            .where(WebSocketConnection.account_id == account_id)
            .order_by(WebSocketConnection.id)
        ).all()
        return [(r.status, r.messages_received) for r in rows]


def test_ticks_reach_positions_and_a_dropped_feed_reconnects_and_resubscribes(
    db, make_user, openalgo, add_account, feeds
):
    user_id = make_user()
    feed_server = feeds(openalgo.api_key)
    account = add_account("main", openalgo, ws_url=feed_server.url)
    sync_accounts(db)
    instruments = open_instruments(db, user_id)
    assert OPTION in instruments and ("NSE", "RELIANCE") in instruments  # a holding; RELIANCE's position is closed

    feed = AccountFeed(db, account.id, backoff=FAST)
    feed.start(instruments)
    try:
        wait_for(lambda: OPTION in feed_server.subscribed())
        feed_server.push_ltp(*OPTION, 91.25)
        wait_for(lambda: feed.prices.get(OPTION) == 91.25)
        assert feed.flush() >= 1
        with unit_of_work(db, write=False) as session:
            option = session.scalars(select(Position).where(Position.symbol == OPTION[1])).one()
            assert option.current_price == 91.25
            assert option.pnl == round((91.25 - 112.5) * -75, 2)  # a short that gained

        feed_server.drop_connections()  # a network blip
        wait_for(lambda: feed.connects == 2 and OPTION in feed_server.subscribed())
        feed_server.push_ltp(*OPTION, 90.0)
        wait_for(lambda: feed.prices.get(OPTION) == 90.0)
        feed.flush()
        assert connection_rows(db, account.id) == [("disconnected", 1), ("connected", 1)]
    finally:
        feed.stop()
    assert connection_rows(db, account.id)[-1][0] == "disconnected"


def test_the_feed_follows_failover_to_the_backup_and_back(db, make_user, servers, add_account, feeds):
    user_id = make_user()
    main, spare = servers(), servers()
    main_feed, spare_feed = feeds(main.api_key), feeds(spare.api_key)
    primary = add_account("main", main, ws_url=main_feed.url)
    backup = add_account("spare", spare, ws_url=spare_feed.url, backup_of="main")
    sync_accounts(db)
    manager = FeedManager(db, backoff=FAST)
    try:
        assert manager.follow(user_id).account_id == primary.id
        wait_for(lambda: OPTION in main_feed.subscribed())

        main.stop()
        main_feed.stop()
        ping_accounts(db, timeout=2, failures_before_down=1)
        manager.refresh()  # moves at once: the old feed's attempt on the dead server ends in its own thread
        assert manager.feeds[user_id].account_id == backup.id
        wait_for(lambda: OPTION in spare_feed.subscribed())  # the same instruments, subscribed on the backup
        wait_for(lambda: {status for status, *_ in connection_rows(db, primary.id)} == {"disconnected"}, timeout=15)
        spare_feed.push_ltp(*OPTION, 88.0)
        wait_for(lambda: manager.feeds[user_id].prices.get(OPTION) == 88.0)

        main.start()
        main_feed.start()
        ping_accounts(db, timeout=2, failures_before_down=1)
        manager.refresh()
        assert manager.feeds[user_id].account_id == primary.id
        wait_for(lambda: OPTION in main_feed.subscribed())
    finally:
        manager.stop()


def test_no_feed_without_a_websocket_url(db, make_user, openalgo, add_account):
    user_id = make_user()
    add_account("main", openalgo)
    manager = FeedManager(db)
    assert manager.follow(user_id) is None and manager.feeds == {}

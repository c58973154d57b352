"""The official `openalgo` client against a local OpenAlgo server: replies parsed, every failure a named error."""

from __future__ import annotations

import socket

import pytest

from core.accounts.errors import (
    BrokerError,
    BrokerServerError,
    BrokerTimeout,
    BrokerUnreachable,
    InvalidReply,
    KeyRejected,
)
from core.accounts.openalgo_client import BrokerConnection


def connect(server, *, key=None, timeout=2.0) -> BrokerConnection:
    return BrokerConnection(server.url, key or server.api_key, timeout=timeout)


def test_ping_posts_the_key_and_returns_the_broker_name(servers):
    server = servers(broker="angelone")
    assert connect(server).ping() == "angelone"
    assert server.requests == [("ping", {"apikey": server.api_key})]


def test_a_whole_book_with_numbers_parsed_from_strings(openalgo):
    book = connect(openalgo).book()
    assert book.funds.available_cash == 320.66 and book.funds.unrealized_pnl == -7.88
    short = next(p for p in book.positions if p.symbol == "NIFTY28MAR2420800CE")
    assert (short.quantity, short.average_price, short.ltp, short.product) == (-75, 112.5, 98.05, "NRML")
    reliance = next(h for h in book.holdings if h.symbol == "RELIANCE")
    assert reliance.average_price is None and reliance.pnl == -149.0  # this broker sends no average price
    assert [o.status for o in book.orders] == ["complete", "cancelled"]
    assert book.orders[0].quantity == 1 and book.orders[0].order_type == "MARKET"
    assert book.trades[0].average_price == 1180.1


def test_a_rejected_key(openalgo):
    with pytest.raises(KeyRejected, match="rejected the API key \\(Invalid openalgo apikey\\)"):
        connect(openalgo, key="0" * 64).ping()


def test_an_unreachable_host():
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with pytest.raises(BrokerUnreachable, match=f"cannot reach OpenAlgo at http://127.0.0.1:{port}"):
        BrokerConnection(f"http://127.0.0.1:{port}", "k" * 64, timeout=2).ping()


def test_a_host_that_does_not_answer_in_time(openalgo):
    openalgo.fail("funds", "timeout")
    openalgo.slow_seconds = 2.0
    with pytest.raises(BrokerTimeout, match="did not answer funds within 0.3 s"):
        connect(openalgo, timeout=0.3).funds()


@pytest.mark.parametrize(
    ("mode", "error", "message"),
    [
        ("500", BrokerError, "positionbook failed: HTTP 500: An unexpected error occurred"),
        ("broker_error", BrokerError, "HTTP 500: Error fetching positions data: session expired"),
        ("html_502", BrokerServerError, "failed on positionbook \\(HTTP 502\\)"),
        ("invalid_json", InvalidReply, "positionbook reply is not JSON"),
    ],
)
def test_server_failures_are_named(openalgo, mode, error, message):
    openalgo.fail("positionbook", mode)
    with pytest.raises(error, match=message) as raised:
        connect(openalgo).positions()
    assert openalgo.api_key not in str(raised.value)
    assert "\n" not in str(raised.value)


def test_a_malformed_number_names_the_endpoint_and_row(openalgo):
    openalgo.book.positions = [{**openalgo.book.positions[0], "ltp": "eighty"}]
    with pytest.raises(InvalidReply, match="positionbook row 'NHPC': ltp is not a number"):
        connect(openalgo).positions()


def test_a_reply_of_the_wrong_shape(openalgo):
    openalgo.book.positions = {"not": "a list"}
    with pytest.raises(InvalidReply, match="positionbook: expected a list"):
        connect(openalgo).positions()


def test_the_connection_never_shows_its_key(openalgo):
    connection = connect(openalgo)
    assert openalgo.api_key not in repr(connection)

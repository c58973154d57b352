"""Fixtures for the wheel tests: the stored market and Alice's books on each backend, and her actor."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.accounts import service as accounts
from core.auth import LOCAL_OPERATOR, Actor, Role
from core.db.engine import unit_of_work
from core.db.models import User
from tests.wheel import market


@pytest.fixture
def wheel_db(committed_engine):
    with unit_of_work(committed_engine, write=True) as session:
        market.insert_market(session)
        market.insert_books(session)
    return committed_engine


@pytest.fixture
def alice(wheel_db) -> Actor:
    with unit_of_work(wheel_db) as session:
        user_id = session.scalar(select(User.id).where(User.username == "alice"))
    return Actor(user_id, "alice", Role.TRADER)


# The accounts tests' fixtures: a private key file, secret keys per backend, local OpenAlgo servers, owners.
from tests.accounts.conftest import (  # noqa: E402,F401
    add_account,
    db,
    key_file,
    make_user,
    openalgo,
    servers,
    set_secret_keys,
)

CYCLES_AS_OF = dt.date(2026, 12, 1)  # the as-of date of the scripted trades


def _trade(day: str, action: str, symbol: str, quantity: int, price: float) -> dict:
    return {"action": action, "symbol": symbol, "exchange": "NASDAQ", "orderid": f"{day}-{symbol}-{action}",
            "product": "NRML", "quantity": str(quantity), "average_price": price, "timestamp": f"{day} 10:00:00",
            "trade_value": price * quantity}  # fmt: skip


SCRIPT = [
    # cycle 1: sell a put, assigned, sell a call, called away
    _trade("05-Jan-2026", "SELL", "AAPL16JAN26150PE", 100, 3.00),
    _trade("16-Jan-2026", "BUY", "AAPL", 100, 150.00),  # assignment at the strike
    _trade("20-Jan-2026", "SELL", "AAPL20FEB26155CE", 100, 2.00),
    _trade("20-Feb-2026", "SELL", "AAPL", 100, 155.00),  # called away at the strike
    # cycle 2: a put that expires worthless
    _trade("02-Mar-2026", "SELL", "AAPL20MAR26145PE", 100, 2.50),
    # cycle 3: a put still open on AS_OF
    _trade("20-Nov-2026", "SELL", "AAPL18DEC26150PE", 100, 4.00),
    # not the wheel: shares bought and sold with no option
    _trade("03-Mar-2026", "BUY", "MSFT", 10, 400.00),
]


@pytest.fixture
def synced(db, make_user, openalgo, add_account):  # noqa: F811 (the accounts fixtures, imported above)
    make_user("wendy", role="trader")
    openalgo.book.trades = SCRIPT
    openalgo.book.positions, openalgo.book.holdings = [], []
    add_account("wheeler", openalgo, owner="wendy")
    report = accounts.sync_now(db, LOCAL_OPERATOR, "wheeler")
    assert report.failed == 0
    return db

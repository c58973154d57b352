"""The Wheel page in AppTest on both databases: Alice's short put with its status and rolls, covered calls on her
holdings (never below cost), puts sized to her cash, cycles from trades with the legs' chart; who sees what."""

from __future__ import annotations

import datetime as dt

import pytest
import streamlit as st
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core.config import get_settings
from core.db.engine import unit_of_work
from core.db.models import Trade
from tests.conftest import REPO_ROOT
from tests.pages.conftest import no_exception, signed_in, texts
from tests.wheel import market

PAGE = "pages/wheel.py"
MARKS = {"wheel.positions": "position_id", "wheel.rolls": "net_credit", "wheel.calls": "contracts_covered",
         "wheel.puts": "contracts_affordable", "wheel.cycles": "outcome", "wheel.legs": "kind"}  # fmt: skip


def table(app, key: str):
    """The page's table of that key (AppTest finds tables by content: each has a column no other has)."""
    return next(f.value for f in app.dataframe if MARKS[key] in f.value.columns)


@pytest.fixture
def open_wheel(monkeypatch, committed_engine, db_url):
    with unit_of_work(committed_engine, write=True) as session:
        market.insert_market(session)
        account_id = market.insert_books(session)
        for day, action, symbol, quantity, price in (
            (dt.date(2026, 1, 5), "SELL", "AAA260116P00095000", 100, 2.0),
            (dt.date(2026, 1, 16), "BUY", "AAA", 100, 95.0),
            (dt.date(2026, 1, 20), "SELL", "AAA260220C00100000", 100, 1.5),
            (dt.date(2026, 2, 20), "SELL", "AAA", 100, 100.0),
        ):
            session.add(Trade(account_id=account_id, order_id=f"{day}{action}", symbol=symbol, exchange="NASDAQ",
                              action=action, quantity=quantity, average_price=price, trade_date=day,
                              traded_at=dt.datetime.combine(day, dt.time(15), dt.UTC)))  # fmt: skip

    def open_as(username: str | None = "alice", role: str = "trader") -> AppTest:
        monkeypatch.setenv("DATABASE_URL", db_url)
        get_settings.cache_clear()
        st.cache_data.clear()
        app = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=60)
        app = signed_in(app, db_url, role, username)
        app.session_state["wheel.as_of"] = market.AS_OF
        return app.run()

    yield open_as
    get_settings.cache_clear()


def test_the_wheel_of_a_trader(open_wheel):
    app = open_wheel()
    no_exception(app)
    positions = table(app, "wheel.positions")
    assert list(positions.symbol) == [market.SHORT_PUT] and list(positions.status) == ["hold"]
    rolls = table(app, "wheel.rolls")
    assert len(rolls) == 4 and (rolls.strike <= 95).all()
    calls = table(app, "wheel.calls")
    assert set(calls.symbol) == {"AAA", "CCC"} and (calls[calls.symbol == "AAA"].strike >= 102).all()
    assert dict(zip(calls.symbol, calls.contracts_covered, strict=True))["AAA"] == 2
    puts = table(app, "wheel.puts")
    assert "CCC" not in set(puts.symbol) and (puts.contracts_affordable >= 1).all()
    assert "10,500.00" in [m.value for m in app.metric]
    cycles = table(app, "wheel.cycles")
    assert list(cycles.outcome) == ["called away"]
    # premiums 200 + 150; shares 9,500 -> 10,000: realised 850
    assert cycles.realized_pnl.iloc[0] == pytest.approx(850.0)
    legs = table(app, "wheel.legs")
    assert list(legs.kind) == ["put sold", "assigned", "call sold", "called away"]
    assert len(app.get("plotly_chart")) == 1
    # take profit at 15 % captured: the put has kept 18 %
    app.slider(key="wheel.take_profit").set_value(15).run()
    assert list(table(app, "wheel.positions").status) == ["take profit"]
    # in-the-money calls (|delta| 0.6-1) on AAA are all below the 102 paid: hidden until the toggle is off
    app.slider(key="wheel.calls.delta").set_value((0.6, 1.0)).run()
    assert "AAA" not in set(table(app, "wheel.calls").symbol)
    app.toggle(key="wheel.never_below_cost").set_value(False).run()
    calls = table(app, "wheel.calls")
    assert calls[calls.symbol == "AAA"].strike.iloc[0] < 102


def test_another_trader_sees_no_accounts_and_a_viewer_cannot_open_it(open_wheel):
    app = open_wheel("bob")
    no_exception(app)
    assert "No broker accounts yet" in texts(app.info)
    viewer = open_wheel(None, role="viewer")
    assert "Wheel" not in texts(viewer.title) and not viewer.dataframe


def test_cycles_show_the_fees_reported_and_say_when_some_are_unknown(open_wheel, committed_engine):
    with unit_of_work(committed_engine, write=True) as session:
        for trade in session.scalars(select(Trade).where(Trade.symbol.like("AAA2%"))):
            trade.fees = 0.65  # the two option sales report their fees; the share trades do not
    app = open_wheel()
    no_exception(app)
    cycles = table(app, "wheel.cycles")
    assert cycles.fees.iloc[0] == pytest.approx(1.30) and list(cycles.fees_status) == ["partial"]
    assert cycles.realized_pnl.iloc[0] == pytest.approx(850.0 - 1.30)
    assert "1.30" in [m.value for m in app.metric]
    assert any("1 of 1 cycles have trades without reported fees" in c.value for c in app.caption)
    assert list(table(app, "wheel.legs").fees.fillna(0)) == [0.65, 0.0, 0.65, 0.0]

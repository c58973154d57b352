"""Scan Premiums' "my holdings" scope in AppTest on both databases: Alice's covered calls (contracts covered, cost
basis, never below cost), her puts sized to her free cash with the unaffordable hidden; a viewer sees no scope."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.config import get_settings
from core.db.engine import unit_of_work
from core.db.models import StockData
from core.premiums.filters import PremiumFilters
from tests.conftest import REPO_ROOT
from tests.pages.conftest import no_exception, signed_in
from tests.wheel import market

PAGE = "pages/premiums.py"
SCOPE_COLUMNS = {"contracts_covered", "cost_basis", "contracts_affordable"}


@pytest.fixture
def open_scan(monkeypatch, committed_engine, db_url):
    with unit_of_work(committed_engine, write=True) as session:
        market.insert_market(session)
        market.insert_books(session)
        for symbol, spot in market.SPOTS.items():  # the page screens once a sync has stored chains
            session.add(StockData(symbol=symbol, price=spot, contracts=len(market.EXPIRIES) * 10))

    def open_as(username: str | None = "alice", role: str = "trader", strategy: str = "cc") -> AppTest:
        monkeypatch.setenv("DATABASE_URL", db_url)
        get_settings.cache_clear()
        st.cache_data.clear()
        app = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=60)
        app = signed_in(app, db_url, role, username)
        start = PremiumFilters(strategy=strategy, dte=(7, 45), delta=(0.0, 1.0), all_contracts=True, as_of=market.AS_OF)
        app.session_state["premiums:current"] = start
        return app.run()

    yield open_as
    get_settings.cache_clear()


def _table(app):
    return app.dataframe(key="premiums:table").value


def test_covered_calls_on_my_holdings_with_contracts_covered_and_never_below_cost(open_scan):
    app = open_scan()
    no_exception(app)
    everything = _table(app)
    assert not SCOPE_COLUMNS & set(everything.columns)  # the scope is off: every stock, no scope columns
    assert "BBB" in set(everything.symbol)
    app.toggle(key="premiums:holdings").set_value(True).run()
    no_exception(app)
    calls = _table(app)
    assert set(calls.symbol) == {"AAA", "CCC"}  # 80 BBB shares are less than one contract
    covered = dict(zip(calls.symbol, calls.contracts_covered, strict=False))
    assert covered == {"AAA": 2, "CCC": 1}  # 250 shares cover 2 contracts
    assert calls[calls.symbol == "AAA"].cost_basis.iloc[0] == pytest.approx(102.0)
    assert (calls[calls.symbol == "AAA"].strike < 102).any()
    app.toggle(key="premiums:never_below_cost").set_value(True).run()
    kept = _table(app)
    assert sorted(set(kept[kept.symbol == "AAA"].strike)) == [105.0, 110.0]  # 90-100 are below the 102 paid


def test_puts_sized_to_my_cash_hide_what_it_cannot_secure(open_scan):
    app = open_scan(strategy="csp")
    app.toggle(key="premiums:holdings").set_value(True).run()
    no_exception(app)
    puts = _table(app)
    assert "contracts_affordable" in puts.columns and "contracts_covered" not in puts.columns
    assert set(puts.symbol) == {"AAA", "BBB"}  # CCC's 270-330 strikes need more than the 10,500 free
    assert (puts.contracts_affordable == 10_500 // (puts.strike * 100)).all()
    assert any("Free cash $10,500.00" in c.value for c in app.caption)
    app.toggle(key="premiums:affordable_only").set_value(False).run()
    everything = _table(app)
    assert "CCC" in set(everything.symbol) and (everything[everything.symbol == "CCC"].contracts_affordable == 0).all()


def test_a_viewer_sees_no_scope_control(open_scan):
    app = open_scan(None, role="viewer")
    no_exception(app)
    assert "premiums:holdings" not in [t.key for t in app.toggle]
    assert not SCOPE_COLUMNS & set(_table(app).columns)

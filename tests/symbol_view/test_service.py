"""The Symbol page's service on both databases: the search list, the term structure (ATM IV and the expected
move worked by hand), the out-of-the-money smile, the chain of an expiry and the payoff of a chosen contract."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from core.db.engine import unit_of_work
from core.db.models import StockData
from core.symbol_view import service
from tests.premiums import dataset
from tests.support.actors import VIEWER

AS_OF = dataset.AS_OF
EXPIRY = AS_OF + dt.timedelta(days=18)


def _contract(option_type: str, strike: float, iv: float, bid: float, flag=None) -> dict:
    return {
        "symbol": "WHL",
        "expiration_date": EXPIRY,
        "option_type": option_type,
        "strike_price": strike,
        "bid": bid,
        "ask": bid + 0.2,
        "mid": bid + 0.1,
        "implied_volatility": iv,
        "delta": -0.3 if option_type == "put" else 0.3,
        "underlying_price": 101.0,
        "quote_time": dataset.QUOTE_TIME,
        "fetched_at": dataset.FETCHED_AT,
        "quality_flag": flag,
        "contract_symbol": f"WHL{option_type[0]}{strike:g}",
    }


@pytest.fixture
def stored(committed_engine):
    import pandas as pd

    contracts = [
        _contract("put", 95.0, 0.34, 1.0),
        _contract("put", 100.0, 0.30, 2.0),
        _contract("put", 105.0, 0.27, 5.0),
        _contract("call", 95.0, 0.25, 6.5),
        _contract("call", 100.0, 0.26, 2.9),
        _contract("call", 105.0, 0.24, 1.1),
        _contract("call", 110.0, 0.90, 0.3, flag="iv_out_of_bounds"),  # never in a smile
    ]
    stocks = [
        {
            "symbol": "WHL",
            "name": "Wheel Co",
            "sector": "Industrials",
            "next_earnings_date": None,
            "dividend_yield": 0.02,
            "ex_dividend_date": AS_OF + dt.timedelta(days=9),
            "market_cap": 5 * 10**9,
        }
    ]
    rows = dataset.Dataset(
        pd.DataFrame(stocks), pd.DataFrame([{"symbol": "WHL", "iv_rank": 40.0}]), pd.DataFrame(contracts)
    )
    with unit_of_work(committed_engine, write=True) as session:
        dataset.insert_dataset(session, rows)
        session.get(StockData, "WHL").hv20 = 0.22
    return committed_engine


def test_search_lists_stored_stocks(stored):
    assert [c.label for c in service.symbols(stored, VIEWER)] == ["WHL — Wheel Co"]


def test_term_structure_is_the_atm_iv_and_the_expected_move_by_hand(stored):
    view = service.overview(stored, VIEWER, " whl ", as_of=AS_OF)
    assert view.expirations == [EXPIRY]
    assert (view.profile.hv20, view.profile.ex_dividend_date) == (0.22, AS_OF + dt.timedelta(days=9))
    row = view.term.iloc[0]
    # spot 101: the nearest strike is 100, whose put (30 %) and call (26 %) average 28 %
    assert row.atm_iv == pytest.approx(0.28)
    assert row.dte == 18
    assert row.expected_move == pytest.approx(101 * 0.28 * math.sqrt(18 / 365))  # 6.28 dollars
    assert row.expected_move == pytest.approx(6.2802, abs=1e-4)
    assert row.expected_move_pct == pytest.approx(6.2180, abs=1e-4)


def test_smile_keeps_the_out_of_the_money_wing_of_each_side(stored):
    view = service.expiry(stored, VIEWER, "WHL", EXPIRY, as_of=AS_OF)
    smile = list(zip(view.smile.option_type, view.smile.strike, view.smile.iv, strict=True))
    assert smile == [("put", 95.0, 0.34), ("put", 100.0, 0.30), ("call", 105.0, 0.24)]
    assert len(view.chain) == 7 and view.dte == 18 and view.spot == 101.0
    table = view.side_by_side()
    assert list(table.strike) == [95.0, 100.0, 105.0, 110.0]


def test_payoff_of_a_chosen_contract(stored):
    view = service.expiry(stored, VIEWER, "WHL", EXPIRY, as_of=AS_OF)
    put = view.payoff("put", 95.0)  # mid 1.10: keep $110 above 95, breakeven 93.90
    assert (put.breakeven, put.max_profit) == (pytest.approx(93.9), pytest.approx(110.0))
    call = view.payoff("call", 105.0)  # covered call: S - mid = 101 - 1.20; called away at 105: 4 + 1.2 a share
    assert (call.breakeven, call.max_profit) == (pytest.approx(99.8), pytest.approx(520.0))
    with pytest.raises(service.NoTradableContract, match="no tradable put at 120"):
        view.payoff("put", 120.0)


def test_an_unknown_or_malformed_symbol_is_a_clear_error(stored):
    with pytest.raises(service.UnknownSymbol, match="no stock 'NOPE' is stored"):
        service.overview(stored, VIEWER, "nope")
    with pytest.raises(service.UnknownSymbol, match="not a ticker symbol"):
        service.overview(stored, VIEWER, "a b;")

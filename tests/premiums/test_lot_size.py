"""Premium and capital per contract of the contract's own size (DESIGN section 4: "the lot size where a market has
one"), on both databases: an NSE-like account synced through the openalgo provider, INFY in lots of 50 and NIFTY
in lots of 75, screened, held and shorted. US data (contract size 100) is covered by the rest of tests/premiums."""

from __future__ import annotations

import numpy as np
import pytest
from sqlalchemy import update

from core.db.engine import unit_of_work
from core.db.models import AccountFunds, Holding
from core.premiums.filters import PremiumFilters
from core.premiums.screen import DatabaseScanner
from core.premiums.service import covered_calls, sized_puts
from core.scanner.market import option_rows
from core.wheel.service import open_positions

# The openalgo provider's fixtures: the accounts tests' key file and servers, and the synced NSE account.
from tests.providers.conftest import (  # noqa: F401
    add_account,
    db,
    key_file,
    make_user,
    nse,
    openalgo,
    servers,
    set_secret_keys,
)

PUTS = PremiumFilters(strategy="csp", dte=(1, 120), delta=None, all_contracts=True, limit=1000)
CALLS = PremiumFilters(strategy="cc", dte=(1, 120), delta=None, all_contracts=True, limit=1000)


def _screen(engine, filters: PremiumFilters):
    with unit_of_work(engine) as session:
        return DatabaseScanner(session).best_per_symbol(filters)


def test_premium_intrinsic_and_capital_are_per_lot_of_the_contract(nse):  # noqa: F811 (the fixture imported above)
    puts = _screen(nse.engine, PUTS)
    infy, nifty = puts[puts.symbol == "INFY"], puts[puts.symbol == "NIFTY"]
    assert len(infy) > 30 and len(nifty) > 30
    for rows, size in ((infy, 50), (nifty, 75)):
        assert np.allclose(rows.premium, rows.mid * size)  # a lot of 50: mid x 50, not mid x 100
        assert np.allclose(rows.capital, rows.strike * size)
        intrinsic = np.maximum(rows.strike - rows.underlying_price, 0) * size
        assert np.allclose(rows.intrinsic, intrinsic)
        assert np.allclose(rows.extrinsic, np.maximum(rows.premium - intrinsic, 0))
        assert np.allclose(rows.monthly_return, rows.premium / rows.capital * 30 / rows.dte * 100)
        assert np.allclose(rows.flat_return, rows.extrinsic / rows.capital * 100)
    row = infy[(infy.strike == 1500.0)].iloc[0]
    assert row.premium == pytest.approx(row.mid * 50) and row.capital == pytest.approx(75_000.0)


def test_the_bid_basis_is_per_lot_too(nse):  # noqa: F811 (the fixture imported above)
    puts = _screen(nse.engine, PremiumFilters(**{**PUTS.__dict__, "price_basis": "bid"}))
    infy = puts[puts.symbol == "INFY"]
    assert np.allclose(infy.premium, infy.bid * 50)


def test_120_shares_in_lots_of_50_cover_two_contracts(nse):  # noqa: F811 (the fixture imported above)
    calls = covered_calls(nse.engine, nse.actor, CALLS)
    assert set(calls.symbol) == {"INFY"} and (calls.contracts_covered == 2).all()  # 120 // 50 (not 120 // 100)
    assert (calls.cost_basis == 1450.0).all()
    assert np.allclose(calls.capital, calls.underlying_price * 50)
    called = (calls.premium + (calls.strike - calls.underlying_price) * 50) / calls.capital * 100
    assert np.allclose(calls.if_called_return, called)
    with unit_of_work(nse.engine, write=True) as session:
        session.execute(update(Holding).where(Holding.symbol == "INFY").values(quantity=40))
    assert covered_calls(nse.engine, nse.actor, CALLS).empty  # 40 shares are less than one lot


def test_puts_are_sized_to_cash_in_lots(nse):  # noqa: F811 (the fixture imported above)
    with unit_of_work(nse.engine, write=True) as session:
        session.execute(update(AccountFunds).values(available_cash=1_000_000.0))
    puts = sized_puts(nse.engine, nse.actor, PUTS, affordable_only=False)
    infy = puts[puts.symbol == "INFY"]
    assert (infy.contracts_affordable == (1_000_000.0 // (infy.strike * 50)).astype(int)).all()


def test_a_short_lot_is_one_contract_on_the_wheel(nse):  # noqa: F811 (the fixture imported above)
    positions = open_positions(nse.engine, nse.actor)
    row = positions[positions.underlying == "INFY"].iloc[0]
    assert row.quantity == -50 and row.contracts == 1.0  # one lot of 50, not half a contract of 100
    assert row.premium_received == pytest.approx(12.5 * 50) and row.price_source == "chain"


def test_the_scanner_sees_premiums_per_lot(nse):  # noqa: F811 (the fixture imported above)
    with nse.engine.connect() as conn:
        rows = option_rows(conn, ["INFY"], nse.run.created_at.date(), 0.065)["INFY"].rows
    assert rows and all(r["premium"] == pytest.approx(r["mid"] * 50) for r in rows if r["mid"] is not None)


def test_the_symbol_views_payoff_is_per_lot(nse):  # noqa: F811 (the fixture imported above)
    from core.symbol_view import service as symbol_view

    expiry = sorted(nse.server.market.underlyings["INFY"].expiries)[0]
    view = symbol_view.expiry(nse.engine, nse.actor, "INFY", expiry)
    payoff = view.payoff("put", 1400.0)  # out of the money: the whole premium is the most it can make
    assert payoff.trade.contract_size == 50
    assert payoff.max_profit == pytest.approx(payoff.trade.mid * 50)
    assert payoff.payoff.pnl.min() == pytest.approx((payoff.trade.mid - (1400.0 - payoff.payoff.price.min())) * 50)

"""Covered calls on holdings and puts sized to cash: the screen query with a scope (core.premiums.query.Scope)."""

from __future__ import annotations

import math

import pytest

from core.auth import PermissionDenied
from core.premiums.filters import PremiumFilters
from core.wheel import service
from tests.support.actors import ADMIN, VIEWER
from tests.wheel.market import AS_OF

CALLS = PremiumFilters(strategy="cc", dte=(7, 45), delta=None, all_contracts=True, as_of=AS_OF)
PUTS = PremiumFilters(strategy="csp", dte=(7, 45), delta=None, all_contracts=True, as_of=AS_OF)


def test_holdings_in_lots_of_a_contract_get_covered_calls_with_contracts_covered(wheel_db, alice):
    frame = service.covered_calls(wheel_db, alice, CALLS)
    assert set(frame.symbol) == {"AAA", "CCC"}  # 80 BBB is less than one contract
    assert set(frame.option_type) == {"call"} and len(frame) == 2 * 3 * 5  # every AAA and CCC call
    covered = frame.groupby("symbol").contracts_covered.first()
    assert covered["AAA"] == 2  # 250 shares cover 2 contracts
    assert covered["CCC"] == 1
    cost = frame.groupby("symbol").cost_basis.first()
    assert cost["AAA"] == pytest.approx(102.0) and math.isnan(cost["CCC"])  # no average price reported


def test_never_below_cost_keeps_strikes_at_or_above_the_cost_basis(wheel_db, alice):
    frame = service.covered_calls(wheel_db, alice, CALLS, never_below_cost=True)
    aaa = frame[frame.symbol == "AAA"]
    assert sorted(set(aaa.strike)) == [105.0, 110.0]  # 90, 95 and 100 are below the 102 paid
    assert len(frame[frame.symbol == "CCC"]) == 15  # an unknown cost basis limits nothing


def test_best_per_symbol_with_holdings_is_one_row_per_held_symbol(wheel_db, alice):
    frame = service.covered_calls(wheel_db, alice, PremiumFilters(strategy="cc", delta=None, as_of=AS_OF))
    assert sorted(frame.symbol) == ["AAA", "CCC"]


def test_puts_are_sized_to_cash_less_what_open_short_puts_reserve(wheel_db, alice):
    cash = service.put_cash(wheel_db, alice)
    assert (cash.available, cash.reserved, cash.free) == (20_000.0, 9_500.0, 10_500.0)  # one short 95 put
    everything = service.sized_puts(wheel_db, alice, PUTS, affordable_only=False)
    assert (everything.contracts_affordable == (10_500.0 // (everything.strike * 100))).all()
    ccc = everything[everything.symbol == "CCC"]
    assert (ccc.contracts_affordable == 0).all()  # a 270-330 strike needs 27,000-33,000
    affordable = service.sized_puts(wheel_db, alice, PUTS)
    assert "CCC" not in set(affordable.symbol)  # hidden: more cash than is free
    assert set(affordable.symbol) == {"AAA", "BBB"} and (affordable.contracts_affordable >= 1).all()
    assert affordable[affordable.symbol == "BBB"].contracts_affordable.max() == 10_500 // (45 * 100)
    assert affordable.attrs["cash"]["free"] == 10_500.0


def test_roles_as_for_accounts(wheel_db, alice):
    with pytest.raises(PermissionDenied):
        service.covered_calls(wheel_db, VIEWER, CALLS)
    assert set(service.covered_calls(wheel_db, ADMIN, CALLS).symbol) == {"AAA", "CCC"}  # every account
    with pytest.raises(PermissionDenied):  # someone else's account by name
        service.covered_calls(wheel_db, service_actor_bob(), CALLS, account="alice-main")


def service_actor_bob():
    from core.auth import Actor, Role

    return Actor(10_000, "bob", Role.TRADER)


def test_holdings_and_cash_synced_from_openalgo(db, make_user, openalgo, add_account):
    """The same through the Accounts sync: holdings, funds and a short put from a local OpenAlgo server."""
    from core.accounts import service as accounts
    from core.auth import LOCAL_OPERATOR
    from core.db.engine import unit_of_work
    from tests.wheel import market

    with unit_of_work(db, write=True) as session:
        market.insert_market(session)
    make_user("olga", role="trader")
    openalgo.book.holdings = [
        {"symbol": "AAA", "exchange": "NASDAQ", "product": "CNC", "quantity": 250, "average_price": 101.0,
         "ltp": 100.0, "pnl": -250.0, "pnlpercent": -1.0},
    ]  # fmt: skip
    openalgo.book.positions = [
        {"symbol": "AAA15DEC2695PE", "exchange": "NASDAQ", "product": "NRML", "quantity": "-100",
         "average_price": "2.00", "ltp": "1.70", "pnl": "30.00"},
    ]  # fmt: skip
    openalgo.book.funds = {**openalgo.book.funds, "availablecash": "14000.00"}
    add_account("olga-live", openalgo, owner="olga")
    assert accounts.sync_now(db, LOCAL_OPERATOR, "olga-live").failed == 0
    calls = service.covered_calls(db, LOCAL_OPERATOR, CALLS, account="olga-live")
    assert set(calls.symbol) == {"AAA"} and set(calls.contracts_covered) == {2}  # 250 shares: 2 contracts
    cash = service.put_cash(db, LOCAL_OPERATOR, account="olga-live")
    assert (cash.available, cash.reserved, cash.free) == (14_000.0, 9_500.0, 4_500.0)  # 100 units of a 95 put
    puts = service.sized_puts(db, LOCAL_OPERATOR, PUTS, account="olga-live")
    assert set(puts.symbol) == {"BBB"}  # AAA's 90-110 puts need 9,000-11,000: hidden
    assert (puts.contracts_affordable == 1).all() and puts.strike.max() <= 45.0

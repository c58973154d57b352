"""Wheel cycles derived from trades synced from a local OpenAlgo server: a scripted sequence worked by hand,
idempotent re-derivation, the strategies / strategy_deployments rows; and imported CSV positions."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.accounts import service as accounts
from core.auth import LOCAL_OPERATOR
from core.db.engine import unit_of_work
from core.db.models import ActivityLog, Strategy, StrategyDeployment
from core.premiums.filters import PremiumFilters
from core.wheel import service
from core.wheel.cycles import Fill, derive_cycles
from tests.wheel import market
from tests.wheel.conftest import CYCLES_AS_OF as AS_OF


def test_a_scripted_wheel_yields_the_pnl_worked_out_by_hand(synced):
    cycles = service.cycles(synced, LOCAL_OPERATOR, account="wheeler", as_of=AS_OF)
    assert [(c.underlying, c.status, c.outcome) for c in cycles] == [
        ("AAPL", "closed", "called away"),
        ("AAPL", "closed", "puts only"),
        ("AAPL", "open", "open"),
    ]
    first, second, third = cycles
    assert [leg.kind for leg in first.legs] == ["put sold", "assigned", "call sold", "called away"]
    # premiums 300 + 200 = 500; shares bought 15,000, sold 15,500: +500; realised 1,000
    assert first.premiums == pytest.approx(500.0)
    assert first.realized_pnl == pytest.approx(1_000.0)
    assert first.cost_basis == pytest.approx(145.0)  # (15,000 - 500) / 100
    assert first.capital == pytest.approx(15_000.0) and first.days == 46  # 5 Jan to 20 Feb
    assert first.annualized_return == pytest.approx(1_000 / 15_000 * 365 / 46 * 100)  # 52.90 %
    assert first.fees is None  # the tradebook reports none
    assert [leg.kind for leg in second.legs] == ["put sold", "expired"]
    assert second.end == dt.date(2026, 3, 20) and second.realized_pnl == pytest.approx(250.0)
    assert second.annualized_return == pytest.approx(250 / 14_500 * 365 / 18 * 100)
    assert third.end is None and third.realized_pnl is None and third.premiums == pytest.approx(400.0)


def test_re_deriving_changes_nothing(synced):
    service.cycles(synced, LOCAL_OPERATOR, account="wheeler", as_of=AS_OF)

    def state():
        with unit_of_work(synced) as session:
            deployments = session.execute(
                select(
                    StrategyDeployment.account_id,
                    StrategyDeployment.total_pnl,
                    StrategyDeployment.status,
                    StrategyDeployment.capital_allocated,
                    StrategyDeployment.started_at,
                )  # fmt: skip
            ).all()
            return (
                session.scalar(select(func.count()).select_from(Strategy)),
                deployments,
                session.scalar(select(func.count()).where(ActivityLog.action == "wheel_cycles_recorded")),
            )

    before = state()
    assert before[0] == 1 and len(before[1]) == 1 and before[2] == 1
    assert before[1][0][1:4] == (1_250.0, "active", 15_000.0)  # 1,000 + 250 realised; cycle 3 still open
    again = service.cycles(synced, LOCAL_OPERATOR, account="wheeler", as_of=AS_OF)
    assert state() == before  # no new strategy, deployment or activity row
    assert [c.to_json() for c in again] == [
        c.to_json() for c in service.cycles(synced, LOCAL_OPERATOR, account="wheeler", as_of=AS_OF)
    ]


def test_a_trader_sees_only_their_own_cycles(synced, make_user):
    from core.auth import Actor, PermissionDenied, Role

    other = Actor(make_user("otto", role="trader"), "otto", Role.TRADER)
    assert service.cycles(synced, other, as_of=AS_OF, record=False) == []
    with pytest.raises(PermissionDenied):
        service.cycles(synced, other, account="wheeler", as_of=AS_OF)


def test_an_early_assignment_and_a_put_bought_back():
    day = dt.date(2026, 4, 1)

    def fill(offset, action, symbol, qty, price):
        when = dt.datetime.combine(day + dt.timedelta(days=offset), dt.time(15), dt.UTC)
        return Fill("acct", symbol, action, qty, price, when, when.date())

    cycles = derive_cycles(
        [
            fill(0, "SELL", "XYZ  260430P00050000", 200, 1.00),
            fill(5, "BUY", "XYZ  260430P00050000", 100, 0.40),  # half bought back
            fill(10, "BUY", "XYZ", 100, 50.0),  # the other half assigned early
            fill(12, "SELL", "XYZ", 100, 49.0),  # shares sold at a loss, no call
        ],
        dt.date(2026, 12, 1),
    )
    (cycle,) = cycles
    assert [leg.kind for leg in cycle.legs] == ["put sold", "bought back", "assigned", "shares sold"]
    assert (
        derive_cycles(
            [fill(0, "BUY", "XYZ  260430C00055000", 100, 1.0), fill(3, "SELL", "XYZ  260430C00055000", 100, 1.5)],
            dt.date(2026, 12, 1),
        )
        == []
    )  # a long call bought and sold: not the wheel
    assert cycle.realized_pnl == pytest.approx(200 - 40 + 4_900 - 5_000)  # 60


def test_a_call_written_on_shares_held_from_before_counts_only_its_premium():
    def fill(day, action, symbol, price):
        when = dt.datetime(2026, 5, day, 15, tzinfo=dt.UTC)
        return Fill("acct", symbol, action, 100, price, when, when.date())

    (cycle,) = derive_cycles(
        [fill(4, "SELL", "XYZ15MAY2655CE", 1.20), fill(15, "SELL", "XYZ", 55.0)],  # called away, shares not bought here
        dt.date(2026, 12, 1),
    )
    assert [leg.kind for leg in cycle.legs] == ["call sold", "called away"] and cycle.status == "closed"
    assert cycle.shares_from_before == 100 and cycle.realized_pnl == pytest.approx(120.0)  # their cost is unknown
    assert cycle.cost_basis is None


def test_imported_csv_positions_cover_calls_and_appear_as_open_positions(db, make_user, tmp_path):
    make_user("ivy", role="trader")
    accounts.add_account(db, LOCAL_OPERATOR, name="ivy-ira", broker="schwab", owner="ivy")
    with unit_of_work(db, write=True) as session:
        market.insert_market(session)
    csv = tmp_path / "positions.csv"
    csv.write_text(
        "symbol,quantity,average_price,last_price\n"
        "AAA,250,98.50,100\n"
        f"{market.SHORT_PUT.replace('   ', ' ')},-2,1.80,1.60\n"
    )
    accounts.import_account_positions(db, LOCAL_OPERATOR, "ivy-ira", csv, preset="generic")
    calls = service.covered_calls(
        db, LOCAL_OPERATOR, PremiumFilters(strategy="cc", delta=None, as_of=market.AS_OF), account="ivy-ira"
    )
    assert list(calls.symbol) == ["AAA"] and calls.contracts_covered.iloc[0] == 2
    assert calls.cost_basis.iloc[0] == pytest.approx(98.50)
    (row,) = service.open_positions(db, LOCAL_OPERATOR, account="ivy-ira", as_of=market.AS_OF).itertuples()
    assert (row.underlying, row.strike, row.contracts, row.quantity) == ("AAA", 95.0, 2, -2)
    assert row.pnl == pytest.approx((1.80 - market.mid_of("put", 95.0, 100.0, 14)) * 200)

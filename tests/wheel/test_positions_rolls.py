"""Open short options (status, P&L, capture) and their roll candidates, checked against a pandas computation over
the stored chain that never calls the screen."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import select

from core.db.engine import unit_of_work
from core.db.models import Position, Stock, StockPremium
from core.wheel import service
from core.wheel.positions import StatusRules, assignment_risk, status
from tests.wheel.market import AS_OF, SHORT_PUT, mid_of


def _position_id(engine) -> int:
    with unit_of_work(engine) as session:
        return session.scalar(select(Position.id).where(Position.symbol == SHORT_PUT))


def test_an_open_short_put_with_its_mid_pnl_capture_and_status(wheel_db, alice):
    frame = service.open_positions(wheel_db, alice, as_of=AS_OF)
    assert len(frame) == 1
    row = frame.iloc[0]
    mid = mid_of("put", 95.0, 100.0, 14)  # 1.64, the stored chain's mid of this contract
    assert (row.underlying, row.option_type, row.strike, row.expiration_date, row.dte) == (
        "AAA",
        "put",
        95.0,
        dt.date(2026, 12, 15),
        14,
    )
    assert row.contracts == 1 and row.mid == pytest.approx(mid) and row.price_source == "chain"
    assert row.pnl == pytest.approx((2.00 - mid) * 100)  # sold at 2.00, buys back at the mid
    assert row.capture_pct == pytest.approx((1 - mid / 2.00) * 100)
    assert not row.in_the_money and row.status == "hold" and row.delta < 0
    # the same position with a 15 % take-profit rule has captured enough
    rules = StatusRules(take_profit_pct=15)
    assert service.open_positions(wheel_db, alice, as_of=AS_OF, rules=rules).iloc[0].status == "take profit"
    # eleven days later, out of the money with 3 days left: let it expire
    later = service.open_positions(wheel_db, alice, as_of=AS_OF + dt.timedelta(days=11))
    assert later.iloc[0].status == "let expire" and later.iloc[0].dte == 3
    # past its expiry and still in the books: expired, no assignment risk to weigh and nothing to roll
    gone = service.open_positions(wheel_db, alice, as_of=AS_OF + dt.timedelta(days=15)).iloc[0]
    assert (gone.status, gone.dte, gone.assignment_risk) == ("expired", -1, None)
    with pytest.raises(service.PositionNotFound, match=r"expired on 2026-12-15: nothing to roll"):
        service.rolls(wheel_db, alice, int(gone.position_id), as_of=AS_OF + dt.timedelta(days=15))


def test_status_and_risk_rules():
    rules = StatusRules()
    assert status(80, True, 10, rules) == "roll"  # in the money near expiry beats any capture
    assert status(10, False, 3, rules) == "let expire"
    assert status(55, False, 20, rules) == "take profit"
    assert status(20, None, 20, rules) == "hold"
    assert status(90, True, -1, rules) == "expired"  # past expiry beats every other rule
    assert assignment_risk(True, 0.2, 30) == "high"
    assert assignment_risk(False, 0.35, 30) == "medium"
    assert assignment_risk(False, 0.22, 5) == "medium"
    assert assignment_risk(False, 0.1, 30) == "low"
    assert assignment_risk(None, None, 30) == "unknown"
    # an ex-dividend date before expiry raises a short call's risk one level
    assert assignment_risk(False, 0.1, 30, True) == "medium"
    assert assignment_risk(False, 0.35, 30, True) == "high"
    assert assignment_risk(None, None, 30, True) == "unknown"


SHORT_CALL = "AAA   261215C00110000"  # AAA 110 call expiring 2026-12-15: |delta| 0.1, out of the money


def _sell_call_and_set_ex_dividend(engine, ex_date: dt.date | None) -> None:
    with unit_of_work(engine, write=True) as session:
        put = session.scalar(select(Position).where(Position.symbol == SHORT_PUT))
        if session.scalar(select(Position).where(Position.symbol == SHORT_CALL)) is None:
            session.add(Position(account_id=put.account_id, symbol=SHORT_CALL, exchange="NASDAQ", quantity=-1,
                                 average_price=0.80, source="import"))  # fmt: skip
        session.scalar(select(Stock).where(Stock.symbol == "AAA")).ex_dividend_date = ex_date


def test_an_ex_dividend_date_before_expiry_raises_a_short_calls_assignment_risk(wheel_db, alice):
    _sell_call_and_set_ex_dividend(wheel_db, None)
    before = service.open_positions(wheel_db, alice, as_of=AS_OF).set_index("symbol")
    assert (
        before.loc[SHORT_CALL, "assignment_risk"] == "low" and not before.loc[SHORT_CALL, "ex_dividend_before_expiry"]
    )
    put_risk = before.loc[SHORT_PUT, "assignment_risk"]
    _sell_call_and_set_ex_dividend(wheel_db, dt.date(2026, 12, 10))  # between AS_OF and the 15 December expiry
    during = service.open_positions(wheel_db, alice, as_of=AS_OF).set_index("symbol")
    assert during.loc[SHORT_CALL, "assignment_risk"] == "medium"
    assert during.loc[SHORT_CALL, "ex_dividend_before_expiry"]
    assert during.loc[SHORT_CALL, "ex_dividend_date"] == dt.date(2026, 12, 10)
    assert (
        during.loc[SHORT_PUT, "assignment_risk"] == put_risk and not during.loc[SHORT_PUT, "ex_dividend_before_expiry"]
    )
    _sell_call_and_set_ex_dividend(wheel_db, dt.date(2026, 12, 16))  # the day after expiry: no early exercise
    after = service.open_positions(wheel_db, alice, as_of=AS_OF).set_index("symbol")
    assert after.loc[SHORT_CALL, "assignment_risk"] == "low"


def _oracle(engine, strike: float, expiry: dt.date, close_mid: float, sold_at: float) -> pd.DataFrame:
    """Roll candidates from the stored chain with pandas alone (DESIGN section 4 and docs/wheel.md)."""
    with engine.connect() as conn:
        chain = pd.read_sql(select(StockPremium.__table__), conn)
    c = chain[
        (chain.symbol == "AAA")
        & (chain.option_type == "put")
        & (pd.to_datetime(chain.expiration_date) > pd.Timestamp(expiry))
        & (chain.strike_price <= strike)
        & (chain["mid"] > 0)
    ].copy()
    c["dte"] = (pd.to_datetime(c.expiration_date) - pd.Timestamp(AS_OF)).dt.days
    premium = c["mid"] * 100
    intrinsic = (c.strike_price - c.underlying_price).clip(lower=0) * 100
    c["flat_return"] = (premium - intrinsic).clip(lower=0) / (c.strike_price * 100) * 100
    c["flat_annualized_return"] = c.flat_return * 365 / c.dte
    c["net_credit"] = c["mid"] - close_mid
    c["new_breakeven"] = c.strike_price - (sold_at + c.net_credit)
    c = c.sort_values(["flat_annualized_return", "expiration_date", "strike_price"], ascending=[False, True, True])
    return c.reset_index(drop=True)


def test_roll_candidates_equal_a_pandas_computation_over_the_stored_chain(wheel_db, alice):
    rolls = service.rolls(wheel_db, alice, _position_id(wheel_db), as_of=AS_OF)
    wanted = _oracle(wheel_db, 95.0, dt.date(2026, 12, 15), mid_of("put", 95.0, 100.0, 14), 2.00)
    assert len(rolls) == len(wanted) == 2 * 2  # two later expiries x strikes 90 and 95
    assert list(zip(rolls.expiration_date, rolls.strike, strict=True)) == list(
        zip(pd.to_datetime(wanted.expiration_date).dt.date, wanted.strike_price, strict=True)
    )
    for name in ("net_credit", "new_breakeven", "flat_return", "flat_annualized_return"):
        assert rolls[name].to_numpy() == pytest.approx(wanted[name].to_numpy()), name
    assert (rolls.net_credit_total == rolls.net_credit * 100).all()


def test_rolls_of_a_call_look_at_the_same_or_higher_strikes(wheel_db, alice):
    with unit_of_work(wheel_db, write=True) as session:
        account_id = session.scalar(select(Position.account_id).where(Position.symbol == SHORT_PUT))
        session.add(Position(account_id=account_id, symbol="AAA29DEC26105CE", exchange="NFO", quantity=-100,
                             average_price=1.5, source="openalgo"))  # fmt: skip
    # the OpenAlgo spelling counts units (shares): -100 is one contract
    frame = service.open_positions(wheel_db, alice, as_of=AS_OF)
    call = frame[frame.option_type == "call"].iloc[0]
    assert call.contracts == 1 and call.pnl == pytest.approx((1.5 - mid_of("call", 105.0, 100.0, 28)) * 100)
    rolls = service.rolls(wheel_db, alice, int(call.position_id), as_of=AS_OF)
    assert set(rolls.strike) == {105.0, 110.0} and set(rolls.expiration_date) == {dt.date(2027, 1, 12)}
    assert (rolls.option_type == "call").all()


def test_rolls_of_what_is_not_an_open_short_option_are_refused(wheel_db, alice):
    with pytest.raises(service.PositionNotFound, match="no position with id 999"):
        service.rolls(wheel_db, alice, 999, as_of=AS_OF)

"""The Lab's replay on a deterministic synthetic universe: every trade's P&L recomputed here from its strike,
premium and the close; an in-the-money put assigned with the right loss; the same inputs give the same results."""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np
import pytest

from core.lab.replay import replay
from core.lab.rules import InvalidRules, Rules
from core.premiums.filters import PremiumFilters
from core.pricing import bsm
from tests.lab.market import START, falling_stock, random_walks


def _expected_pnl(trade: dict) -> float:
    """The P&L from the trade's own fields, by the rules of docs/lab.md (premium is dollars per contract)."""
    n, premium, strike, close = trade["contracts"], trade["premium"], trade["strike"], trade["underlying_at_close"]
    if trade["outcome"] == "expired":
        return premium * n
    if trade["outcome"] == "assigned":
        return (premium - (strike - close) * 100) * n
    if trade["outcome"] == "called_away":
        return (premium - (close - strike) * 100) * n
    return (premium - trade["buy_back"]) * n


@pytest.mark.parametrize("take_profit, on_assignment", [(None, "wheel"), (50.0, "sell"), (None, "sell")])
def test_each_trade_pnl_follows_from_strike_premium_and_close(take_profit, on_assignment):
    market = random_walks()
    rules = Rules(per_day=2, contracts=2, capital=500_000, take_profit=take_profit, on_assignment=on_assignment)
    result = replay(market, PremiumFilters(), rules, start=START)
    assert len(result.trades) > 40
    closes = {(d.isoformat(), s): market.closes[i, j] for i, d in enumerate(market.dates)
              for j, s in enumerate(market.symbols)}  # fmt: skip
    for trade in result.trades:
        assert trade["pnl"] == pytest.approx(_expected_pnl(trade), abs=0.02), trade
        assert trade["underlying_at_close"] == pytest.approx(closes[(trade["closed_on"], trade["symbol"])])
        if trade["outcome"] == "assigned":
            assert trade["option_type"] == "put" and trade["underlying_at_close"] < trade["strike"]
        if trade["outcome"] == "called_away":
            assert trade["option_type"] == "call" and trade["underlying_at_close"] > trade["strike"]
        if trade["outcome"] == "expired":
            otm = trade["underlying_at_close"] >= trade["strike"] if trade["option_type"] == "put" else (
                trade["underlying_at_close"] <= trade["strike"])  # fmt: skip
            assert otm
        assert trade["source"] == "modelled"
    outcomes = {t["outcome"] for t in result.trades}
    assert "assigned" in outcomes and "expired" in outcomes
    if take_profit is not None:
        assert "closed" in outcomes
    if on_assignment == "wheel":
        assert any(t["option_type"] == "call" for t in result.trades)  # covered calls on assigned shares
    else:
        assert all(t["option_type"] == "put" for t in result.trades) and result.summary["shares_pnl"] == 0
    # Every trade ends by the last day, so the trades' P&L and the shares' make the change in equity.
    summary = result.summary
    change = summary["final_equity"] - rules.capital
    assert summary["options_pnl"] + summary["shares_pnl"] == pytest.approx(change, abs=0.01 * len(result.trades))
    wins = sum(t["pnl"] > 0 for t in result.trades) / len(result.trades) * 100
    assert summary["win_rate_pct"] == pytest.approx(wins)


def test_a_put_that_expires_in_the_money_is_assigned_with_the_loss_below_the_strike():
    market = falling_stock()
    result = replay(market, PremiumFilters(), Rules(per_day=1, capital=100_000, on_assignment="sell"), start=START)
    first = result.trades[0]
    assert first["opened_on"] == START.isoformat() and first["option_type"] == "put"
    assert first["outcome"] == "assigned"
    day = market.dates.index(dt.date.fromisoformat(first["closed_on"]))
    close = float(market.closes[day, 0])
    assert first["underlying_at_close"] == pytest.approx(close)
    loss = (first["strike"] - close) * 100
    assert loss > first["premium"]  # a real loss: the fall is far larger than the premium
    assert first["pnl"] == pytest.approx(first["premium"] - loss, abs=0.01)
    assert first["pnl"] < 0


def test_drawdown_and_returns_come_from_the_equity_curve():
    market = random_walks()
    result = replay(market, PremiumFilters(), Rules(per_day=3, capital=300_000), start=START)
    values = [e[1] for e in result.equity]
    peak, worst = values[0], 0.0
    for value in values:
        peak = max(peak, value)
        worst = max(worst, 1 - value / peak)
    assert result.summary["max_drawdown_pct"] == pytest.approx(worst * 100, abs=1e-3)
    assert result.summary["total_return_pct"] == pytest.approx((values[-1] / 300_000 - 1) * 100, abs=1e-3)
    held = [e[2] for e in result.equity]
    assert result.buy_and_hold["total_return_pct"] == pytest.approx((held[-1] / 300_000 - 1) * 100, abs=1e-3)
    assert held[0] == pytest.approx(300_000, abs=1)  # bought at the first day's close


def test_the_same_inputs_give_the_same_results():
    rules = Rules(per_day=2, capital=400_000, take_profit=40)
    first = replay(random_walks(), PremiumFilters(), rules, start=START)
    second = replay(random_walks(), PremiumFilters(), rules, start=START)
    assert first.trades == second.trades and first.equity == second.equity and first.summary == second.summary


def test_stored_snapshots_are_used_where_they_exist():
    market = random_walks()
    doc = {"symbol": "S03", "option_type": "put", "strike": float(round(market.closes[market.dates.index(START), 3]
           * 0.9)), "expiration_date": "2025-01-31", "premium": 123.0, "iv": 0.3}  # fmt: skip
    result = replay(market, PremiumFilters(), Rules(per_day=1), start=START, snapshots={START: [doc]})
    first = result.trades[0]
    assert (first["symbol"], first["premium"], first["source"]) == ("S03", 123.0, "snapshot")
    assert result.summary["snapshot_trades"] == 1
    assert all(t["source"] == "modelled" for t in result.trades[1:])


@pytest.mark.parametrize(
    "bad, message",
    [({"per_day": 0}, "positions per day"), ({"capital": -5.0}, "capital"), ({"take_profit": 100.0}, "take-profit"),
     ({"on_assignment": "keep"}, "wheel or sell")],
)  # fmt: skip
def test_bad_rules_say_which(bad, message):
    with pytest.raises(InvalidRules, match=message):
        Rules(**bad)


def test_stored_implied_vols_price_the_premiums_where_known():

    market = random_walks()
    high = dataclasses.replace(market, ivs=np.full(market.closes.shape, 0.9))
    rules = Rules(per_day=1)
    first = replay(high, PremiumFilters(delta=None), rules, start=START).trades[0]
    day = market.dates.index(START)
    spot = market.closes[day, market.symbols.index(first["symbol"])]
    days = (dt.date.fromisoformat(first["expiration_date"]) - START).days
    expected = bsm.price(spot, first["strike"], days / 365, 0.9, 0.04, 0.0, "put") * 100
    assert first["premium"] == pytest.approx(float(expected), abs=0.01)  # priced at the stored 90 %, not realised

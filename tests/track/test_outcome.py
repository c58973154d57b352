"""The arithmetic of a short option held to expiry, against numbers worked by hand."""

from __future__ import annotations

import doctest

import pytest

import core.track.outcome as outcome
from core.track.outcome import CannotResolve, resolve


def test_the_docstring_examples_hold():
    assert doctest.testmod(outcome).failed == 0


def test_a_put_that_expires_in_the_money_is_assigned_with_the_loss_against_the_premium():
    # sold the 450 put for 4.295 (429.50 a contract, capital 45,000) 22 days out; the stock closes at 429.54
    r = resolve("put", 450.0, 429.5, 45_000.0, 22, 429.54)
    assert r.outcome == "assigned"
    assert r.pnl == pytest.approx(429.5 - 20.46 * 100)  # -1,616.50
    assert r.realized_return == pytest.approx(-1616.5 / 45_000 * 100)  # -3.592 %
    assert r.realized_annualized_return == pytest.approx(-3.592222 * 365 / 22, rel=1e-6)


def test_out_of_the_money_at_expiry_delivers_exactly_the_promise():
    r = resolve("put", 95.0, 150.0, 9_500.0, 30, 95.0)  # closing at the strike: not assigned
    assert (r.outcome, r.pnl) == ("expired", 150.0)
    assert r.realized_annualized_return == pytest.approx(150 / 9_500 * 100 * 365 / 30)


def test_a_call_called_away_gives_up_the_rise_above_the_strike():
    r = resolve("call", 50.0, 120.0, 4_800.0, 20, 53.0)
    assert (r.outcome, r.pnl) == ("called_away", pytest.approx(120.0 - 300.0))
    assert resolve("call", 50.0, 120.0, 4_800.0, 20, 50.0).outcome == "expired"


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (("put", 0.0, 100.0, 1000.0, 10, 5.0), "strike"),
        (("put", 10.0, float("nan"), 1000.0, 10, 5.0), "premium"),
        (("put", 10.0, 100.0, 1000.0, 10, -1.0), "close"),
        (("straddle", 10.0, 100.0, 1000.0, 10, 5.0), "neither put nor call"),
    ],
)
def test_numbers_it_cannot_use_are_named(args, problem):
    with pytest.raises(CannotResolve, match=problem):
        resolve(*args)

"""Implied volatility: QuantLib's volatility recovered; NaN or a named error where none fits."""

from __future__ import annotations

import math

import numpy as np
import pytest
import QuantLib as ql

from core.pricing import bsm, iv
from core.pricing.samples import random_contracts


def quantlib_prices(spot, strike, t, sigma, r, q, is_call) -> np.ndarray:
    out = np.empty(spot.size)
    for i in range(spot.size):
        kind = ql.Option.Call if is_call[i] else ql.Option.Put
        forward = spot[i] * math.exp((r[i] - q[i]) * t[i])
        calc = ql.BlackCalculator(
            ql.PlainVanillaPayoff(kind, strike[i]), forward, sigma[i] * math.sqrt(t[i]), math.exp(-r[i] * t[i])
        )
        out[i] = calc.value()
    return out


@pytest.fixture(scope="module")
def priced():
    spot, strike, t, sigma, r, q, is_call = random_contracts(10_000, seed=1409)
    prices = quantlib_prices(spot, strike, t, sigma, r, q, is_call)
    return spot, strike, t, sigma, r, q, is_call, prices


def identifiable(spot, strike, t, sigma, r, q, is_call) -> np.ndarray:
    """Where a price pins the volatility down to better than 1e-6.

    A computed price carries rounding of about 1e-16 x (S + K) (the formula's two legs cancel), which moves
    the solved volatility by that divided by vega per unit of vol. Requiring vega per point >= 1e-10 (S + K)
    keeps that below ~1e-8, a hundred times inside the tolerance; the rest are deep in or out of the money
    or nearly expired, where many volatilities give the same price to the last bit (about 2 % here).
    """
    vega = bsm.greeks(spot, strike, t, sigma, r, q, is_call).vega
    return vega >= 1e-10 * (spot + strike)


def test_recovers_quantlib_volatility_on_10000_random_contracts(priced):
    spot, strike, t, sigma, r, q, is_call, prices = priced
    solved = iv.implied_vol(prices, spot, strike, t, r, q, is_call)
    ok = identifiable(spot, strike, t, sigma, r, q, is_call)
    assert ok.sum() > 9_500
    error = np.abs(solved - sigma)[ok]
    assert not np.isnan(error).any()
    assert error.max() <= 1e-6, f"worst {error.max():.3e}"


def test_repricing_error_is_tiny_everywhere_a_volatility_is_returned(priced):
    spot, strike, t, sigma, r, q, is_call, prices = priced
    solved = iv.implied_vol(prices, spot, strike, t, r, q, is_call)
    found = ~np.isnan(solved)
    assert found.mean() > 0.99
    repriced = bsm.price(spot, strike, t, solved, r, q, is_call)
    assert np.max(np.abs(repriced - prices)[found] / np.maximum(prices[found], 1.0)) <= 1e-10


def test_agrees_with_quantlib_solver_on_a_sample(priced):
    spot, strike, t, sigma, r, q, is_call, prices = priced
    ok = np.flatnonzero(identifiable(spot, strike, t, sigma, r, q, is_call))[:300]
    ours = iv.implied_vol(prices[ok], spot[ok], strike[ok], t[ok], r[ok], q[ok], is_call[ok])
    for j, i in enumerate(ok):
        kind = ql.Option.Call if is_call[i] else ql.Option.Put
        forward = spot[i] * math.exp((r[i] - q[i]) * t[i])
        std = ql.blackFormulaImpliedStdDev(
            kind, strike[i], forward, prices[i], math.exp(-r[i] * t[i]), 0.0, 0.5 * math.sqrt(t[i]), 1e-12, 200
        )
        assert ours[j] == pytest.approx(std / math.sqrt(t[i]), abs=1e-6)


def test_hull_round_trip_and_vectorised_nan_rules():
    call_price = float(bsm.price(42.0, 40.0, 0.5, 0.2, 0.1, 0.0, True))
    assert iv.implied_vol(call_price, 42.0, 40.0, 0.5, 0.1, 0.0, "call") == pytest.approx(0.2, abs=1e-12)
    # Discounted intrinsic of the call: 42 - 40 e^-0.05 = 3.9508; maximum: the spot, 42.
    out = iv.implied_vol(
        [3.9, 42.0, 50.0, call_price, call_price, np.nan, call_price],
        42.0,
        [40.0, 40.0, 40.0, 40.0, 40.0, 40.0, -40.0],
        [0.5, 0.5, 0.5, 0.0, -1.0, 0.5, 0.5],
        0.1,
        0.0,
        True,
    )
    assert np.isnan(out).all()


def test_bounds_give_nan_just_outside_and_a_value_just_inside():
    # At the money with r = q = 0 the price moves with sigma even at the lower bound (S w phi(0) there).
    args = (100.0, 100.0, 0.5, 0.0, 0.0, "call")
    hi = float(bsm.price(100.0, 100.0, 0.5, iv.VOL_UPPER, 0.0, 0.0, "call"))
    lo = float(bsm.price(100.0, 100.0, 0.5, iv.VOL_LOWER, 0.0, 0.0, "call"))
    assert math.isnan(iv.implied_vol(hi * (1 + 1e-9), *args))
    assert iv.implied_vol(hi * (1 - 1e-9), *args) == pytest.approx(iv.VOL_UPPER, rel=1e-6)
    assert math.isnan(iv.implied_vol(lo * (1 - 1e-6), *args))
    assert iv.implied_vol(lo * (1 + 1e-6), *args) == pytest.approx(iv.VOL_LOWER, rel=1e-5)


def test_scalar_wrapper_raises_named_errors():
    hull_put = iv.implied_vol_scalar(0.8085993729, 42.0, 40.0, 0.5, 0.1, 0.0, "put")
    assert hull_put == pytest.approx(0.2, abs=1e-9)
    with pytest.raises(iv.PriceBelowIntrinsic):
        iv.implied_vol_scalar(3.9, 42.0, 40.0, 0.5, 0.1, 0.0, "call")
    with pytest.raises(iv.PriceAboveMaximum):
        iv.implied_vol_scalar(42.0, 42.0, 40.0, 0.5, 0.1, 0.0, "call")
    with pytest.raises(iv.PriceAboveMaximum):  # a put is worth at most K e^-rT = 38.05
        iv.implied_vol_scalar(38.1, 42.0, 40.0, 0.5, 0.1, 0.0, "put")
    with pytest.raises(iv.VolatilityOutOfBounds):  # possible, but needs more than 500 % a year
        iv.implied_vol_scalar(41.0, 42.0, 40.0, 0.5, 0.1, 0.0, "call")
    with pytest.raises(iv.ImpliedVolError):
        iv.implied_vol_scalar(1.0, 42.0, 40.0, 0.0, 0.1, 0.0, "call")
    assert issubclass(iv.PriceBelowIntrinsic, ValueError)


def test_large_batch_matches_small_batches():
    spot, strike, t, sigma, r, q, is_call = random_contracts(20_000, seed=5)
    prices = bsm.price(spot, strike, t, sigma, r, q, is_call)
    whole = iv.implied_vol(prices, spot, strike, t, r, q, is_call)
    part = iv.implied_vol(prices[-50:], spot[-50:], strike[-50:], t[-50:], r[-50:], q[-50:], is_call[-50:])
    np.testing.assert_array_equal(whole[-50:], part)

"""Black-Scholes-Merton prices and greeks against QuantLib, the normal CDF, units, edge rules and doctests."""

from __future__ import annotations

import doctest
import importlib
import math

import numpy as np
import pytest
import QuantLib as ql

from core.pricing import bsm, norm_cdf, norm_pdf
from core.pricing.normal import cdf_pdf
from core.pricing.samples import random_contracts


def quantlib_greeks(spot, strike, t, sigma, r, q, is_call) -> dict[str, np.ndarray]:
    """QuantLib's BlackCalculator, in Wheelhouse units (theta per day, vega and rho per 1 point).

    BlackCalculator takes the forward, the total standard deviation and the discount factor directly, so t
    is used exactly (no dates, no day-count rounding); its thetaPerDay is theta / 365, as ours.
    """
    out = {name: np.empty(spot.size) for name in ("price", "delta", "gamma", "theta", "vega", "rho")}
    for i in range(spot.size):
        kind = ql.Option.Call if is_call[i] else ql.Option.Put
        forward = spot[i] * math.exp((r[i] - q[i]) * t[i])
        calc = ql.BlackCalculator(
            ql.PlainVanillaPayoff(kind, strike[i]), forward, sigma[i] * math.sqrt(t[i]), math.exp(-r[i] * t[i])
        )
        out["price"][i] = calc.value()
        out["delta"][i] = calc.delta(spot[i])
        out["gamma"][i] = calc.gamma(spot[i])
        out["theta"][i] = calc.thetaPerDay(spot[i], t[i])
        out["vega"][i] = calc.vega(t[i]) / 100.0
        out["rho"][i] = calc.rho(t[i]) / 100.0
    return out


@pytest.fixture(scope="module")
def contracts_and_reference():
    contracts = random_contracts(10_000, seed=20230914)
    return contracts, quantlib_greeks(*contracts)


@pytest.mark.parametrize("name", ["price", "delta", "gamma", "theta", "vega", "rho"])
def test_greeks_match_quantlib_on_10000_random_contracts(contracts_and_reference, name):
    """Within 1e-9, absolute below 1 and relative above: the greeks here are O(1) or smaller in magnitude,
    while prices reach ~800 on a 1000 spot, where 1e-9 absolute would ask for 1e-12 relative, a test of
    rounding rather than of the formulas. Measured: price 3.4e-13 absolute (7e-14 scaled), greeks at most
    1.1e-14."""
    contracts, reference = contracts_and_reference
    ours = getattr(bsm.greeks(*contracts), name)
    expected = reference[name]
    worst = np.max(np.abs(ours - expected) / np.maximum(1.0, np.abs(expected)))
    assert worst <= 1e-9, f"{name}: worst scaled difference {worst:.3e}"


def test_price_function_equals_greeks_price(contracts_and_reference):
    contracts, _ = contracts_and_reference
    np.testing.assert_allclose(bsm.price(*contracts), bsm.greeks(*contracts).price, rtol=1e-13, atol=1e-13)


def test_hull_textbook_example():
    # Hull: S=42, K=40, r=10 %, sigma=20 %, T=0.5 -> call 4.76, put 0.81; d1 = 0.7693, d2 = 0.6278.
    call, put = bsm.price(42.0, 40.0, 0.5, 0.2, 0.1, 0.0, ["call", "put"])
    assert round(float(call), 2) == 4.76
    assert round(float(put), 2) == 0.81
    # put-call parity, by hand: C - P = S - K e^-rT = 42 - 40 e^-0.05 = 3.95082...
    assert call - put == pytest.approx(42.0 - 40.0 * math.exp(-0.05), abs=1e-12)


def test_units_are_per_day_and_per_point():
    """Theta is the one-day change (a 365-day year), vega and rho the change for +0.01 of sigma and r."""
    args = dict(spot=100.0, strike=105.0, t=0.25, sigma=0.3, r=0.04, q=0.01, is_call="put")
    g = bsm.greeks(**args)
    p = lambda **kw: float(bsm.price(**{**args, **kw}))
    h = 1e-5
    assert g.theta == pytest.approx(-(p(t=0.25 + h) - p(t=0.25 - h)) / (2 * h) / 365, rel=1e-7)
    assert g.vega == pytest.approx((p(sigma=0.3 + h) - p(sigma=0.3 - h)) / (2 * h) / 100, rel=1e-7)
    assert g.rho == pytest.approx((p(r=0.04 + h) - p(r=0.04 - h)) / (2 * h) / 100, rel=1e-7)
    assert g.delta < 0  # a put's delta is negative


def test_broadcasting_shapes_and_option_type_forms():
    spot = np.array([[90.0], [100.0], [110.0]])  # (3, 1) against 4 strikes -> (3, 4)
    strike = np.array([90.0, 95.0, 100.0, 105.0])
    g = bsm.greeks(spot, strike, 0.5, 0.25, 0.03, 0.0, True)
    assert g.delta.shape == (3, 4)
    as_strings = bsm.price(100.0, strike, 0.5, 0.25, 0.03, 0.0, np.array(["Call", "PUT", "c", "p"]))
    as_bools = bsm.price(100.0, strike, 0.5, 0.25, 0.03, 0.0, np.array([True, False, True, False]))
    np.testing.assert_array_equal(as_strings, as_bools)
    assert isinstance(bsm.price(100.0, 100.0, 0.5, 0.2, 0.0, 0.0, "call"), np.floating)
    with pytest.raises(bsm.InvalidOptionType):
        bsm.price(100.0, 100.0, 0.5, 0.2, 0.0, 0.0, "straddle")


def test_blocked_evaluation_matches_small_batches():
    contracts = random_contracts(20_000, seed=3)  # larger than one block
    whole = bsm.greeks(*contracts)
    first = bsm.greeks(*(a[:100] for a in contracts))
    for w, f in zip(whole, first, strict=True):
        np.testing.assert_array_equal(w[:100], f)


def test_expired_and_zero_vol_rows_follow_the_documented_limits():
    # t <= 0: the payoff, greeks NaN; sigma <= 0: the discounted forward intrinsic, greeks NaN.
    g = bsm.greeks(
        [110.0, 90.0, 110.0, 100.0, -5.0, np.nan],
        100.0,
        [0.0, -1.0, 1.0, 1.0, 1.0, 1.0],
        [0.2, 0.2, 0.0, np.nan, 0.2, 0.2],
        0.05,
        0.0,
        [True, False, True, True, True, True],
    )
    assert g.price[0] == pytest.approx(10.0)
    assert g.price[1] == pytest.approx(10.0)
    assert g.price[2] == pytest.approx(110.0 - 100.0 * math.exp(-0.05))
    assert np.isnan(g.price[3:]).all()
    for greek in (g.delta, g.gamma, g.theta, g.vega, g.rho):
        assert np.isnan(greek).all()


def test_norm_cdf_against_math_erfc():
    """Relative error against the standard library's erfc (itself ~1 ulp; its argument x/sqrt(2) rounds,
    which alone costs about x^2 * 1e-16 relative, hence the tolerance grows with x^2)."""
    x = np.concatenate([np.linspace(-37.0, 8.0, 20_001), [0.0, 0.66291, -0.66291, 5.656854248, -5.656854248]])
    ours = norm_cdf(x)
    expected = np.array([0.5 * math.erfc(-v / math.sqrt(2.0)) for v in x])
    rel = np.abs(ours - expected) / expected
    assert np.all(rel <= 1e-15 * (4.0 + x * x))
    cdf, dens = cdf_pdf(np.array([np.nan, np.inf, -np.inf]))
    assert np.isnan(cdf[0]) and cdf[1] == 1.0 and cdf[2] == 0.0 and dens[1] == 0.0
    assert norm_pdf(0.0) == pytest.approx(1.0 / math.sqrt(2.0 * math.pi), rel=1e-15)


@pytest.mark.parametrize("module", ["normal", "bsm", "iv", "metrics", "quality", "blocks"])
def test_module_docstring_examples(module):
    mod = importlib.import_module(f"core.pricing.{module}")
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0

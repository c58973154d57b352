"""DESIGN section 4 metrics on worked examples; the expected numbers are worked out by hand in comments."""

from __future__ import annotations

import math

import numpy as np
import pytest

from core.pricing import metrics


def test_cash_secured_put_worked_example():
    # Stock 50.00, put strike 47.50 quoted 0.95 x 1.05, 21 days.
    # mid 1.00; premium 100; capital 4,750; premium / capital = 0.0210526316
    # monthly   = 0.0210526316 * 30/21  * 100 = 3.0075188 %
    # annual    = 0.0210526316 * 365/21 * 100 = 36.5914787 %
    # breakeven = 47.50 - 1.00 = 46.50; cushion = (50 - 46.5) / 50 * 100 = 7 %; spread = 0.10 / 1.00 = 10 %
    m = metrics.premium_metrics(0.95, 1.05, 47.5, 50.0, 21, 0.30, 0.05, 0.0, "put")
    assert m.mid == pytest.approx(1.00)
    assert m.premium == pytest.approx(100.0)
    assert m.capital == pytest.approx(4750.0)
    assert m.monthly_return == pytest.approx(3.0075188, abs=1e-7)
    assert m.annualized_return == pytest.approx(36.5914787, abs=1e-7)
    assert m.breakeven == pytest.approx(46.50)
    assert m.cushion_pct == pytest.approx(7.0)
    assert m.spread_pct == pytest.approx(10.0)


def test_covered_call_worked_example():
    # Stock 200, call strike 210 quoted 3.10 x 3.30, 30 days.
    # mid 3.20; premium 320; capital = 200 * 100 = 20,000; monthly = 320 / 20,000 * 30/30 * 100 = 1.6 %
    # annual = 0.016 * 365/30 * 100 = 19.4666... %; breakeven = 200 - 3.20 = 196.80 (shares' cost less the
    # premium); cushion = (200 - 196.80) / 200 = 1.6 %; spread = 0.20 / 3.20 * 100 = 6.25 %
    # out of the money: intrinsic 0, extrinsic 320, flat = annualised; pct_otm = 10 / 200 = 5 %
    # if called: (320 + (210 - 200) * 100) / 20,000 * 100 = 6.6 %
    m = metrics.premium_metrics(3.10, 3.30, 210.0, 200.0, 30, 0.25, 0.05, 0.0, "call")
    assert m.capital == pytest.approx(20_000.0)
    assert m.monthly_return == pytest.approx(1.6)
    assert m.annualized_return == pytest.approx(19.466666666, abs=1e-8)
    assert m.breakeven == pytest.approx(196.80)
    assert m.cushion_pct == pytest.approx(1.6)
    assert m.spread_pct == pytest.approx(6.25)
    assert (m.intrinsic, m.extrinsic) == (0.0, pytest.approx(320.0))
    assert m.flat_return == pytest.approx(1.6) and m.flat_annualized_return == pytest.approx(m.annualized_return)
    assert m.pct_otm == pytest.approx(5.0)
    assert m.if_called_return == pytest.approx(6.6)


def test_deep_in_the_money_put_earns_only_its_time_value():
    # Stock 49.48, put strike 65 quoted 15.40 x 15.80, 30 days: mid 15.60, premium 1,560, capital 6,500.
    # intrinsic = (65 - 49.48) * 100 = 1,552; extrinsic = 8; flat = 8 / 6,500 * 100 = 0.123077 %;
    # flat annualised = 0.123077 * 365 / 30 = 1.497436 %, while annualised = 1,560 / 6,500 * 365/30 * 100 = 292 %.
    # breakeven = 65 - 15.60 = 49.40; cushion = 0.08 / 49.48 * 100 = 0.161681 %; pct_otm = -15.52 / 49.48 * 100
    m = metrics.premium_metrics(15.40, 15.80, 65.0, 49.48, 30, 0.5, 0.05, 0.0, "put")
    assert m.intrinsic == pytest.approx(1552.0) and m.extrinsic == pytest.approx(8.0)
    assert m.flat_return == pytest.approx(8 / 6500 * 100)
    assert m.flat_annualized_return == pytest.approx(1.497436, abs=1e-6)
    assert m.annualized_return == pytest.approx(292.0)
    assert m.breakeven == pytest.approx(49.40)
    assert m.cushion_pct == pytest.approx(0.161681, abs=1e-6)
    assert m.pct_otm == pytest.approx(-31.366208, abs=1e-6)
    assert np.isnan(m.if_called_return)


def test_time_value_never_goes_negative():
    # a put quoted below intrinsic (stale or crossed with the stock): the time value is zero, not negative
    assert metrics.extrinsic(metrics.premium(4.0), metrics.intrinsic(110.0, 105.0, "put")) == 0.0


def test_mid_needs_a_two_sided_uncrossed_market():
    bid = np.array([1.00, 0.00, 1.20, 1.00, np.nan, 1.00, 1.00])
    ask = np.array([1.20, 0.50, 1.00, 1.00, 1.20, -1.0, np.inf])
    out = metrics.mid(bid, ask)
    assert out[0] == pytest.approx(1.10)
    assert np.isnan(out[1])  # no bid
    assert np.isnan(out[2])  # crossed
    assert out[3] == pytest.approx(1.00)  # locked market: ask == bid is tradable
    assert np.isnan(out[4]) and np.isnan(out[5])
    assert np.isnan(metrics.spread_pct(0.0, 0.5))


def test_returns_are_nan_without_days_or_capital():
    out = metrics.monthly_return([100.0, 100.0, 100.0], [5000.0, 0.0, 5000.0], [0, 30, -3])
    assert np.isnan(out).all()
    assert np.isnan(metrics.annualized_return(100.0, 5000.0, np.nan))


def test_dte_counts_calendar_days_from_the_as_of_date():
    # 2023-09-14 -> 2023-10-20: 16 days to the end of September + 20 = 36; 2024 is a leap year.
    expirations = np.array(["2023-10-20", "2024-03-01", "NaT", "2023-09-14"], dtype="datetime64[D]")
    as_of = np.array(["2023-09-14", "2024-02-28", "2023-09-14", "2023-09-15"], dtype="datetime64[D]")
    out = metrics.dte(expirations, as_of)
    assert out[0] == 36 and out[1] == 2 and np.isnan(out[2]) and out[3] == -1
    assert metrics.dte("2023-09-22", np.datetime64("2023-09-14")) == 8


def test_prob_otm_is_n_of_d2_for_puts_and_n_of_minus_d2_for_calls():
    # S 100, K 95, 30 days, IV 30 %, r 5 %, q 0:
    # d2 = (ln(100/95) + (0.05 - 0.3^2/2) t) / (0.3 sqrt(t)), t = 30/365
    t = 30 / 365
    d2 = (math.log(100 / 95) + (0.05 - 0.045) * t) / (0.3 * math.sqrt(t))
    assert d2 == pytest.approx(0.60116, abs=1e-5)
    n_d2 = 0.5 * (1.0 + math.erf(d2 / math.sqrt(2.0)))  # 0.72613...
    assert metrics.prob_otm(100.0, 95.0, t, 0.3, 0.05, 0.0, "put") == pytest.approx(n_d2, abs=1e-14)
    assert metrics.prob_otm(100.0, 95.0, t, 0.3, 0.05, 0.0, "call") == pytest.approx(1.0 - n_d2, abs=1e-14)
    assert np.isnan(metrics.prob_otm([100.0, 100.0], 95.0, t, [np.nan, 0.0], 0.05, 0.0, "put")).all()


def test_cushion_is_negative_when_the_breakeven_is_on_the_wrong_side():
    # An in-the-money put: stock 90, strike 100, mid 5 -> breakeven 95, cushion (90 - 95) / 90 = -5.555... %
    be = metrics.breakeven(100.0, 90.0, 5.0, "put")
    assert be == pytest.approx(95.0)
    assert metrics.cushion_pct(90.0, be) == pytest.approx(-5.5555555556, abs=1e-9)
    assert np.isnan(metrics.cushion_pct(0.0, 95.0))


def test_placeholder_iv():
    ivs = np.array([np.nan, 0.0, 1e-5, -0.2, 1e-4, 0.25])
    assert metrics.is_placeholder_iv(ivs).tolist() == [True, True, True, True, False, False]


def test_vectorised_over_a_mixed_chain():
    m = metrics.premium_metrics(
        [0.95, 3.10],
        [1.05, 3.30],
        [47.5, 210.0],
        [50.0, 200.0],
        [21, 30],
        [0.3, 0.25],
        0.05,
        0.0,
        np.array(["put", "call"]),
    )
    assert m.capital.tolist() == [4750.0, 20_000.0]
    assert m.breakeven == pytest.approx([46.5, 196.8])

"""Historical volatility (core.pricing.realised) and the Symbol page's shapes: their worked examples run, and HV
agrees with a direct NumPy computation on a long daily series."""

from __future__ import annotations

import datetime as dt
import doctest
import math

import numpy as np
import pandas as pd
import pytest

from core.pricing import realised
from core.symbol_view import shapes


@pytest.mark.parametrize("module", [realised, shapes])
def test_worked_examples(module):
    result = doctest.testmod(module)
    assert result.failed == 0 and result.attempted > 0


def test_hv_is_the_annualised_sample_stdev_of_the_last_daily_log_returns():
    days = pd.bdate_range("2026-01-05", periods=90).date
    closes = 50 * np.exp(np.cumsum(np.random.default_rng(2).normal(0, 0.015, 90)))
    returns = np.diff(np.log(closes))  # weekdays only: every gap is 1 or 3 days
    for window in (20, 60):
        wanted = np.std(returns[-window:], ddof=1) * math.sqrt(252)
        assert realised.historical_volatility(days, closes, window) == pytest.approx(wanted, rel=1e-12)
    assert realised.historical_volatility(days[:20], closes[:20], 20) is None  # 19 returns: not enough
    assert realised.historical_volatility([dt.date(2026, 1, 5)], [50.0], 20) is None

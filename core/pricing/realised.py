"""Historical (realised) volatility from daily closes: the annualised sample standard deviation of log returns.

Returns are taken between consecutive stored closes at most `MAX_GAP_DAYS` calendar days apart: one trading
session, a weekend or a one-day holiday between. A longer gap (a week without a sync, the demo's weekly backfill)
is not a daily return and is skipped rather than counted as one day's move. The window is the latest `window`
daily returns; with fewer there is no value.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence

import numpy as np

TRADING_DAYS = 252  # sessions a year: the annualising factor is sqrt(252)
MAX_GAP_DAYS = 4  # Friday -> Tuesday over a Monday holiday; anything longer is not one session's return
IV_RANK_DAYS = 365  # the window of IV rank and IV percentile: the year before the day, inclusive


def daily_log_returns(dates: Sequence[dt.date], closes: Sequence[float]) -> np.ndarray:
    """ln(close_t / close_t-1) between consecutive dates (ascending) no more than MAX_GAP_DAYS apart.

    >>> d = [dt.date(2026, 3, 2), dt.date(2026, 3, 3), dt.date(2026, 3, 13)]
    >>> daily_log_returns(d, [100.0, 110.0, 121.0]).round(6).tolist()  # the 10-day gap is skipped
    [0.09531]
    """
    closes = np.asarray(closes, dtype=np.float64)
    if closes.size < 2:
        return np.empty(0)
    gaps = np.diff(np.asarray(dates, dtype="datetime64[D]")).astype(int)
    with np.errstate(all="ignore"):
        returns = np.log(closes[1:] / closes[:-1])
    keep = (gaps >= 1) & (gaps <= MAX_GAP_DAYS) & np.isfinite(returns)
    return returns[keep]


def historical_volatility(dates: Sequence[dt.date], closes: Sequence[float], window: int) -> float | None:
    """Annualised volatility (a fraction) of the latest `window` daily log returns; None with fewer.

    >>> days = [dt.date(2026, 3, 2) + dt.timedelta(days=n) for n in range(3)]
    >>> round(historical_volatility(days, [100.0, 101.0, 100.0], 2), 6)  # stdev(ln 1.01, ln(100/101)) x sqrt 252
    0.223384
    """
    returns = daily_log_returns(dates, closes)
    if returns.size < window or window < 2:
        return None
    return float(np.std(returns[-window:], ddof=1) * math.sqrt(TRADING_DAYS))


def iv_rank(current: float, low: float, high: float) -> float:
    """Where `current` IV sits between the window's `low` and `high`, 0-100; 50 when the window is flat.

    >>> round(iv_rank(0.35, 0.20, 0.40), 6), iv_rank(0.25, 0.25, 0.25)
    (75.0, 50.0)
    """
    return float(100.0 * (current - low) / (high - low)) if high > low else 50.0

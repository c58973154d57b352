"""A deterministic synthetic universe for the Lab's tests: seeded random walks on weekdays of a past window."""

from __future__ import annotations

import datetime as dt

import numpy as np

from core.lab.replay import Market

START, END = dt.date(2025, 1, 2), dt.date(2025, 9, 30)
LOOKBACK_START = dt.date(2024, 11, 1)


def weekdays(first: dt.date, last: dt.date) -> list[dt.date]:
    days, day = [], first
    while day <= last:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def random_walks(n_symbols: int = 20, seed: int = 11) -> Market:
    """Walks with 20-45 % volatility and mixed drifts, from a common seed: the same market every time."""
    dates = weekdays(LOOKBACK_START, END)
    rng = np.random.default_rng(seed)
    vol = rng.uniform(0.2, 0.45, n_symbols) / np.sqrt(252)
    drift = rng.uniform(-0.5, 0.5, n_symbols) / 252
    steps = drift + vol * rng.standard_normal((len(dates), n_symbols))
    closes = np.round(rng.uniform(20, 300, n_symbols) * np.exp(np.cumsum(steps, axis=0)), 2)
    symbols = [f"S{i:02d}" for i in range(n_symbols)]
    return Market(dates, symbols, closes, np.full(closes.shape, np.nan))


def falling_stock() -> Market:
    """One stock that wobbles around 100 until START, then falls 1 % a trading day: a put sold at START ends
    deep in the money."""
    dates = weekdays(LOOKBACK_START, END)
    closes = []
    for i, day in enumerate(dates):
        closes.append(100.0 + (1.0 if i % 2 else -1.0) if day < START else closes[-1] * 0.99)
    return Market(dates, ["DROP"], np.round(np.array(closes)[:, None], 2), np.full((len(dates), 1), np.nan))

"""Random European contracts over the ranges the pricing is checked on: one generator for tests and benchmarks."""

from __future__ import annotations

import math

import numpy as np


def random_contracts(n: int, seed: int = 42) -> tuple[np.ndarray, ...]:
    """(spot, strike, t, sigma, r, q, is_call): spot 5-1000 (log-uniform), strike 0.5-1.5x spot, t 1 day-2 years,
    sigma 5-150 %, r 0-8 %, q 0-5 %, calls and puts in equal measure; reproducible by `seed`."""
    rng = np.random.default_rng(seed)
    spot = np.exp(rng.uniform(math.log(5.0), math.log(1000.0), n))
    strike = spot * rng.uniform(0.5, 1.5, n)
    t = rng.uniform(1 / 365, 2.0, n)
    sigma = rng.uniform(0.05, 1.5, n)
    r = rng.uniform(0.0, 0.08, n)
    q = rng.uniform(0.0, 0.05, n)
    is_call = rng.random(n) < 0.5
    return spot, strike, t, sigma, r, q, is_call

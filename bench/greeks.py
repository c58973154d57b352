"""Throughput of core.pricing: greeks and implied volatility on 1,000,000 random options.

Run from the repository root:  .venv/bin/python bench/greeks.py [--n 1000000] [--runs 5]

Prints options per second (median of `--runs` timed runs) for `greeks` (price and five greeks) and for
`implied_vol`, against a floor measured in the same run on the same arrays: `np.exp` plus `np.log`, the
transcendental work no Black-Scholes evaluation can avoid; the ratio says how many of those our code costs.
Then QuantLib's per-option speed on 10,000 of the same options, through `BlackCalculator` (its fastest
route from Python for greeks) and `blackFormulaImpliedStdDev` for implied volatility.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from core.pricing import greeks, implied_vol, price
from core.pricing.samples import random_contracts as random_options


def median_seconds(fn, runs: int) -> float:
    fn()  # warm-up: page faults, allocator
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def quantlib_speed(options: tuple[np.ndarray, ...], prices: np.ndarray) -> tuple[float, float]:
    import QuantLib as ql

    spot, strike, t, sigma, r, q, is_call = options
    columns = (spot, strike, t, sigma, r, q)
    rows = [
        (ql.Option.Call if c else ql.Option.Put, *map(float, values))
        for *values, c in zip(*columns, is_call, strict=True)
    ]

    def all_greeks():
        for kind, s, k, tt, v, rr, qq in rows:
            calc = ql.BlackCalculator(
                ql.PlainVanillaPayoff(kind, k), s * math.exp((rr - qq) * tt), v * math.sqrt(tt), math.exp(-rr * tt)
            )
            calc.value(), calc.delta(s), calc.gamma(s), calc.thetaPerDay(s, tt), calc.vega(tt), calc.rho(tt)

    def all_iv():
        for (kind, s, k, tt, _, rr, qq), p in zip(rows, prices, strict=True):
            with contextlib.suppress(RuntimeError):  # QuantLib raises where the price has no volatility
                ql.blackFormulaImpliedStdDev(
                    kind,
                    k,
                    s * math.exp((rr - qq) * tt),
                    float(p),
                    math.exp(-rr * tt),
                    0.0,
                    0.5 * math.sqrt(tt),
                    1e-10,
                    100,
                )

    return median_seconds(all_greeks, 3) / len(rows), median_seconds(all_iv, 3) / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    print(f"date     {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"command  .venv/bin/python bench/greeks.py {' '.join(sys.argv[1:])}".rstrip())
    print(
        f"machine  {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
        f"numpy {np.__version__}"
    )
    options = random_options(args.n)
    spot, strike, t, sigma, r, q, is_call = options
    prices = price(*options)

    floor = median_seconds(lambda: (np.exp(sigma), np.log(spot)), args.runs)
    g = median_seconds(lambda: greeks(*options), args.runs)
    v = median_seconds(lambda: implied_vol(prices, spot, strike, t, r, q, is_call), args.runs)
    n = args.n
    print(f"\n{n:,} random options, median of {args.runs} runs")
    print(f"floor    np.exp + np.log      {n / floor / 1e6:8.1f} M options/s   ({floor * 1e3:7.1f} ms)")
    print(
        f"greeks   price + 5 greeks     {n / g / 1e6:8.1f} M options/s   ({g * 1e3:7.1f} ms)"
        f"   = {g / floor:5.1f} x floor"
    )
    print(
        f"IV       implied_vol          {n / v / 1e6:8.1f} M options/s   ({v * 1e3:7.1f} ms)"
        f"   = {v / floor:5.1f} x floor"
    )

    sample = tuple(a[:10_000] for a in options)
    ql_greeks, ql_iv = quantlib_speed(sample, prices[:10_000])
    print("\nQuantLib, 10,000 of the same options, one Python call per option")
    for label, per_option, ours in (
        ("greeks   BlackCalculator    ", ql_greeks, g / n),
        ("IV       blackFormulaImplied", ql_iv, v / n),
    ):
        print(
            f"{label}  {1 / per_option / 1e6:8.3f} M options/s   ({per_option * 1e6:6.2f} us/option)"
            f"   ours {per_option / ours:5.1f} x faster"
        )


if __name__ == "__main__":
    main()

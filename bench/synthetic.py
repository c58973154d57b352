"""How fast the synthetic market generates chains: N symbols x ~200 contracts, against a NumPy floor.

    python -m bench.synthetic [--symbols 5000] [--runs 3] [--per-symbol]

Each run builds a fresh provider (cold caches) and consumes `snapshots()` over the whole universe. The floor,
measured in the same process between runs, is the time NumPy takes just to draw as many standard normals as
there are contracts and exponentiate them: a lower bound no generator of random prices can beat, so the
ratio says how much work per contract the real generator does on top of one random draw.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import platform
import statistics
import sys
import time
from pathlib import Path


def _floor_seconds(n: int) -> float:
    import numpy as np

    start = time.perf_counter()
    np.exp(np.random.default_rng(0).standard_normal(n))
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 20))
    parser.add_argument("--strikes-per-expiry", type=float, default=5.0)
    parser.add_argument("--per-symbol", action="store_true", help="also time snapshot() one symbol at a time")
    args = parser.parse_args(argv)

    if not __package__:  # run as a file rather than with -m: make the repo root importable
        sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import numpy as np
    import pandas as pd

    from core.providers.base import NoOptions
    from core.providers.synthetic import SyntheticProvider

    def provider() -> SyntheticProvider:
        return SyntheticProvider(
            seed=args.seed, as_of=args.as_of, n_symbols=args.symbols, strikes_per_expiry=args.strikes_per_expiry
        )

    print(f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"command: python -m bench.synthetic {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cpus; python {platform.python_version()}, "
        f"numpy {np.__version__}, pandas {pd.__version__}"
    )

    times, floors, contracts = [], [], 0
    for _ in range(args.runs):
        start = time.perf_counter()
        market = provider()
        contracts = sum(len(snap.chain) for snap in market.snapshots(market.universe()))
        times.append(time.perf_counter() - start)
        floors.append(_floor_seconds(contracts))
    median, floor = statistics.median(times), statistics.median(floors)
    print(f"snapshots(): {args.symbols} symbols, {contracts} contracts ({contracts / args.symbols:.0f} per symbol)")
    print(
        f"  runs: {', '.join(f'{t:.2f}' for t in times)} s; median {median:.2f} s, "
        f"{contracts / median:,.0f} contracts/s"
    )
    print(f"  floor (normals + exp for {contracts} values): median {floor * 1000:.1f} ms; ratio {median / floor:.0f}x")

    if args.per_symbol:
        start = time.perf_counter()
        market, count = provider(), 0
        for symbol in market.universe():
            with contextlib.suppress(NoOptions):
                count += len(market.snapshot(symbol).chain)
        seconds = time.perf_counter() - start
        print(f"snapshot() one symbol at a time: {seconds:.2f} s, {count / seconds:,.0f} contracts/s (one run)")


if __name__ == "__main__":
    main()

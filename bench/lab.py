"""A Strategy Lab test run over a year of daily history for 100 symbols, end to end, against its parts.

    python bench/lab.py [--backend sqlite|postgresql|both] [--symbols 100] [--runs 3]

For each backend, a config (the default put screen, 3 positions a day, 50 % take-profit, wheel on assignment)
tested over 2025-07-01..2026-06-30 on the synthetic provider: one cold run (every symbol's history fetched from
the provider and written to `sandbox_historical_cache`), then `--runs` warm runs (history read from the cache),
each queued and worked the way `lab run --inline` does (`core.lab.service.start_run` + `work_inline`). The
floors, measured in the same process: the provider's history for the symbols alone, and the pure replay
(`core.lab.replay.replay`) on the same market. Prints medians; the aim is under a minute per run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
import pandas as pd
from common import header, median, scratch_database

from core.auth import LOCAL_OPERATOR
from core.db.engine import create_db_engine
from core.lab import service
from core.lab.history import LOOKBACK
from core.lab.replay import Market, replay
from core.lab.rules import Rules
from core.premiums.filters import PremiumFilters
from core.providers import get_provider

START, END = dt.date(2025, 7, 1), dt.date(2026, 6, 30)
RULES = Rules(per_day=3, capital=1_000_000, take_profit=50, on_assignment="wheel")


def seconds(call) -> float:
    begin = time.perf_counter()
    call()
    return time.perf_counter() - begin


def floors(symbols: list[str], runs: int) -> tuple[float, float, int]:
    provider = get_provider("synthetic", as_of=END)
    frames: dict[str, pd.Series] = {}

    def fetch() -> None:
        for s in symbols:
            frames[s] = provider.history(s, START - LOOKBACK, END)["close"]

    fetched = median([seconds(fetch) for _ in range(runs)])
    closes = pd.DataFrame(frames).sort_index().ffill()
    market = Market([d.date() for d in closes.index], list(closes.columns), closes.to_numpy(float),
                    np.full(closes.shape, np.nan))  # fmt: skip
    result = {}

    def run() -> None:
        result["r"] = replay(market, PremiumFilters(), RULES, start=START)

    replayed = median([seconds(run) for _ in range(runs)])
    return fetched, replayed, len(result["r"].trades)


def measure(backend: str, symbols: list[str], runs: int) -> None:
    with scratch_database(backend) as url:
        engine = create_db_engine(url)
        service.create_config(engine, LOCAL_OPERATOR, "Bench", RULES, filters=PremiumFilters())
        found: dict[str, service.TestRun] = {}

        def one() -> None:
            run = service.start_run(engine, LOCAL_OPERATOR, "Bench", START, END, symbols=symbols,
                                    provider="synthetic")  # fmt: skip
            found["run"] = service.work_inline(engine, LOCAL_OPERATOR, run)

        cold = seconds(one)
        warm = [seconds(one) for _ in range(runs)]
        summary = found["run"].results["summary"]
        print(f"{backend:10s} cold {cold:6.2f} s   warm median {median(warm):6.2f} s (runs {len(warm)})   "
              f"trades {summary['trades']}, total {summary['total_return_pct']:.2f} %")  # fmt: skip
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    parser.add_argument("--symbols", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    header("Strategy Lab: a year of daily history, end to end")
    symbols = get_provider("synthetic", as_of=END).universe()[: args.symbols]
    fetched, replayed, trades = floors(symbols, args.runs)
    print(f"floor      provider history {fetched:6.2f} s   pure replay {replayed:6.2f} s ({trades} trades)")
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        measure(backend, symbols, args.runs)


if __name__ == "__main__":
    main()

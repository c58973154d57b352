"""Provider sync benchmark: symbols through the whole yfinance adapter against the local Yahoo-like server.

    python bench/provider_sync.py [--symbols 500] [--rates 2 8] [--max-dte 75 0] [--fetchers 4]
                                  [--latency 0.15] [--jitter 0.05] [--floor]

The server (tests/support/yahoo_server.py, in this process) serves Yahoo option bodies built from the
synthetic market, answers after `latency ± jitter` seconds and refuses with 429 above its cap: by default the
configured rate; `--server-cap` sets it apart, to measure a client configured under the cap. For each rate
and window: a fresh migrated SQLite database, one sync run of the symbols, worked by a SyncWorker with
`--fetchers` fetchers sharing the process-wide bucket. Reported: wall time, requests per symbol, the achieved
request rate (option requests the server saw, first to last arrival) as a ratio of the configured rate, 429s,
the bucket wait vs network time summed from the items' accounting, and the peak RSS of this process (server
included). `--floor` adds the same run with one fetcher (how syncs ran before: one request after another),
the floor the pool is compared to.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

from common import header, peak_rss_mb, scratch_database

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.db.engine import create_db_engine, unit_of_work
from core.db.models import JobRun
from core.jobs.queue import usage_totals
from core.providers.synthetic import SyntheticProvider
from core.providers.yfinance_provider import TokenBucket, YFinanceProvider
from core.sync.requests import SyncRequest, enqueue_sync
from core.sync.worker import SyncWorker
from tests.support.yahoo_server import Behaviour, YahooServer

AS_OF = dt.date(2026, 11, 20)


def one_run(market, symbols, rate: float, max_dte: int, fetchers: int, args) -> dict:
    cap = args.server_cap or rate
    behaviour = Behaviour(latency=args.latency, jitter=args.jitter, rate_cap=cap, seed=11)
    with scratch_database("sqlite") as url, YahooServer(synthetic=market, behaviour=behaviour) as server:
        engine = create_db_engine(url)
        with unit_of_work(engine, write=True) as session:
            run, _ = enqueue_sync(
                session,
                SyncRequest(symbols=tuple(symbols), provider="yfinance", max_dte=max_dte, requested_by="bench"),
            )
            run_id = run.id
        provider = YFinanceProvider(
            base_url=server.url, rate_limiter=TokenBucket(rate), cache_dir=tempfile.mkdtemp(), timeout=30
        )
        worker = SyncWorker(engine, provider_factory=lambda *a, **k: provider, fetchers=fetchers, batch_size=100)
        started = time.perf_counter()
        worker.run_until_idle(run_id)
        wall = time.perf_counter() - started
        with unit_of_work(engine) as session:
            done = session.get(JobRun, run_id)
            status, contracts, failed = done.status, done.contracts, done.failed_items
            usage = usage_totals(session, [run_id])[run_id]
        engine.dispose()
        stats = server.stats
        achieved = stats.rate()  # option requests a second, first to last (the one cookie and crumb aside)
    return {
        "rate": rate,
        "max_dte": max_dte,
        "fetchers": fetchers,
        "status": status,
        "failed": failed,
        "contracts": contracts,
        "wall_s": wall,
        "requests": stats.requests,
        "per_symbol": stats.requests / len(symbols),
        "ratio": achieved / rate,
        "r429": stats.rate_limited,
        "wait_s": usage["wait_seconds"],
        "net_s": usage["network_seconds"],
        "rss_mb": peak_rss_mb(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--symbols", type=int, default=500)
    parser.add_argument("--rates", type=float, nargs="+", default=[2.0, 8.0])
    parser.add_argument("--max-dte", type=int, nargs="+", default=[75, 0])
    parser.add_argument("--fetchers", type=int, default=4)
    parser.add_argument("--latency", type=float, default=0.15)
    parser.add_argument("--jitter", type=float, default=0.05)
    parser.add_argument("--floor", action="store_true", help="also run each case with one fetcher")
    parser.add_argument("--server-cap", type=float, help="the server's 429 cap (default: the configured rate)")
    args = parser.parse_args()
    cap = f"{args.server_cap:g} requests/s" if args.server_cap else "the configured rate"
    header(f"provider sync: {args.symbols} symbols, latency {args.latency}±{args.jitter} s, server cap {cap}")
    market = SyntheticProvider(seed=7, as_of=AS_OF, n_symbols=max(args.symbols, 1200))
    symbols = _optioned(market)[: args.symbols]
    print("rate  max_dte fetchers  wall_s  req/sym  achieved/rate  429s  wait_s  net_s  contracts  failed  peak_rss_mb")
    for rate in args.rates:
        for max_dte in args.max_dte:
            for fetchers in ([1] if args.floor else []) + [args.fetchers]:
                r = one_run(market, symbols, rate, max_dte, fetchers, args)
                print(
                    f"{r['rate']:>4.0f}  {r['max_dte']:>7}  {r['fetchers']:>7}  {r['wall_s']:>6.1f}  "
                    f"{r['per_symbol']:>7.2f}  {r['ratio']:>13.3f}  {r['r429']:>4}  {r['wait_s']:>6.0f}  "
                    f"{r['net_s']:>5.0f}  {r['contracts']:>9,}  {r['failed']:>6}  {r['rss_mb']:>11.0f}",
                    flush=True,
                )


def _optioned(market) -> list[str]:
    """Universe symbols that list options (a sync of the others costs one request and says 'no options')."""
    from core.providers.base import NoOptions

    keep = []
    for symbol in market.universe():
        try:
            market.expirations(symbol)
        except NoOptions:
            continue
        keep.append(symbol)
    return keep


if __name__ == "__main__":
    main()

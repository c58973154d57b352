"""Scan benchmark: the RSI Oversold template over N synthetic symbols x 250 daily bars, sandbox included.

    python bench/scan.py [--symbols 5000] [--bars 250] [--backend sqlite|postgresql|both]

The bars are cached first (`ohlcv_daily`, fetched today, so no provider is asked), then, timed:
1. the queued run end to end -- enqueue over a watchlist, `run_scan_run` (claims, cache reads, one sandbox
   worker, forked children, results, item outcomes, scan_history): the budget is 10 s for 5,000 symbols;
2. the same scan through `scan_symbols` with a warm sandbox (no queue), and the same code run unsandboxed in
   this process over the same bars (the floor): their difference per symbol is the sandbox's overhead;
   The cache read alone is timed too, against its floor: the database counting the same bars (visiting every
   row, sending nothing back);
3. the worker's start-up and the cost of one forked child (batches of one symbol against batches of 64).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import time

import numpy as np
from common import header, peak_rss_mb, scratch_database
from sqlalchemy import func, select

from core.db.base import utcnow
from core.db.engine import get_engine, unit_of_work
from core.db.models import JobRun, OhlcvDaily, OhlcvFetch, ScanHistory, ScannerTemplate, Watchlist
from core.scanner.box.namespace import FILENAME, SymbolData, run_one
from core.scanner.box.validate import names_used
from core.scanner.engine import scan_symbols
from core.scanner.jobs import enqueue_scan, run_scan_run
from core.scanner.market import MarketData
from core.scanner.params import typed_params
from core.scanner.sandbox import Sandbox, SymbolInput
from core.scanner.templates import TEMPLATES, scanner_from_template, seed_templates

RSI = next(t for t in TEMPLATES if t.name == "RSI Oversold")


def synthetic_bars(n_symbols: int, n_bars: int, seed: int = 7) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Symbols, their (n_bars,) session dates and a (n_symbols, 5, n_bars) OHLCV array of seeded random walks."""
    rng = np.random.default_rng(seed)
    end = np.datetime64(dt.date.today(), "D")
    days = np.busday_offset(end, -np.arange(n_bars)[::-1], roll="backward")
    close = 20 + 180 * rng.random((n_symbols, 1)) * np.exp(np.cumsum(rng.normal(0, 0.02, (n_symbols, n_bars)), 1))
    opens = close * (1 + rng.normal(0, 0.005, close.shape))
    high, low = np.maximum(opens, close) * 1.01, np.minimum(opens, close) * 0.99
    volume = rng.integers(50_000, 5_000_000, close.shape).astype(float)
    symbols = [f"SYN{i:05d}" for i in range(n_symbols)]
    return symbols, days, np.round(np.stack([opens, high, low, close, volume], axis=1), 2)


def cache(engine, symbols, days, ohlcv) -> None:
    """Write every bar into ohlcv_daily as fetched now (COPY on PostgreSQL, executemany on SQLite)."""
    fetched = utcnow()
    dates = [d.item() for d in days]
    with engine.begin() as conn:
        conn.execute(
            OhlcvFetch.__table__.insert(),
            [
                {
                    "provider": "synthetic",
                    "symbol": s,
                    "fetched_at": fetched,
                    "first_date": dates[0],
                    "last_date": dates[-1],
                }
                for s in symbols
            ],
        )
    if engine.dialect.name == "postgresql":
        buffer = io.StringIO()
        for i, symbol in enumerate(symbols):
            block = ohlcv[i]
            for j, day in enumerate(dates):
                buffer.write(
                    f"synthetic\t{symbol}\t{day}\t{block[0, j]}\t{block[1, j]}\t{block[2, j]}\t"
                    f"{block[3, j]}\t{block[4, j]}\t{fetched.isoformat()}\n"
                )
        buffer.seek(0)
        with engine.begin() as conn, conn.connection.driver_connection.cursor() as cursor:
            cursor.copy_expert(
                "COPY ohlcv_daily (provider, symbol, date, open, high, low, close, volume, fetched_at) FROM STDIN",
                buffer,
            )
        return
    with engine.begin() as conn:
        for i, symbol in enumerate(symbols):
            block = ohlcv[i]
            conn.execute(
                OhlcvDaily.__table__.insert(),
                [
                    {
                        "provider": "synthetic",
                        "symbol": symbol,
                        "date": day,
                        "open": block[0, j],
                        "high": block[1, j],
                        "low": block[2, j],
                        "close": block[3, j],
                        "volume": block[4, j],
                        "fetched_at": fetched,
                    }
                    for j, day in enumerate(dates)
                ],
            )


def queued_run(engine, symbols) -> dict:
    with unit_of_work(engine, write=True) as session:
        seed_templates(session)
        template_id = session.scalar(select(ScannerTemplate.id).where(ScannerTemplate.name == RSI.name))
        scanner = scanner_from_template(session, template_id)
        watchlist = Watchlist(name="bench", symbols=symbols, exchange="NYSE")
        session.add(watchlist)
        session.flush()
        scanner_id, watchlist_id = scanner.id, watchlist.id
    started = time.perf_counter()
    with unit_of_work(engine, write=True) as session:
        run, _ = enqueue_scan(session, scanner_id, watchlist_id=watchlist_id, provider="synthetic")
        run_id = run.id
    run_scan_run(engine, run_id)
    seconds = time.perf_counter() - started
    with unit_of_work(engine) as session:
        run = session.get(JobRun, run_id)
        history = session.get(ScanHistory, run.scan_history_id)
        return {
            "seconds": seconds,
            "status": history.status,
            "scanned": history.symbols_scanned,
            "signals": history.signals_found,
            "failed": run.failed_items,
        }


def sandbox_overhead(engine, symbols) -> dict:
    market = MarketData(engine, "synthetic")
    params = typed_params(RSI.parameters)
    started = time.perf_counter()
    blocks, _ = market.bars(symbols)
    read_seconds = time.perf_counter() - started
    started = time.perf_counter()
    with engine.connect() as conn:  # the read's floor: the database visiting the same bars, sending nothing back
        visited = conn.scalar(
            select(func.count(OhlcvDaily.close)).where(
                OhlcvDaily.provider == "synthetic", OhlcvDaily.date <= market.today()
            )
        )
    read_floor = time.perf_counter() - started
    assert visited == sum(b.shape[1] for b in blocks.values())
    assert market.fetched == 0, "the bars should all be cached"
    inputs = [SymbolInput(s, blocks[s]) for s in symbols]

    started = time.perf_counter()
    box = Sandbox()
    box.start()
    startup = time.perf_counter() - started
    try:
        box.run(RSI.code, inputs[:128], params)  # warm: first fork, first RSI
        started = time.perf_counter()
        outcomes = box.run(RSI.code, inputs, params)
        sandboxed = time.perf_counter() - started
        assert not any(o.error for o in outcomes)
        few = inputs[:200]
        started = time.perf_counter()
        box.run(RSI.code, few, params, batch_size=1)
        one_per_child = (time.perf_counter() - started) / len(few)
        started = time.perf_counter()
        box.run(RSI.code, few, params, batch_size=100)
        batched = (time.perf_counter() - started) / len(few)
        started = time.perf_counter()
        report = scan_symbols(RSI.code, symbols, market=market, schema=RSI.parameters, sandbox=box)
        engine_seconds = time.perf_counter() - started
    finally:
        box.close()

    compiled = compile(RSI.code, FILENAME, "exec")
    needed = names_used(RSI.code)
    items = [SymbolData(s, blocks[s]) for s in symbols]
    started = time.perf_counter()
    for entry in items:
        run_one(compiled, entry, params, needed=needed)
    unsandboxed = time.perf_counter() - started
    n = len(symbols)
    return {
        "read": read_seconds,
        "read_floor": read_floor,
        "startup": startup,
        "sandboxed": sandboxed,
        "unsandboxed": unsandboxed,
        "engine": engine_seconds,
        "signals": report.signals_found,
        "overhead_ms": (sandboxed - unsandboxed) / n * 1000,
        "sandboxed_ms": sandboxed / n * 1000,
        "unsandboxed_ms": unsandboxed / n * 1000,
        "child_ms": (one_per_child - batched) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=5000)
    parser.add_argument("--bars", type=int, default=250)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="sqlite")
    args = parser.parse_args()
    header(f"scan: RSI Oversold over {args.symbols:,} symbols x {args.bars} bars")
    symbols, days, ohlcv = synthetic_bars(args.symbols, args.bars)
    for backend in ("sqlite", "postgresql") if args.backend == "both" else (args.backend,):
        with scratch_database(backend) as url:
            engine = get_engine(url)
            started = time.perf_counter()
            cache(engine, symbols, days, ohlcv)
            print(
                f"\n[{backend}] cached {args.symbols * args.bars:,} bars in {time.perf_counter() - started:.1f} s "
                "(setup, not timed below)"
            )
            queued = queued_run(engine, symbols)
            print(
                f"[{backend}] queued run end to end: {queued['seconds']:.2f} s  ({queued['status']}, "
                f"{queued['scanned']:,} scanned, {queued['signals']:,} signals, {queued['failed']} failed)  "
                f"budget 10 s: {'OK' if queued['seconds'] <= 10 else 'OVER'}"
            )
            parts = sandbox_overhead(engine, symbols)
            print(
                f"[{backend}] cache read {parts['read']:.2f} s (floor: the database counting the same bars "
                f"{parts['read_floor']:.2f} s); worker start-up {parts['startup']:.2f} s; "
                f"scan_symbols with a warm worker {parts['engine']:.2f} s"
            )
            print(
                f"[{backend}] scanner code: sandboxed {parts['sandboxed']:.2f} s "
                f"({parts['sandboxed_ms']:.3f} ms/symbol, 2 children in parallel) vs unsandboxed in one process "
                f"{parts['unsandboxed']:.2f} s ({parts['unsandboxed_ms']:.3f} ms/symbol)"
            )
            print(
                f"[{backend}] sandbox overhead {parts['overhead_ms']:+.3f} ms/symbol (wall, batches of 100); "
                f"one forked child costs about {parts['child_ms']:.1f} ms"
            )
    print(f"\npeak RSS of this process: {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()

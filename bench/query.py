"""Scan Premiums query benchmark: the default put screen over ~1,000,000 contracts, against the bare SQL floor.

    python bench/query.py [--backend postgresql|sqlite|both] [--symbols 5000] [--runs 20]
                          [--database-url URL] [--proposed-index] [--explain]

For each backend: a database with N synthetic symbols (~190 contracts each) written by core.sync.prepare and store in
batches (or an existing one via --database-url, as of --as-of), then `--runs` warm runs of
`DatabaseScanner(session).best_per_symbol(PremiumFilters(as_of=...))` -- a session per run, as a page click
does -- interleaved with the floor: the very SQL text the scanner sends (compiled with literal values) run on a
raw DBAPI cursor (psycopg2 / sqlite3) and fetched, with no SQLAlchemy or pandas. Prints p50/p90 of both and the
ratio. Then ~30 days of symbol_daily_history are added and everything measured again (the screen must not slow
down as history grows). --proposed-index also measures with the second, covering index issue 16 weighed
(idx_sp_rank_delta, docs/premiums.md "Indexes") created by hand (and dropped afterwards); since migration 0016
idx_sp_rank itself covers the rank stage, and bench/screen_index.py weighs the layouts against the sync.
"""

from __future__ import annotations

import argparse
import datetime as dt
import time

import numpy as np
from common import header, scratch_database
from sqlalchemy import insert, text
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.engine import create_db_engine
from core.db.models import SymbolDailyHistory
from core.premiums.filters import PremiumFilters
from core.premiums.screen import DatabaseScanner
from core.providers.synthetic import SyntheticProvider
from core.sync import prepare, store

PROPOSED_INDEX = {
    "postgresql": "CREATE INDEX idx_sp_rank_delta ON stock_premiums (option_type, expiration_date, abs(delta)) "
    "INCLUDE (symbol, strike_price, mid, underlying_price, delta, id) WHERE quality_flag IS NULL",
    "sqlite": "CREATE INDEX idx_sp_rank_delta ON stock_premiums (option_type, expiration_date, abs(delta), symbol, "
    "strike_price, mid, underlying_price, delta) WHERE quality_flag IS NULL",
}


def build(engine, n_symbols: int, as_of: dt.date, batch: int = 100) -> int:
    """Sync the synthetic market into `engine` the way the sidecar does; returns contracts stored."""
    provider = SyntheticProvider(seed=7, n_symbols=n_symbols, as_of=as_of)
    fetched_at, stored, pending = utcnow(), 0, []

    def flush() -> int:
        prepared = [prepare.prepare(s, fetched_at=fetched_at, risk_free_rate=0.04) for s in pending if len(s.chain)]
        with engine.begin() as conn:
            store.write(conn, prepared, [s.quote.symbol for s in pending if not len(s.chain)], fetched_at)
        pending.clear()
        return sum(p.stored for p in prepared)

    for snapshot in provider.snapshots(provider.universe()[:n_symbols]):
        pending.append(snapshot)
        if len(pending) == batch:
            stored += flush()
    return stored + (flush() if pending else 0)


def repair_text_nan_flags(engine) -> int:
    """Work around a sync bug seen while writing this bench: rankable rows stored with quality_flag 'nan'."""
    with engine.begin() as conn:
        return conn.execute(text("UPDATE stock_premiums SET quality_flag = NULL WHERE quality_flag = 'nan'")).rowcount


def add_history(engine, days: int, as_of: dt.date) -> int:
    """~`days` sessions of symbol_daily_history per symbol (what a month of daily syncs leaves behind)."""
    with engine.connect() as conn:
        symbols = list(conn.execute(text("SELECT symbol FROM stocks")).scalars())
    now, rows = utcnow(), 0
    for back in range(1, days + 1):
        day = as_of - dt.timedelta(days=back)
        with engine.begin() as conn:
            conn.execute(
                insert(SymbolDailyHistory),
                [
                    {
                        "symbol": s,
                        "date": day,
                        "close": 100.0,
                        "iv30": 0.3,
                        "atm_put_mid_30d": 2.0,
                        "atm_call_mid_30d": 2.1,
                        "contracts": 190,
                        "total_volume": 1000,
                        "total_open_interest": 9000,
                        "fetched_at": now,
                    }
                    for s in symbols
                ],
            )
        rows += len(symbols)
    return rows


def maintain(engine) -> None:
    """What autovacuum / a periodic ANALYZE would have done by the time users query a synced table."""
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


def floor_sql(engine, filters: PremiumFilters) -> str:
    """The SQL text the scanner sends for `filters`, with every value inlined (for a raw DBAPI cursor)."""
    with Session(engine) as session:
        stmt, values = DatabaseScanner(session).statement(filters, filters.as_of)
    return str(stmt.params(values).compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))


def measure(engine, filters: PremiumFilters, runs: int) -> dict[str, list[float]]:
    """`runs` interleaved timings (ms) of the scanner and of the floor, after three warm-up rounds of each."""
    sql = floor_sql(engine, filters)
    raw = engine.raw_connection()
    ours, floor, rows = [], [], set()
    try:
        for n in range(runs + 3):
            start = time.perf_counter()
            with Session(engine) as session:
                frame = DatabaseScanner(session).best_per_symbol(filters)
            mid = time.perf_counter()
            cursor = raw.cursor()
            cursor.execute(sql)
            fetched = cursor.fetchall()
            cursor.close()
            raw.commit()
            end = time.perf_counter()
            rows.add((len(frame), len(fetched)))
            if n >= 3:
                ours.append((mid - start) * 1000)
                floor.append((end - mid) * 1000)
    finally:
        raw.close()
    assert len(rows) == 1 and len({*next(iter(rows))}) == 1, f"scanner and floor disagree on row counts: {rows}"
    return {"ours": ours, "floor": floor, "rows": next(iter(rows))[0]}


def p(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def report(backend: str, label: str, result: dict) -> None:
    ours, floor = result["ours"], result["floor"]
    print(
        f"{backend:<10} {label:<34} rows {result['rows']:>4}  ours p50 {p(ours, 50):6.1f} ms p90 {p(ours, 90):6.1f}"
        f"  floor p50 {p(floor, 50):6.1f} ms p90 {p(floor, 90):6.1f}  ratio p50 {p(ours, 50) / p(floor, 50):.2f}"
    )


def explain(engine, filters: PremiumFilters) -> None:
    sql = floor_sql(engine, filters)
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql).scalars().all()
        else:
            plan = [" ".join(str(c) for c in row[1:]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql)]
    print("\n".join(f"    {line}" for line in plan))


def bench(url: str, backend: str, args, *, fresh: bool) -> None:
    engine = create_db_engine(url)
    try:
        if fresh:
            started = time.perf_counter()
            contracts = build(engine, args.symbols, args.as_of)
            print(
                f"{backend:<10} built {contracts:,} contracts for {args.symbols:,} symbols "
                f"in {time.perf_counter() - started:.0f} s"
            )
        repaired = repair_text_nan_flags(engine)
        if repaired:
            print(f"{backend:<10} WARNING: {repaired:,} rankable rows had quality_flag 'nan' (sync bug); set to NULL")
        maintain(engine)
        filters = PremiumFilters(as_of=args.as_of)
        report(backend, "default put screen", measure(engine, filters, args.runs))
        if args.explain:
            explain(engine, filters)
        if fresh or args.history:
            added = add_history(engine, args.history_days, args.as_of)
            maintain(engine)
            report(backend, f"+ {added:,} history rows", measure(engine, filters, args.runs))
        if args.proposed_index:
            with engine.begin() as conn:
                conn.execute(text(PROPOSED_INDEX[backend]))
            maintain(engine)
            report(backend, "with proposed idx_sp_rank_delta", measure(engine, filters, args.runs))
            if args.explain:
                explain(engine, filters)
            with engine.begin() as conn:
                conn.execute(text("DROP INDEX idx_sp_rank_delta"))
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--symbols", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 20))
    parser.add_argument("--database-url", help="reuse this (already synced) database instead of building one")
    parser.add_argument("--history", action="store_true", help="with --database-url: also add history rows")
    parser.add_argument("--history-days", type=int, default=30)
    parser.add_argument("--proposed-index", action="store_true", help="also measure with the proposed index")
    parser.add_argument("--explain", action="store_true", help="print the query plan")
    args = parser.parse_args()
    header(f"Scan Premiums query: default put screen, {args.symbols} synthetic symbols, as of {args.as_of}")
    if args.database_url:
        backend = "postgresql" if args.database_url.startswith("postgresql") else "sqlite"
        bench(args.database_url, backend, args, fresh=False)
        return
    for backend in ("postgresql", "sqlite") if args.backend == "both" else (args.backend,):
        with scratch_database(backend) as url:
            bench(url, backend, args, fresh=True)


if __name__ == "__main__":
    main()

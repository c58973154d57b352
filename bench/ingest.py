"""Ingest benchmark: N synthetic symbols (about 200 contracts each) through normalise + greeks + upsert.

    python bench/ingest.py [--symbols 5000] [--backend postgresql|sqlite|both] [--batch 25]

For each backend: a first pass into an empty table and a second pass that updates every contract of a full
table (the steady state of a daily Sync All), timed by stage (provider, prepare, write). The floor is the
database's own cost for the same rows measured in the same run: on PostgreSQL the prepared CSV COPYed to the
staging table and merged with the same INSERT ... ON CONFLICT, with no Python work per row; on SQLite the same
prepared tuples through executemany. Prints medians over batches where that matters; peak RSS of the process.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time

from common import header, peak_rss_mb, scratch_database

from core.db.base import utcnow
from core.db.engine import create_db_engine
from core.providers.base import NoOptions
from core.providers.synthetic import SyntheticProvider
from core.sync import prepare, store


def run_pass(engine, provider, symbols, batch: int) -> dict[str, float]:
    stages = {"provider": 0.0, "prepare": 0.0, "write": 0.0}
    contracts = 0
    started = time.perf_counter()
    for start in range(0, len(symbols), batch):
        fetched_at = utcnow()
        t0 = time.perf_counter()
        snaps, no_options = [], []
        for symbol in symbols[start : start + batch]:
            try:
                snaps.append(provider.snapshot(symbol))
            except NoOptions:
                no_options.append(symbol)
        t1 = time.perf_counter()
        prepared = prepare.prepare_batch(snaps, fetched_at=fetched_at, risk_free_rate=0.04)
        t2 = time.perf_counter()
        with engine.begin() as conn:
            store.write(conn, prepared, no_options, fetched_at)
        t3 = time.perf_counter()
        stages["provider"] += t1 - t0
        stages["prepare"] += t2 - t1
        stages["write"] += t3 - t2
        contracts += sum(p.stored for p in prepared)
    return {"seconds": time.perf_counter() - started, "contracts": contracts, **stages}


def floor_pass(engine, provider, symbols, batch: int) -> dict[str, float]:
    """The database's cost alone: the same rows, already prepared and serialised, merged the same way.

    Each batch is prepared and serialised untimed, then only its merge is timed, so memory stays one batch.
    """
    cols = ", ".join(store.CONTRACT_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in store.CONTRACT_COLUMNS if c not in store.CONTRACT_KEY)
    fetched_at = utcnow()
    seconds, rows = 0.0, 0
    for start in range(0, len(symbols), batch):
        snaps = []
        for symbol in symbols[start : start + batch]:
            with contextlib.suppress(NoOptions):
                snaps.append(provider.snapshot(symbol))
        frame = prepare.contracts_frame(prepare.prepare_batch(snaps, fetched_at=fetched_at, risk_free_rate=0.04))
        postgres = engine.dialect.name == "postgresql"
        payload = store.postgres_copy_payload(frame).getvalue() if postgres else store.sqlite_values(frame)
        started = time.perf_counter()
        with engine.begin() as conn:
            if postgres:
                conn.exec_driver_sql(
                    f"CREATE TEMP TABLE IF NOT EXISTS _floor ON COMMIT DELETE ROWS AS "
                    f"SELECT {cols} FROM stock_premiums WITH NO DATA"
                )
                with conn.connection.driver_connection.cursor() as cur:
                    cur.copy_expert(f"COPY _floor ({cols}) FROM STDIN WITH (FORMAT binary)", io.BytesIO(payload))
                conn.exec_driver_sql(
                    f"INSERT INTO stock_premiums ({cols}) SELECT {cols} FROM _floor "
                    f"ON CONFLICT ON CONSTRAINT uq_stock_premiums_contract DO UPDATE SET {updates}"
                )
            else:
                marks = ", ".join("?" for _ in store.CONTRACT_COLUMNS)
                conn.exec_driver_sql(
                    f"INSERT INTO stock_premiums ({cols}) VALUES ({marks}) ON CONFLICT "
                    f"({', '.join(store.CONTRACT_KEY)}) DO UPDATE SET {updates.replace('EXCLUDED', 'excluded')}",
                    payload,
                )
        seconds += time.perf_counter() - started
        rows += len(frame)
    return {"seconds": seconds, "contracts": rows}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--symbols", type=int, default=5000)
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()
    header(f"ingest: {args.symbols} synthetic symbols, batches of {args.batch}")
    provider = SyntheticProvider(seed=7, n_symbols=args.symbols)
    symbols = provider.universe()[: args.symbols]
    backends = ("postgresql", "sqlite") if args.backend == "both" else (args.backend,)
    for backend in backends:
        with scratch_database(backend) as url:
            engine = create_db_engine(url)
            for label in ("insert into empty table", "update of full table"):
                r = run_pass(engine, provider, symbols, args.batch)
                rate = r["contracts"] / r["seconds"]
                print(
                    f"{backend:<10} {label:<24} {r['contracts']:>9,} contracts {r['seconds']:7.2f} s "
                    f"{rate:>9,.0f}/s  [provider {r['provider']:.2f} s, prepare {r['prepare']:.2f} s, "
                    f"write {r['write']:.2f} s]"
                )
            print(f"{backend:<10} peak RSS so far {peak_rss_mb():.0f} MB (end-to-end passes)")
            f = floor_pass(engine, provider, symbols, args.batch)
            floor_rate = f["contracts"] / f["seconds"]
            end_to_end_ex_provider = r["contracts"] / (r["prepare"] + r["write"])
            print(
                f"{backend:<10} {'floor (db merge only)':<24} {f['contracts']:>9,} contracts {f['seconds']:7.2f} s "
                f"{floor_rate:>9,.0f}/s"
            )
            print(
                f"{backend:<10} ratio: ours (prepare+write, full table) / floor = "
                f"{end_to_end_ex_provider / floor_rate:.2f}"
            )
            engine.dispose()
    print(f"peak RSS {peak_rss_mb():.0f} MB (whole process)")


if __name__ == "__main__":
    main()

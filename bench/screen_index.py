"""The screen-index trade (issue 16): the default put screen against the Sync All update pass, per index layout.

    python bench/screen_index.py [--backend postgresql|sqlite|both] [--symbols 5000] [--runs 20] [--passes 2]
                                 [--variants baseline covering delta_first replace baseline]

One run per backend: a migrated scratch database, N synthetic symbols (~190 contracts each, 940k contracts at
5,000) written by core.sync.prepare + core.sync.store.write in batches of 100 symbols as a sidecar does, then one
warm-up update pass and a VACUUM, so that the table is in the steady state of a daily sync (dead space to reuse).
The baseline is the layout before migration 0016 (idx_sp_rank on option_type, expiration_date, symbol), put back
on the scratch database before the build; "replace_keys" is what migration 0016 adopts.
Then, for each layout in --variants, in order (the baseline first and last shows any drift of the run):
- the layout is applied (indexes created or replaced) and the table vacuumed and analysed;
- the default put screen, `--runs` warm runs interleaved with its floor, exactly as bench/query.py does (the
  scanner through SQLAlchemy with a session per run; the floor the same SQL text on a raw DBAPI cursor);
- `--passes` Sync All update passes: every symbol written again through `core.sync.store.write` in batches of
  100, each batch in its own transaction, with the quotes of the build moved by a few per cent (bid/ask/mid/premium,
  IV and greeks, spot) and a new fetched_at, as the next day's sync brings. Only store.write is timed (the provider
  and prepare are outside the database's share): wall time, and this process's CPU time, which on SQLite is the
  database's work as well and moves much less with the machine's load. PostgreSQL also reports how many of the
  updates were HOT (heap-only: no index entry written) from pg_stat_user_tables. A VACUUM follows each pass (not
  timed), as autovacuum would after a sync that touched every row;
- the screen once more right after the last pass, before that VACUUM (on PostgreSQL the visibility map is then
  cleared, so an index-only scan must visit the heap): `--runs` // 2 runs;
- the layout's index sizes, and the table's.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import statistics
import time

import numpy as np
from common import header, scratch_database
from query import maintain, measure, p, repair_text_nan_flags
from sqlalchemy import text

from core.db.base import utcnow
from core.db.engine import create_db_engine
from core.premiums.filters import PremiumFilters
from core.providers.synthetic import SyntheticProvider
from core.sync import prepare, store
from core.sync.prepare import utc_naive

BATCH = 100
# what the rank stage reads besides the keys (SQLite indexes carry the rowid, the id)
_COVERED = "symbol, strike_price, mid, underlying_price, delta, contract_size, id"
_SQLITE_COVERED = "symbol, strike_price, mid, underlying_price, delta, contract_size"
ORIGINAL = (
    "CREATE INDEX idx_sp_rank ON stock_premiums (option_type, expiration_date, symbol) WHERE quality_flag IS NULL"
)

# name -> backend -> (statements that apply the layout, statements that undo it)
VARIANTS: dict[str, dict[str, tuple[list[str], list[str]]]] = {
    "baseline": {"postgresql": ([], []), "sqlite": ([], [])},
    # issue 16's proposal: a second, covering index beside idx_sp_rank
    "covering": {
        "postgresql": (
            [
                "CREATE INDEX idx_sp_rank_delta ON stock_premiums (option_type, expiration_date, abs(delta)) "
                f"INCLUDE ({_COVERED}) WHERE quality_flag IS NULL"
            ],
            ["DROP INDEX idx_sp_rank_delta"],
        ),
        "sqlite": (
            [
                "CREATE INDEX idx_sp_rank_delta ON stock_premiums (option_type, expiration_date, abs(delta), "
                f"{_SQLITE_COVERED}) WHERE quality_flag IS NULL"
            ],
            ["DROP INDEX idx_sp_rank_delta"],
        ),
    },
    # the same with |delta| before the expiry: the delta band may be narrower than the DTE band
    "delta_first": {
        "postgresql": (
            [
                "CREATE INDEX idx_sp_rank_delta ON stock_premiums (option_type, abs(delta), expiration_date) "
                f"INCLUDE ({_COVERED}) WHERE quality_flag IS NULL"
            ],
            ["DROP INDEX idx_sp_rank_delta"],
        ),
        "sqlite": (
            [
                "CREATE INDEX idx_sp_rank_delta ON stock_premiums (option_type, abs(delta), expiration_date, "
                f"{_SQLITE_COVERED}) WHERE quality_flag IS NULL"
            ],
            ["DROP INDEX idx_sp_rank_delta"],
        ),
    },
    # idx_sp_rank itself made covering: the same number of indexes as today, so no extra index to maintain
    "replace": {
        "postgresql": (
            [
                "DROP INDEX idx_sp_rank",
                "CREATE INDEX idx_sp_rank ON stock_premiums (option_type, expiration_date, symbol) "
                "INCLUDE (strike_price, mid, underlying_price, delta, contract_size, id) WHERE quality_flag IS NULL",
            ],
            ["DROP INDEX idx_sp_rank", ORIGINAL],
        ),
        "sqlite": (
            [
                "DROP INDEX idx_sp_rank",
                "CREATE INDEX idx_sp_rank ON stock_premiums (option_type, expiration_date, symbol, strike_price, "
                "mid, underlying_price, delta, contract_size) WHERE quality_flag IS NULL",
            ],
            ["DROP INDEX idx_sp_rank", ORIGINAL],
        ),
    },
    # what migration 0016 adopts: idx_sp_rank with the rank inputs as key columns on both backends (one model
    # for both; PostgreSQL adds the id as INCLUDE, SQLite's indexes carry the rowid anyway). quality_flag (NULL in
    # every entry) is there for SQLite 3.40, which calls an index covering only if it holds every column the query
    # names, the partial index's own WHERE column included: without it the variants above are not covering there.
    "replace_keys": {
        "postgresql": (
            [
                "DROP INDEX idx_sp_rank",
                "CREATE INDEX idx_sp_rank ON stock_premiums (option_type, expiration_date, symbol, strike_price, "
                "mid, underlying_price, delta, contract_size, quality_flag) INCLUDE (id) WHERE quality_flag IS NULL",
            ],
            ["DROP INDEX idx_sp_rank", ORIGINAL],
        ),
        "sqlite": (
            [
                "DROP INDEX idx_sp_rank",
                "CREATE INDEX idx_sp_rank ON stock_premiums (option_type, expiration_date, symbol, strike_price, "
                "mid, underlying_price, delta, contract_size, quality_flag) WHERE quality_flag IS NULL",
            ],
            ["DROP INDEX idx_sp_rank", ORIGINAL],
        ),
    },
}


def build(engine, n_symbols: int, as_of: dt.date) -> list[prepare.PreparedSymbol]:
    """Sync the synthetic market into `engine` as the sidecar does; returns what was written (for later passes)."""
    provider = SyntheticProvider(seed=7, n_symbols=n_symbols, as_of=as_of)
    fetched_at, kept, pending = utcnow(), [], []

    def flush() -> None:
        prepared = prepare.prepare_batch(
            [s for s in pending if len(s.chain)], fetched_at=fetched_at, risk_free_rate=0.04
        )
        with engine.begin() as conn:
            store.write(conn, prepared, [s.quote.symbol for s in pending if not len(s.chain)], fetched_at)
        kept.extend(prepared)
        pending.clear()

    for snapshot in provider.snapshots(provider.universe()[:n_symbols]):
        pending.append(snapshot)
        if len(pending) == BATCH:
            flush()
    if pending:
        flush()
    return kept


_PRICES = ("bid", "ask", "last", "mid", "premium")
_GREEKS = ("implied_volatility", "delta", "gamma", "theta", "vega")


def moved(p: prepare.PreparedSymbol, fetched_at: dt.datetime, rng: np.random.Generator) -> prepare.PreparedSymbol:
    """The symbol's next-day quotes: prices, IV and greeks moved by a few per cent, spot by up to 2 %."""
    c = dict(p.contracts)
    n = c["strike_price"].size
    for name in _PRICES:
        c[name] = c[name] * (1 + rng.normal(0, 0.03, n))
    for name in _GREEKS:
        c[name] = c[name] * (1 + rng.normal(0, 0.02, n))
    c["underlying_price"] = c["underlying_price"] * (1 + rng.uniform(-0.02, 0.02))
    c["fetched_at"] = np.full(n, utc_naive([fetched_at])[0])
    return dataclasses.replace(
        p,
        contracts=c,
        stock={**p.stock, "last_updated": fetched_at},
        state={**p.state, "fetched_at": fetched_at},
        history={**p.history, "fetched_at": fetched_at},
    )


def update_pass(engine, kept: list[prepare.PreparedSymbol], seed: int) -> dict:
    """One Sync All over existing rows through store.write; returns seconds (writes only) and HOT counts."""
    rng = np.random.default_rng(seed)
    fetched_at = utcnow()
    before = hot_counts(engine)
    seconds = cpu = 0.0
    for start in range(0, len(kept), BATCH):
        batch = [moved(p, fetched_at, rng) for p in kept[start : start + BATCH]]
        began, began_cpu = time.perf_counter(), time.process_time()
        with engine.begin() as conn:
            store.write(conn, batch, [], fetched_at)
        seconds += time.perf_counter() - began
        cpu += time.process_time() - began_cpu
    after = hot_counts(engine)
    return {"seconds": seconds, "cpu": cpu, "updated": after[0] - before[0], "hot": after[1] - before[1]}


def hot_counts(engine) -> tuple[int, int]:
    """PostgreSQL's cumulative (updates, HOT updates) of stock_premiums; (0, 0) on SQLite."""
    if engine.dialect.name != "postgresql":
        return 0, 0
    engine.dispose()  # a backend flushes its pending statistics when it exits
    time.sleep(1.0)
    with engine.connect() as conn:
        conn.exec_driver_sql("SELECT pg_stat_clear_snapshot()")
        row = conn.exec_driver_sql(
            "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relname = 'stock_premiums'"
        ).one()
    return int(row[0]), int(row[1])


def sizes(engine) -> dict[str, float]:
    """MB of the stock_premiums table and of each of its indexes."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            rows = conn.exec_driver_sql(
                "SELECT c.relname, pg_relation_size(c.oid) FROM pg_class c "
                "WHERE c.relname = 'stock_premiums' OR c.oid IN "
                "(SELECT indexrelid FROM pg_index WHERE indrelid = 'stock_premiums'::regclass)"
            ).all()
        else:
            names = [
                r[0]
                for r in conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE tbl_name = 'stock_premiums' AND type IN ('table', 'index')"
                )
            ]
            rows = [
                (name, conn.exec_driver_sql("SELECT sum(pgsize) FROM dbstat WHERE name = ?", (name,)).scalar() or 0)
                for name in names
            ]
    return {name: size / 2**20 for name, size in rows}


def run_backend(url: str, backend: str, args) -> None:
    engine = create_db_engine(url)
    say = lambda line: print(f"{backend:<10} {line}", flush=True)
    try:
        with engine.begin() as conn:  # the layout before migration 0016, whatever the scratch database has
            conn.execute(text("DROP INDEX idx_sp_rank"))
            conn.execute(text(ORIGINAL))
        engine.dispose()
        started = time.perf_counter()
        kept = build(engine, args.symbols, args.as_of)
        contracts = sum(p.stored for p in kept)
        say(f"built {contracts:,} contracts for {len(kept):,} symbols in {time.perf_counter() - started:.0f} s")
        repaired = repair_text_nan_flags(engine)
        if repaired:
            say(f"WARNING: {repaired:,} rankable rows had quality_flag 'nan'; set to NULL")
        warm = update_pass(engine, kept, seed=0)
        maintain(engine)
        say(f"warm-up update pass {warm['seconds']:.1f} s (not counted)")
        filters = PremiumFilters(as_of=args.as_of)
        seed = 1
        summary = []
        for name in args.variants:
            apply, undo = VARIANTS[name][backend]
            began = time.perf_counter()
            with engine.begin() as conn:
                for statement in apply:
                    conn.execute(text(statement))
            built = time.perf_counter() - began
            maintain(engine)
            fresh = sum(v for k, v in sizes(engine).items() if k != "stock_premiums")
            screen = measure(engine, filters, args.runs)
            passes = []
            for n in range(args.passes):
                result = update_pass(engine, kept, seed=seed)
                seed += 1
                if n == args.passes - 1:
                    after_sync = measure(engine, filters, max(args.runs // 2, 3))
                maintain(engine)
                passes.append(result)
            layout = sizes(engine)
            indexes = {k: v for k, v in layout.items() if k != "stock_premiums"}
            with engine.begin() as conn:
                for statement in undo:
                    conn.execute(text(statement))
            engine.dispose()  # SQLite: a pooled connection may keep the dropped index's schema; start afresh
            update = statistics.median(r["seconds"] for r in passes)
            runs = ", ".join(f"{r['seconds']:.1f}" for r in passes)
            cpu = ", ".join(f"{r['cpu']:.1f}" for r in passes)
            hot = (
                ""
                if backend == "sqlite"
                else f" HOT {sum(r['hot'] for r in passes):,} of {sum(r['updated'] for r in passes):,} updates"
            )
            ours, floor, after = screen["ours"], screen["floor"], after_sync
            listed = ", ".join(f"{k} {v:.0f}" for k, v in sorted(indexes.items()))
            say(
                f"{name:<12} screen rows {screen['rows']} p50 {p(ours, 50):6.1f} p90 {p(ours, 90):6.1f} ms"
                f" floor p50 {p(floor, 50):6.1f} ms ratio {p(ours, 50) / p(floor, 50):.2f}"
                f" | after sync, before vacuum: p50 {p(after['ours'], 50):6.1f} floor {p(after['floor'], 50):6.1f} ms"
                f" | update passes {runs} s (median {update:.1f} s, {contracts / update:,.0f} contracts/s;"
                f" this process's CPU {cpu} s){hot}"
                f" | index build {built:.1f} s; indexes {fresh:.0f} MB when built, {sum(indexes.values()):.0f} MB"
                f" after the passes ({listed}); table {layout['stock_premiums']:.0f} MB"
            )
            summary.append((name, p(screen["ours"], 50), p(screen["floor"], 50), update))
        base = [s for s in summary if s[0] == "baseline"]
        if base:
            screen0, update0 = statistics.mean(s[1] for s in base), statistics.mean(s[3] for s in base)
            for name, ours, floor, update in summary:
                say(
                    f"summary {name:<12} screen p50 {ours:6.1f} ms ({ours / screen0:.2f} x baseline,"
                    f" {ours / floor:.2f} x floor)  update pass {update:6.1f} s ({update / update0 - 1:+.0%} against"
                    " the baseline mean)"
                )
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("postgresql", "sqlite", "both"), default="both")
    parser.add_argument("--symbols", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 20))
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=tuple(VARIANTS),
        default=["baseline", "covering", "delta_first", "replace", "baseline"],
    )
    args = parser.parse_args()
    header(
        f"Screen index trade: {args.symbols} synthetic symbols, as of {args.as_of}, layouts {' '.join(args.variants)}"
    )
    for backend in ("postgresql", "sqlite") if args.backend == "both" else (args.backend,):
        with scratch_database(backend) as url:
            run_backend(url, backend, args)


if __name__ == "__main__":
    main()

"""Sync All benchmark: N synthetic symbols (about 200 contracts each) through real sidecar processes into PostgreSQL.

    python bench/sync_all.py [--symbols 5000] [--sidecars 1 2] [--passes 1] [--batch-size 100]

For each sidecar count: a fresh migrated database, one Sync All enqueued (the synthetic universe of --symbols),
then that many `python -m core.sync --drain --worker-only` processes started together. Reported per pass:
wall time from starting the processes until the last one exits (process start-up included), the run's own
duration (its first claim to its last outcome, from job_runs), contracts per second over both, and the peak RSS
of each sidecar process (from wait4). Pass 1 inserts into an empty table; a second pass (--passes 2) updates
every contract of a full one, the steady state of a daily Sync All.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import time

from common import header, scratch_database

from core.config import get_settings
from core.db.engine import create_db_engine, unit_of_work
from core.db.models import JobRun
from core.sync.requests import SyncRequest, enqueue_sync

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def one_pass(url: str, sidecars: int, batch_size: int, as_of: dt.date, env: dict[str, str]) -> dict:
    engine = create_db_engine(url)
    with unit_of_work(engine, write=True) as session:
        run, _ = enqueue_sync(
            session, SyncRequest(all_symbols=True, provider="synthetic", as_of=as_of, requested_by="bench")
        )
        run_id = run.id
    started = time.perf_counter()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "core.sync",
                "--drain",
                "--worker-only",
                "--database-url",
                url,
                "--batch-size",
                str(batch_size),
                "--log-format",
                "json",
            ],
            cwd=REPO_ROOT,
            env=env,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(sidecars)
    ]
    rss_mb, statuses = [], []
    for proc in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        statuses.append(proc.returncode)
        rss_mb.append(usage.ru_maxrss / 1024)
    wall = time.perf_counter() - started
    with unit_of_work(engine) as session:
        run = session.get(JobRun, run_id)
        result = {
            "status": run.status,
            "symbols": run.total_items,
            "done": run.done_items,
            "failed": run.failed_items,
            "contracts": run.contracts,
            "wall": wall,
            "run_seconds": (run.finished_at - run.started_at).total_seconds(),
            "rss_mb": rss_mb,
            "exit": statuses,
        }
    engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=5000)
    parser.add_argument("--sidecars", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--passes", type=int, default=1, choices=(1, 2))
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2026, 11, 20))
    args = parser.parse_args()
    os.environ["SYNTHETIC_UNIVERSE_SIZE"] = str(args.symbols)
    get_settings.cache_clear()
    env = {**os.environ, "PYTHONPATH": REPO_ROOT}
    header(f"Sync All: {args.symbols} synthetic symbols into PostgreSQL, batches of {args.batch_size}")
    for count in args.sidecars:
        with scratch_database("postgresql") as url:
            for number in range(1, args.passes + 1):
                r = one_pass(url, count, args.batch_size, args.as_of, env)
                label = "insert (empty table)" if number == 1 else "update (full table)"
                print(
                    f"{count} sidecar{'s' if count > 1 else ' '} {label:<21} {r['status']} "
                    f"{r['done']}/{r['symbols']} symbols ({r['failed']} failed), {r['contracts']:,} contracts; "
                    f"wall {r['wall']:.1f} s = {r['contracts'] / r['wall']:,.0f}/s; run {r['run_seconds']:.1f} s = "
                    f"{r['contracts'] / r['run_seconds']:,.0f}/s; peak RSS "
                    f"{', '.join(f'{m:.0f}' for m in r['rss_mb'])} MB; exit {r['exit']}",
                    flush=True,
                )


if __name__ == "__main__":
    main()

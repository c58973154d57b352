"""Races between writers: the dashboard while the sidecar writes, two workers finishing a run, slow fetches."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter

import pytest
from sqlalchemy import select, text

from core.db.engine import create_db_engine, unit_of_work
from core.db.models import JobItem, JobRun
from core.jobs import queue
from core.providers.synthetic import SyntheticProvider
from core.sync.worker import SyncWorker


def test_dashboard_writes_wait_for_the_sidecar_on_sqlite(committed_engine, db_url):
    """A read-then-write unit of work must queue behind a busy writer, not fail with 'database is locked'."""
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's locking only; PostgreSQL has row locks")
    sidecar = create_db_engine(db_url, sqlite_immediate=True)
    stop = threading.Event()

    def busy_writer() -> None:  # like the sidecar: write bursts holding the lock, fetching in between
        while not stop.is_set():
            with sidecar.begin() as conn:
                conn.execute(text("UPDATE settings SET value = value WHERE key = 'nothing'"))
                time.sleep(0.1)
            time.sleep(0.05)

    writer = threading.Thread(target=busy_writer)
    writer.start()
    failures = []
    try:
        for n in range(15):
            try:
                with unit_of_work(committed_engine, write=True) as session:
                    queue.enqueue_run(session, kind="sync", scope=f"sync:symbols:{n}", symbols=["AAA"])
            except Exception as exc:
                failures.append(repr(exc))
            time.sleep(0.02)
    finally:
        stop.set()
        writer.join()
        sidecar.dispose()
    assert failures == []


def test_two_workers_recording_the_last_items_at_once_close_the_run(committed_engine, db_url):
    if not db_url.startswith("postgresql"):
        pytest.skip("concurrent workers share a queue only on PostgreSQL")
    with unit_of_work(committed_engine, write=True) as session:
        run, _ = queue.enqueue_run(session, kind="sync", scope="sync:all", symbols=["AAA", "BBB"])
        run_id = run.id
    with committed_engine.begin() as conn:
        first = queue.claim_items(conn, "w1", 1, kind="sync")
    with committed_engine.begin() as conn:
        second = queue.claim_items(conn, "w2", 1, kind="sync")
    barrier = threading.Barrier(2)

    def record(worker: str, claims) -> None:
        with committed_engine.begin() as conn:
            barrier.wait()
            queue.record_outcomes(conn, worker, [queue.ItemOutcome(claims[0].item_id, "synced", contracts=1)])

    threads = [threading.Thread(target=record, args=a) for a in (("w1", first), ("w2", second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with unit_of_work(committed_engine) as session:
        run = session.get(JobRun, run_id)
        assert (run.status, run.done_items, run.active_scope) == ("completed", 2, None)


class SlowProvider(SyntheticProvider):
    """The synthetic market, answering at yfinance-like speed and counting what it was asked."""

    def __init__(self, calls: Counter, delay: float, **kw):
        super().__init__(**kw)
        self.calls, self.delay = calls, delay

    def snapshot(self, symbol, max_dte=0):
        self.calls[symbol] += 1
        time.sleep(self.delay)
        return super().snapshot(symbol, max_dte)


def test_slow_fetches_keep_their_leases_and_each_symbol_is_fetched_once(committed_engine):
    calls: Counter = Counter()
    symbols = ["AAPL", "MSFT", "KO", "PEP", "XOM", "JPM"]
    with unit_of_work(committed_engine, write=True) as session:
        run, _ = queue.enqueue_run(
            session,
            kind="sync",
            scope="sync:all",
            symbols=symbols,
            provider="synthetic",
            params={"as_of": "2026-11-20"},
        )
        run_id = run.id

    def factory(name, source=None, as_of=None):
        return SlowProvider(calls, 0.4, as_of=as_of or dt.date(2026, 11, 20))

    worker = SyncWorker(
        committed_engine, batch_size=len(symbols), lease=dt.timedelta(seconds=1.2), provider_factory=factory
    )
    worker.run_until_idle()
    assert calls == Counter({s: 1 for s in symbols})
    with unit_of_work(committed_engine) as session:
        assert session.get(JobRun, run_id).status == "completed"
        assert {i.attempts for i in session.scalars(select(JobItem))} == {1}

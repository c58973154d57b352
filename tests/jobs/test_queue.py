"""The job queue on both backends: one active run per scope, leases, reclaiming, outcomes and totals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from core.db.engine import unit_of_work
from core.db.models import JobItem, JobRun
from core.jobs import queue
from core.sync.requests import sync_scope

SYMBOLS = ["AAA", "BBB", "CCC", "DDD", "EEE"]


def _enqueue(engine, symbols=SYMBOLS, scope="sync:all"):
    with unit_of_work(engine, write=True) as session:
        run, created = queue.enqueue_run(session, kind="sync", scope=scope, symbols=symbols, provider="synthetic")
        return run.id, created


def test_second_request_of_same_scope_returns_existing_run(committed_engine):
    first, created = _enqueue(committed_engine)
    second, created_again = _enqueue(committed_engine)
    assert created and not created_again
    assert first == second
    other, created_other = _enqueue(committed_engine, ["AAA"], scope=sync_scope(symbols=["AAA"]))
    assert created_other and other != first
    with unit_of_work(committed_engine) as session:
        assert session.scalar(select(JobRun.total_items).where(JobRun.id == first)) == len(SYMBOLS)
        assert len(session.scalars(select(JobItem).where(JobItem.run_id == first)).all()) == len(SYMBOLS)


def test_claims_do_not_overlap_and_outcomes_close_the_run(committed_engine):
    run_id, _ = _enqueue(committed_engine)
    with committed_engine.begin() as conn:
        first = queue.claim_items(conn, "w1", 3, kind="sync")
    with committed_engine.begin() as conn:
        second = queue.claim_items(conn, "w2", 3, kind="sync")
    assert [c.symbol for c in first] == SYMBOLS[:3]
    assert [c.symbol for c in second] == SYMBOLS[3:]
    with committed_engine.begin() as conn:
        assert queue.claim_items(conn, "w3", 3, kind="sync") == []

    with committed_engine.begin() as conn:
        queue.record_outcomes(
            conn,
            "w1",
            [
                queue.ItemOutcome(first[0].item_id, "synced", contracts=10, quarantined={"bid_not_positive": 2}),
                queue.ItemOutcome(first[1].item_id, "no_options"),
                queue.ItemOutcome(first[2].item_id, "failed", error="provider timed out"),
            ],
        )
    with unit_of_work(committed_engine) as session:
        run = session.get(JobRun, run_id)
        assert (run.status, run.done_items, run.failed_items, run.no_options_items, run.contracts) == (
            "running",
            3,
            1,
            1,
            10,
        )
        assert run.active_scope == "sync:all"

    with committed_engine.begin() as conn:
        queue.record_outcomes(
            conn,
            "w2",
            [
                queue.ItemOutcome(c.item_id, "synced", contracts=5, quarantined={"bid_not_positive": 1, "expired": 4})
                for c in second
            ],
        )
    with unit_of_work(committed_engine) as session:
        run = session.get(JobRun, run_id)
        assert run.status == "completed" and run.active_scope is None and run.finished_at is not None
        assert run.contracts == 20 and run.done_items == 5
        assert run.quarantined == {"bid_not_positive": 4, "expired": 8}
    new_run, created = _enqueue(committed_engine)  # the scope is free again once the run has finished
    assert created and new_run != run_id


def test_expired_lease_is_reclaimed_and_exhausted_items_fail(committed_engine):
    run_id, _ = _enqueue(committed_engine, ["AAA"])
    for attempt in range(1, queue.MAX_ATTEMPTS + 1):
        with committed_engine.begin() as conn:
            claims = queue.claim_items(conn, f"dead-{attempt}", 1, kind="sync")
            assert [(c.symbol, c.attempts) for c in claims] == [("AAA", attempt)]
            conn.execute(update(JobItem).values(lease_expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC)))
    with committed_engine.begin() as conn:
        assert queue.claim_items(conn, "w", 1, kind="sync") == []
    with unit_of_work(committed_engine) as session:
        item = session.scalar(select(JobItem))
        assert item.status == "failed" and "stopped 3 times" in item.error_message
        assert session.get(JobRun, run_id).status == "failed"


def test_live_lease_is_not_stolen_and_heartbeat_extends_it(committed_engine):
    _enqueue(committed_engine, ["AAA"])
    with committed_engine.begin() as conn:
        claim = queue.claim_items(conn, "w1", 1, lease=dt.timedelta(seconds=30), kind="sync")[0]
        before = conn.execute(select(JobItem.lease_expires_at)).scalar_one()
        assert queue.claim_items(conn, "w2", 1, kind="sync") == []
        assert queue.extend_leases(conn, "w1", [claim.item_id], lease=dt.timedelta(seconds=300)) == 1
        assert queue.extend_leases(conn, "w2", [claim.item_id]) == 0
        assert conn.execute(select(JobItem.lease_expires_at)).scalar_one() > before


def test_released_items_are_queued_again_without_using_an_attempt(committed_engine):
    _enqueue(committed_engine, ["AAA", "BBB"])
    with committed_engine.begin() as conn:
        queue.claim_items(conn, "w1", 2, kind="sync")
        assert queue.release_items(conn, "w1") == 2
        again = queue.claim_items(conn, "w2", 2, kind="sync")
    assert [(c.symbol, c.attempts) for c in again] == [("AAA", 1), ("BBB", 1)]


def test_cancel_stops_queued_items(committed_engine):
    run_id, _ = _enqueue(committed_engine)
    with committed_engine.begin() as conn:
        queue.claim_items(conn, "w1", 1, kind="sync")
        queue.cancel_run(conn, run_id)
        assert queue.claim_items(conn, "w2", 5, kind="sync") == []
    with unit_of_work(committed_engine) as session:
        assert session.get(JobRun, run_id).status == "cancelled"


def test_empty_run_completes_at_once(committed_engine):
    run_id, created = _enqueue(committed_engine, [])
    with unit_of_work(committed_engine) as session:
        run = session.get(JobRun, run_id)
        assert created and run.status == "completed" and run.active_scope is None

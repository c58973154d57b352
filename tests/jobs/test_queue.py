"""The job queue on both backends: one active run per scope, leases, reclaiming, outcomes and totals."""

from __future__ import annotations

import datetime as dt

import pytest
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
        assert item.status == "failed"
        assert item.error_message == "gave up after 3 attempts: its worker stopped while working on it"
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


def _lapse(conn, worker):
    conn.execute(
        update(JobItem)
        .where(JobItem.lease_owner == worker)
        .values(lease_expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    )


def _release(conn, worker):
    queue.release_items(conn, worker)


def _release_with_reason(conn, worker):
    queue.release_items(conn, worker, reason=f"{worker}: the database refused its result")


GIVE_BACKS = {"release": _release, "release with a reason": _release_with_reason, "lease lapses": _lapse}


@pytest.mark.parametrize(
    "pattern",
    [
        ("release",) * 3,
        ("release with a reason",) * 3,
        ("lease lapses", "release", "release with a reason"),
        ("release with a reason", "lease lapses", "release"),
    ],
    ids=lambda p: "/".join(p),
)
def test_no_way_of_giving_an_item_back_lowers_its_attempts_and_the_run_closes(committed_engine, pattern):
    """Every way an item comes back unfinished spends its attempt; after MAX_ATTEMPTS it fails with the last
    reason given, its run closes and a run queued behind it is claimed (the poison loop of issue 10)."""
    poisoned, _ = _enqueue(committed_engine, ["AAA"])
    behind, _ = _enqueue(committed_engine, ["BBB"], scope=sync_scope(symbols=["BBB"]))
    seen, reason = [], None
    for attempt, give_back in enumerate(pattern, start=1):
        worker = f"w{attempt}"
        with committed_engine.begin() as conn:
            claims = queue.claim_items(conn, worker, 1, run_id=poisoned, kind="sync")
            seen.append(claims[0].attempts)
            GIVE_BACKS[give_back](conn, worker)
            assert conn.execute(select(JobItem.attempts).where(JobItem.id == claims[0].item_id)).scalar_one() == attempt
        reason = f"{worker}: the database refused its result" if give_back == "release with a reason" else reason
    assert seen == [1, 2, 3]
    with committed_engine.begin() as conn:
        assert [c.symbol for c in queue.claim_items(conn, "next", 5, kind="sync")] == ["BBB"]
    with unit_of_work(committed_engine) as session:
        item = session.scalar(select(JobItem).where(JobItem.run_id == poisoned))
        run = session.get(JobRun, poisoned)
        assert item.status == "failed" and item.lease_owner is None
        assert item.error_message == "gave up after 3 attempts: " + (reason or "its worker stopped while working on it")
        assert (run.status, run.active_scope, run.failed_items) == ("failed", None, 1)


def test_a_released_item_that_then_succeeds_keeps_no_stale_reason(committed_engine):
    run_id, _ = _enqueue(committed_engine, ["AAA"])
    with committed_engine.begin() as conn:
        queue.claim_items(conn, "w1", 1, kind="sync")
        assert queue.release_items(conn, "w1", reason="broke once") == 1
        claim = queue.claim_items(conn, "w2", 1, kind="sync")[0]
        assert claim.attempts == 2
        queue.record_outcomes(conn, "w2", [queue.ItemOutcome(claim.item_id, "synced")])
    with unit_of_work(committed_engine) as session:
        item = session.scalar(select(JobItem))
        assert (item.status, item.error_message, session.get(JobRun, run_id).status) == ("synced", None, "completed")


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

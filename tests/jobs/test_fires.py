"""Schedule fires become scan runs exactly once, on both backends, also when two workers race for the same fire."""

from __future__ import annotations

import datetime as dt
import threading

from sqlalchemy import func, select

from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import JobItem, JobRun, ScanSchedule, ScheduleFire
from core.jobs import fires
from tests.support.schedules import make_schedule

GRACE = dt.timedelta(minutes=5)


def _schedule(engine, schedule_id) -> ScanSchedule:
    with unit_of_work(engine) as session:
        return session.get(ScanSchedule, schedule_id)


def _count(engine, model, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def test_a_due_fire_is_enqueued_once_and_moves_the_schedule_on(committed_engine):
    now = utcnow()
    due = now - dt.timedelta(seconds=30)
    schedule_id = make_schedule(committed_engine, next_run=due)
    [outcome] = fires.dispatch_due(committed_engine, now, GRACE, provider="synthetic")
    assert outcome.created and outcome.fire_time == due
    schedule = _schedule(committed_engine, schedule_id)
    assert schedule.last_run == due and schedule.next_run == due + dt.timedelta(minutes=15)
    with unit_of_work(committed_engine) as session:
        run = session.get(JobRun, outcome.run_id)
        assert (run.kind, run.status, run.total_items) == ("scan", "queued", 3)
        assert run.scope == f"scan:{schedule.scanner_id}:watchlist:{schedule.watchlist_id}"
        assert run.params == {
            "scanner_id": schedule.scanner_id,
            "watchlist_id": schedule.watchlist_id,
            "schedule_id": schedule_id,
            "fire_time": due.isoformat(),
        }
        assert sorted(session.scalars(select(JobItem.symbol).where(JobItem.run_id == run.id))) == [
            "AAPL",
            "MSFT",
            "NVDA",
        ]
        fire = session.scalar(select(ScheduleFire))
        assert (fire.schedule_id, fire.fire_time, fire.run_id) == (schedule_id, due, run.id)
    assert fires.dispatch_due(committed_engine, now, GRACE) == []  # nothing due any more


def test_the_same_fire_twice_is_one_fire(committed_engine):
    at = utcnow().replace(microsecond=0)
    schedule_id = make_schedule(committed_engine, next_run=at)
    first = fires.enqueue_fire(committed_engine, schedule_id, at)
    second = fires.enqueue_fire(committed_engine, schedule_id, at)
    assert first.created and not second.created and second.run_id == first.run_id
    assert _count(committed_engine, ScheduleFire) == 1 and _count(committed_engine, JobRun) == 1


def test_two_workers_racing_for_each_fire_enqueue_it_once(committed_engine):
    schedule_id = make_schedule(committed_engine, symbols=())  # an empty watchlist: each run completes at once
    start = utcnow().replace(microsecond=0)
    fire_times = [start + dt.timedelta(minutes=15 * i) for i in range(6)]
    results: list = []
    barrier = threading.Barrier(2, timeout=30)

    def worker():
        for fire_time in fire_times:
            barrier.wait()
            results.append(fires.enqueue_fire(committed_engine, schedule_id, fire_time))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 2 * len(fire_times)
    created = sorted(r.fire_time for r in results if r.created)
    assert created == fire_times  # each fire created by exactly one of the two
    assert _count(committed_engine, ScheduleFire) == len(fire_times)
    assert _count(committed_engine, JobRun, JobRun.kind == "scan") == len(fire_times)
    assert _schedule(committed_engine, schedule_id).last_run == fire_times[-1]


def test_a_fire_while_the_last_scan_still_waits_returns_that_run(committed_engine):
    schedule_id = make_schedule(committed_engine)
    at = utcnow().replace(microsecond=0)
    first = fires.enqueue_fire(committed_engine, schedule_id, at)
    later = fires.enqueue_fire(committed_engine, schedule_id, at + dt.timedelta(minutes=15))
    assert first.created and later.created and later.run_id == first.run_id  # no pile-up of queued scans
    assert _count(committed_engine, ScheduleFire) == 2 and _count(committed_engine, JobRun) == 1


def test_planning_fills_next_run_skips_long_missed_fires_and_ignores_inactive(committed_engine):
    now = utcnow()
    fresh = make_schedule(committed_engine, schedule_type="daily", interval_minutes=None, run_time=dt.time(9, 45))
    missed = make_schedule(
        committed_engine, next_run=now - dt.timedelta(hours=2), last_run=now - dt.timedelta(hours=2, minutes=15)
    )
    inactive = make_schedule(committed_engine, is_active=False, next_run=now - dt.timedelta(seconds=5))
    assert fires.dispatch_due(committed_engine, now, GRACE) == []
    assert _schedule(committed_engine, fresh).next_run > now
    moved = _schedule(committed_engine, missed).next_run
    assert now < moved <= now + dt.timedelta(minutes=15)  # keeps the interval's phase from its last run
    assert _schedule(committed_engine, inactive).next_run == now - dt.timedelta(seconds=5)
    assert _count(committed_engine, ScheduleFire) == 0


def test_an_edited_schedule_is_replanned(committed_engine):
    now = utcnow()
    last = now - dt.timedelta(minutes=10)
    schedule_id = make_schedule(
        committed_engine, interval_minutes=60, last_run=last, next_run=last + dt.timedelta(minutes=60)
    )
    [plan] = fires.plan_schedules(committed_engine, now, GRACE)
    assert plan.fire_time == last + dt.timedelta(minutes=60)
    with unit_of_work(committed_engine, write=True) as session:
        session.get(ScanSchedule, schedule_id).interval_minutes = 120  # longer: the stored fire is still believable
    [plan] = fires.plan_schedules(committed_engine, now, GRACE, edited=frozenset({schedule_id}))
    assert plan.fire_time == last + dt.timedelta(minutes=120)
    assert _schedule(committed_engine, schedule_id).next_run == plan.fire_time


def test_a_draft_scanner_is_never_run_by_its_schedule(committed_engine):
    from core.db.models import Scanner

    now = utcnow()
    due = now - dt.timedelta(seconds=30)
    schedule_id = make_schedule(committed_engine, next_run=due)
    with unit_of_work(committed_engine, write=True) as session:  # saved with validation problems since
        session.get(Scanner, session.get(ScanSchedule, schedule_id).scanner_id).draft = True
    [outcome] = fires.dispatch_due(committed_engine, now, GRACE, provider="synthetic")
    assert (outcome.created, outcome.run_id) == (False, None)
    assert _count(committed_engine, JobRun) == 0
    schedule = _schedule(committed_engine, schedule_id)  # the schedule moves on rather than retry the fire
    assert schedule.last_run == due and schedule.next_run == due + dt.timedelta(minutes=15)
    assert fires.dispatch_due(committed_engine, now, GRACE) == []

"""Schedule fires become queued work exactly once, and `scan_schedules.last_run` / `next_run` stay true.

Exactly once: a fire is recorded by inserting (schedule_id, fire_time) into `schedule_fires`, whose unique key
turns a second sidecar's attempt at the same fire into an IntegrityError, caught and reported as "already
enqueued". The insert, the queued run and the schedule's new last_run/next_run commit in one transaction, so a
crash leaves either all of them or none. Until the scanner engine claims them, scan runs only wait in the queue;
a fire while the previous run of the same scanner and watchlist still waits returns that run (one active run per
scope), so a stopped scanner engine never piles up work.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from core.calendars import CalendarNotFound, MarketCalendar, load_calendar
from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import Scanner, ScanSchedule, ScheduleFire, Watchlist
from core.jobs import queue
from core.jobs.schedules import ScheduleError, ScheduleSpec, next_fire_time, plan_fire
from core.symbols import plain_tickers

log = logging.getLogger("wheelhouse.sidecar.schedules")


@dataclass(frozen=True)
class FireOutcome:
    schedule_id: int
    fire_time: dt.datetime
    created: bool  # False: this fire was already enqueued (by another sidecar, or before a restart)
    run_id: int | None
    next_run: dt.datetime | None


@dataclass(frozen=True)
class PlannedFire:
    spec: ScheduleSpec
    fire_time: dt.datetime | None  # None: the schedule will not fire again


def scan_scope(scanner_id: int, watchlist_id: int) -> str:
    """The queue scope of a scanner run over a watchlist (one such run queued or running at a time).

    Defined here, not in core.scanner, because a schedule fire enqueues it and core.scanner builds on this package.
    """
    return f"scan:{scanner_id}:watchlist:{watchlist_id}"


class Calendars:
    """Market calendars loaded once per pass (a missing one is reported once and treated as always open)."""

    def __init__(self, conn):
        self._conn, self._loaded = conn, {}

    def get(self, spec: ScheduleSpec) -> MarketCalendar | None:
        if not spec.market_hours_only:
            return None
        code = spec.exchange_code
        if code not in self._loaded:
            try:
                self._loaded[code] = load_calendar(self._conn, code)
            except CalendarNotFound as exc:
                log.warning("%s; market_hours_only schedules on %s run as if always open", exc, code)
                self._loaded[code] = None
        return self._loaded[code]


def plan_schedules(
    engine: Engine, now: dt.datetime, grace: dt.timedelta, edited: frozenset[int] = frozenset()
) -> list[PlannedFire]:
    """Every active schedule's next fire; writes `next_run` where it changed (ids in `edited` are recomputed)."""
    plans, changes = [], []
    with unit_of_work(engine, write=True) as session:
        calendars = Calendars(session)
        for row in session.scalars(select(ScanSchedule).where(ScanSchedule.is_active).order_by(ScanSchedule.id)):
            try:
                spec = ScheduleSpec.from_row(row)
                stored = None if row.id in edited and spec.schedule_type != "once" else row.next_run
                fire = plan_fire(
                    spec, stored_next=stored, last_run=row.last_run, now=now, grace=grace, calendar=calendars.get(spec)
                )
            except ScheduleError as exc:
                log.warning("skipping schedule: %s", exc)
                continue
            plans.append(PlannedFire(spec, fire))
            if fire != row.next_run:
                changes.append((row.id, row.next_run, fire))
        for schedule_id, old, new in changes:  # only if nobody moved it meanwhile (a fire by another sidecar)
            unchanged = ScanSchedule.next_run.is_(None) if old is None else ScanSchedule.next_run == old
            session.execute(
                update(ScanSchedule)
                .where(ScanSchedule.id == schedule_id, unchanged)
                .values(next_run=new)
                .execution_options(synchronize_session=False)
            )
    return plans


def enqueue_fire(
    engine: Engine,
    schedule_id: int,
    fire_time: dt.datetime,
    *,
    provider: str | None = None,
    now: dt.datetime | None = None,
) -> FireOutcome | None:
    """Enqueue one fire of a schedule, once; None when the schedule is gone or inactive."""
    now = now or utcnow()
    with unit_of_work(engine, write=True) as session:
        # The insert comes first: it is the claim on this fire, and on SQLite a transaction that writes before
        # it reads waits for the lock instead of failing on a stale snapshot.
        try:
            with session.begin_nested():
                fire = ScheduleFire(schedule_id=schedule_id, fire_time=fire_time)
                session.add(fire)
                session.flush()
        except IntegrityError:  # this fire exists already -- or the schedule does not
            existing = session.execute(
                select(ScheduleFire.run_id, ScanSchedule.next_run)
                .join(ScanSchedule, ScanSchedule.id == ScheduleFire.schedule_id)
                .where(ScheduleFire.schedule_id == schedule_id, ScheduleFire.fire_time == fire_time)
            ).first()
            return None if existing is None else FireOutcome(schedule_id, fire_time, False, *existing)
        schedule = session.get(ScanSchedule, schedule_id)
        if not schedule.is_active:
            session.rollback()
            return None
        spec = ScheduleSpec.from_row(schedule)
        if session.scalar(select(Scanner.draft).where(Scanner.id == schedule.scanner_id)):
            # a draft never runs: the fire is recorded without a run and the schedule moves on
            log.warning(
                "schedule %s: its scanner is a draft (validation problems), fire at %s skipped", schedule_id, fire_time
            )
            schedule.last_run = fire_time
            schedule.next_run = next_fire_time(
                spec, max(fire_time, now), last_run=fire_time, calendar=Calendars(session).get(spec)
            )
            return FireOutcome(schedule_id, fire_time, False, None, schedule.next_run)
        watchlist = session.get(Watchlist, schedule.watchlist_id)
        symbols = list(plain_tickers(watchlist.symbols or []))
        params = {
            "scanner_id": schedule.scanner_id,
            "watchlist_id": schedule.watchlist_id,
            "schedule_id": schedule_id,
            "fire_time": fire_time.isoformat(),
        }
        run, _ = queue.enqueue_run(
            session,
            kind="scan",
            scope=scan_scope(schedule.scanner_id, schedule.watchlist_id),
            symbols=symbols,
            provider=provider,
            params=params,
            requested_by=f"schedule:{schedule_id}",
        )
        fire.run_id = run.id
        schedule.last_run = fire_time
        schedule.next_run = next_fire_time(
            spec, max(fire_time, now), last_run=fire_time, calendar=Calendars(session).get(spec)
        )
        return FireOutcome(schedule_id, fire_time, True, run.id, schedule.next_run)


def dispatch_due(
    engine: Engine,
    now: dt.datetime | None = None,
    grace: dt.timedelta = dt.timedelta(minutes=5),
    provider: str | None = None,
) -> list[FireOutcome]:
    """Plan every schedule and enqueue the fires that are due now (what `--drain` does once)."""
    now = now or utcnow()
    outcomes = []
    for plan in plan_schedules(engine, now, grace):
        if plan.fire_time is not None and plan.fire_time <= now:
            outcome = enqueue_fire(engine, plan.spec.id, plan.fire_time, provider=provider, now=now)
            if outcome is not None:
                outcomes.append(outcome)
    return outcomes


__all__ = ["FireOutcome", "PlannedFire", "dispatch_due", "enqueue_fire", "plan_schedules", "scan_scope"]

"""The leader's scan-schedule jobs: one APScheduler date job per active `scan_schedules` row, rebuilt from the table.

Every `schedule_refresh_seconds` the leader plans each active schedule (core.jobs.fires.plan_schedules) and
places, moves or drops its job `scan-schedule:<id>`; a schedule whose fire-deciding columns changed since the last
look is recomputed from scratch, so an edit counts within one refresh. When a job fires it enqueues the fire once
(the unique key in `schedule_fires`) and plans that schedule's next fire at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine

from core.db.base import utcnow
from core.jobs import fires
from core.jobs.logs import fields
from core.jobs.schedules import ScheduleSpec
from core.jobs.timers import Timers

log = logging.getLogger("wheelhouse.sidecar")

Guarded = Callable[[str, Callable[[], object]], object]  # the sidecar's guard: run a named job, never raise


class ScheduleJobs:
    """The leader's scan-schedule jobs: one APScheduler date job per active schedule, rebuilt from the table."""

    def __init__(self, engine: Engine, timers: Timers, guarded: Guarded, grace: dt.timedelta, provider: str):
        self.engine, self.timers, self.guarded = engine, timers, guarded
        self.grace, self.provider = grace, provider
        self._planned: dict[int, dt.datetime | None] = {}
        self._specs: dict[int, ScheduleSpec] = {}
        self._lock = threading.RLock()

    def clear(self) -> None:
        """Drop every schedule job (this sidecar stopped leading)."""
        with self._lock:
            for schedule_id in list(self._planned):
                self.timers.remove(_job_id(schedule_id))
            self._planned.clear()
            self._specs.clear()

    def refresh(self) -> None:
        """Plan every active schedule (noticing edits), and (re)place or drop its date job."""
        now = utcnow()
        with self._lock:
            plans = fires.plan_schedules(self.engine, now, self.grace)
            edited = frozenset(p.spec.id for p in plans if self._specs.get(p.spec.id, p.spec) != p.spec)
            if edited:
                log.info("schedules edited", extra=fields(ids=",".join(map(str, sorted(edited)))))
                plans = fires.plan_schedules(self.engine, now, self.grace, edited)
            seen = set()
            for plan in plans:
                schedule_id, fire = plan.spec.id, plan.fire_time
                seen.add(schedule_id)
                self._specs[schedule_id] = plan.spec
                job_exists = self.timers.has(_job_id(schedule_id))
                if schedule_id in self._planned and self._planned[schedule_id] == fire and (job_exists or fire is None):
                    continue
                self._planned[schedule_id] = fire
                if fire is None:
                    self.timers.remove(_job_id(schedule_id))
                    continue
                self.timers.at(_job_id(schedule_id), self.fire, max(fire, now), args=(schedule_id, fire))
                log.info("schedule planned", extra=fields(schedule_id=schedule_id, next_run=fire.isoformat()))
            for schedule_id in set(self._planned) - seen:
                self.timers.remove(_job_id(schedule_id))
                self._planned.pop(schedule_id, None)
                self._specs.pop(schedule_id, None)

    def fire(self, schedule_id: int, fire_time: dt.datetime) -> None:
        """The date job: enqueue this fire (once), then plan the schedule's next one."""
        self.guarded(_job_id(schedule_id), lambda: self._fire(schedule_id, fire_time))

    def _fire(self, schedule_id: int, fire_time: dt.datetime) -> None:
        outcome = fires.enqueue_fire(self.engine, schedule_id, fire_time, provider=self.provider)
        if outcome is not None:
            log.info(
                "schedule fired" if outcome.created else "schedule fire already enqueued",
                extra=fields(
                    schedule_id=schedule_id,
                    fire_time=fire_time.isoformat(),
                    run_id=outcome.run_id,
                    next_run=outcome.next_run.isoformat() if outcome.next_run else None,
                ),
            )
        with self._lock:
            self._planned.pop(schedule_id, None)
        self.refresh()


def _job_id(schedule_id: int) -> str:
    return f"scan-schedule:{schedule_id}"


__all__ = ["ScheduleJobs"]

"""The leader's scan-schedule jobs: one APScheduler date job per active `scan_schedules` row, rebuilt from the table.

Every `schedule_refresh_seconds` the leader plans each active schedule (core.sync.dispatch.plan_schedules) and
places, moves or drops its job `scan-schedule:<id>`; a schedule whose fire-deciding columns changed since the last
look is recomputed from scratch, so an edit counts within one refresh. When a job fires it enqueues the fire once
(the unique key in `schedule_fires`) and plans that schedule's next fire at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import TYPE_CHECKING

from core.config import get_settings
from core.db.base import utcnow
from core.sync import dispatch
from core.sync.logs import fields
from core.sync.schedules import ScheduleSpec

if TYPE_CHECKING:
    from core.sync.sidecar import Sidecar

log = logging.getLogger("wheelhouse.sidecar")


class ScheduleJobs:
    """The leader's scan-schedule jobs: one APScheduler date job per active schedule, rebuilt from the table."""

    def __init__(self, sidecar: Sidecar):
        self.sidecar = sidecar
        self._planned: dict[int, dt.datetime | None] = {}
        self._specs: dict[int, ScheduleSpec] = {}
        self._lock = threading.RLock()

    def clear(self) -> None:
        with self._lock:
            for schedule_id in list(self._planned):
                self.sidecar.remove_job(_job_id(schedule_id))
            self._planned.clear()
            self._specs.clear()

    def refresh(self) -> None:
        """Plan every active schedule (noticing edits), and (re)place or drop its date job."""
        sidecar = self.sidecar
        now = utcnow()
        with self._lock:
            plans = dispatch.plan_schedules(sidecar.engine, now, sidecar.settings.grace)
            edited = frozenset(p.spec.id for p in plans if self._specs.get(p.spec.id, p.spec) != p.spec)
            if edited:
                log.info("schedules edited", extra=fields(ids=",".join(map(str, sorted(edited)))))
                plans = dispatch.plan_schedules(sidecar.engine, now, sidecar.settings.grace, edited)
            seen = set()
            for plan in plans:
                schedule_id, fire = plan.spec.id, plan.fire_time
                seen.add(schedule_id)
                self._specs[schedule_id] = plan.spec
                job_exists = sidecar.scheduler.get_job(_job_id(schedule_id)) is not None
                if schedule_id in self._planned and self._planned[schedule_id] == fire and (job_exists or fire is None):
                    continue
                self._planned[schedule_id] = fire
                if fire is None:
                    sidecar.remove_job(_job_id(schedule_id))
                    continue
                sidecar.scheduler.add_job(
                    self.fire,
                    "date",
                    run_date=max(fire, now),
                    args=[schedule_id, fire],
                    id=_job_id(schedule_id),
                    name=_job_id(schedule_id),
                    replace_existing=True,
                )
                log.info("schedule planned", extra=fields(schedule_id=schedule_id, next_run=fire.isoformat()))
            for schedule_id in set(self._planned) - seen:
                sidecar.remove_job(_job_id(schedule_id))
                self._planned.pop(schedule_id, None)
                self._specs.pop(schedule_id, None)

    def fire(self, schedule_id: int, fire_time: dt.datetime) -> None:
        self.sidecar.guarded(_job_id(schedule_id), lambda: self._fire(schedule_id, fire_time))

    def _fire(self, schedule_id: int, fire_time: dt.datetime) -> None:
        outcome = dispatch.enqueue_fire(
            self.sidecar.engine, schedule_id, fire_time, provider=get_settings().market_data_provider
        )
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

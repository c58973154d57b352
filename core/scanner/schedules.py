"""Scanner schedules: `scan_schedules` rows the sidecar turns into timed scan runs (DESIGN section 6).

Days of the week are 0 = Monday ... 6 = Sunday, stored comma-separated. The sidecar owns `next_run` and
`last_run` (it plans fires with the market calendar); a new schedule starts with neither.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import Scanner, ScanSchedule, Watchlist
from core.jobs.schedules import DAY_NAMES, SCHEDULE_TYPES, ScheduleError, parse_days


def create_schedule(
    session: Session,
    scanner_id: int,
    watchlist_id: int,
    schedule_type: str,
    *,
    interval_minutes: int | None = None,
    run_time: dt.time | None = None,
    days_of_week: Sequence[int] = (),
    market_hours_only: bool = True,
    timezone: str = "America/New_York",
) -> ScanSchedule:
    """Add a schedule after checking it makes sense for its type; does not commit."""
    if schedule_type not in SCHEDULE_TYPES:
        raise ScheduleError(f"schedule type must be one of {', '.join(SCHEDULE_TYPES)}")
    scanner = session.get(Scanner, scanner_id)
    if scanner is None:
        raise ScheduleError(f"no scanner with id {scanner_id}")
    if scanner.draft:
        raise ScheduleError(
            f"scanner {scanner.name!r} is a draft (saved with validation problems): fix them and save it first"
        )
    if session.get(Watchlist, watchlist_id) is None:
        raise ScheduleError(f"no watchlist with id {watchlist_id}")
    days = sorted(set(days_of_week))
    if schedule_type == "interval":
        if not interval_minutes or interval_minutes <= 0:
            raise ScheduleError("an interval schedule needs a positive number of minutes")
        run_time = None
    else:
        interval_minutes = None
        if run_time is None:
            raise ScheduleError(f"a {schedule_type} schedule needs a time of day")
    if schedule_type == "weekly" and not days:
        raise ScheduleError("a weekly schedule needs at least one day (0 = Monday ... 6 = Sunday)")
    if any(d not in range(7) for d in days):
        raise ScheduleError("days of the week are 0 = Monday ... 6 = Sunday")
    schedule = ScanSchedule(
        scanner_id=scanner_id,
        watchlist_id=watchlist_id,
        schedule_type=schedule_type,
        interval_minutes=interval_minutes,
        run_time=run_time,
        days_of_week=",".join(str(d) for d in days) if schedule_type == "weekly" and days else None,
        market_hours_only=market_hours_only,
        timezone=timezone,
        is_active=True,
    )
    session.add(schedule)
    session.flush()
    return schedule


def describe(schedule: ScanSchedule) -> str:
    """'weekly on Monday, Wednesday at 09:45 (market hours only)' and the like."""
    if schedule.schedule_type == "interval":
        text = f"every {schedule.interval_minutes} minutes"
    else:
        at = schedule.run_time.strftime("%H:%M") if schedule.run_time else "?"
        text = {"once": f"once at {at}", "daily": f"daily at {at}"}.get(schedule.schedule_type or "", "")
        if schedule.schedule_type == "weekly":
            try:
                days = ", ".join(DAY_NAMES[d] for d in parse_days(schedule.days_of_week))
            except ScheduleError:  # a row written by hand; the sidecar skips it and logs why
                days = repr(schedule.days_of_week)
            text = f"weekly on {days} at {at}"
    return text + (" (market hours only)" if schedule.market_hours_only else "")


def scanner_schedules(session: Session, scanner_id: int) -> list[ScanSchedule]:
    return list(
        session.scalars(select(ScanSchedule).where(ScanSchedule.scanner_id == scanner_id).order_by(ScanSchedule.id))
    )


__all__ = ["DAY_NAMES", "SCHEDULE_TYPES", "ScheduleError", "create_schedule", "describe", "scanner_schedules"]

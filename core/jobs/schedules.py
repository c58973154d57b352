"""When a `scan_schedules` row fires: pure functions of the row, a moment and the market calendar.

Types (FluxScan's): `once` fires a single time, `interval` every `interval_minutes`, `daily` at `run_time` on
every day (or on `days_of_week` when set), `weekly` at `run_time` on `days_of_week`. Times are wall-clock in
the schedule's `timezone`; `days_of_week` is comma-separated with 0 = Monday ... 6 = Sunday (core.calendars).

`market_hours_only` (the default) keeps fires inside sessions of the market calendar: a daily or weekly fire
whose instant is outside a session (a holiday, a weekend, an early close) is skipped to the next candidate day;
an interval schedule then runs at each session's open and every `interval_minutes` after it until the close.
Otherwise an interval schedule keeps the phase of its last run (or of its creation), so restarts do not drift it.

The rules shared with the pages and the command line live here once: `SCHEDULE_TYPES`, `DAY_NAMES`,
`parse_days` and `ScheduleError` (core.scanner.schedules creates rows with them).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.calendars import MarketCalendar, exchange_for_timezone
from core.db.models.scanning import SCHEDULE_TYPES  # the CHECK constraint's list; everyone else imports it here

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")  # 0 = Monday
_DAY_NUMBERS = {name[:3].lower(): i for i, name in enumerate(DAY_NAMES)}
_SEARCH_DAYS = 400
_TICK = dt.timedelta(microseconds=1)


class ScheduleError(ValueError):
    """A schedule that cannot fire as asked or written: unknown type, no time or days, a bad day, interval or zone."""


@dataclass(frozen=True)
class ScheduleSpec:
    """What decides a schedule's fire times; equal specs fire at equal times (used to notice edits)."""

    id: int
    schedule_type: str
    interval_minutes: int | None
    run_time: dt.time | None
    days_of_week: tuple[int, ...]
    timezone: str
    market_hours_only: bool
    anchor: dt.datetime | None = None  # phase of a free-running interval schedule (its creation)

    @property
    def exchange_code(self) -> str:
        return exchange_for_timezone(self.timezone)

    @classmethod
    def from_row(cls, row) -> ScheduleSpec:
        """Build from a ScanSchedule (or any row with its columns); raises ScheduleError when it cannot fire."""
        kind = (row.schedule_type or "").strip().lower()
        if kind not in SCHEDULE_TYPES:
            raise ScheduleError(f"schedule {row.id}: unknown schedule_type {row.schedule_type!r}")
        days = parse_days(row.days_of_week)
        if kind == "interval" and not row.interval_minutes:
            raise ScheduleError(f"schedule {row.id}: an interval schedule needs interval_minutes")
        if kind in ("daily", "weekly") and row.run_time is None:
            raise ScheduleError(f"schedule {row.id}: a {kind} schedule needs run_time")
        if kind == "weekly" and not days:
            raise ScheduleError(f"schedule {row.id}: a weekly schedule needs days_of_week (0 = Monday)")
        timezone = row.timezone or "America/New_York"
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ScheduleError(f"schedule {row.id}: unknown time zone {timezone!r}") from None
        return cls(
            row.id,
            kind,
            row.interval_minutes,
            row.run_time,
            days,
            timezone,
            bool(row.market_hours_only),
            getattr(row, "created_at", None),
        )


def parse_days(text: str | None) -> tuple[int, ...]:
    """'0,2,4' or 'mon,wed,fri' -> (0, 2, 4); empty -> (); 0 = Monday ... 6 = Sunday."""
    days = set()
    for part in (text or "").replace(";", ",").split(","):
        token = part.strip().lower()[:3]
        if not token:
            continue
        day = int(token) if token.isdigit() else _DAY_NUMBERS.get(token)
        if day is None or not 0 <= day <= 6:
            raise ScheduleError(f"day of week {part.strip()!r} is not 0-6 (0 = Monday) or a day name")
        days.add(day)
    return tuple(sorted(days))


def next_fire_time(
    spec: ScheduleSpec,
    after: dt.datetime,
    *,
    last_run: dt.datetime | None = None,
    calendar: MarketCalendar | None = None,
) -> dt.datetime | None:
    """The first fire strictly after `after` (UTC), or None when the schedule will not fire again.

    `calendar` is needed when `spec.market_hours_only`; without one the schedule is treated as always open.
    """
    hours = calendar if spec.market_hours_only else None
    if spec.schedule_type == "interval":
        return _next_interval(spec, after, last_run, hours)
    if spec.schedule_type == "once":
        if last_run is not None:
            return None
        if spec.run_time is None:
            return None  # a one-off with no time fires only at an explicitly stored next_run
    return _next_at_time(spec, after, hours)


def is_fire_time(spec: ScheduleSpec, moment: dt.datetime, *, calendar: MarketCalendar | None = None) -> bool:
    """Whether `moment` is one of the schedule's own fire times (interval schedules: any moment is)."""
    if spec.schedule_type == "interval" or (spec.schedule_type == "once" and spec.run_time is None):
        return True
    return next_fire_time(spec, moment - _TICK, calendar=calendar) == moment


def _next_at_time(spec: ScheduleSpec, after: dt.datetime, hours: MarketCalendar | None) -> dt.datetime | None:
    zone = ZoneInfo(spec.timezone)
    day = after.astimezone(zone).date()
    for offset in range(_SEARCH_DAYS):
        candidate_day = day + dt.timedelta(days=offset)
        if spec.days_of_week and candidate_day.weekday() not in spec.days_of_week:
            continue
        moment = dt.datetime.combine(candidate_day, spec.run_time, zone).astimezone(dt.UTC)
        if moment > after and (hours is None or hours.is_open(moment)):
            return moment
    return None


def _next_interval(
    spec: ScheduleSpec, after: dt.datetime, last_run: dt.datetime | None, hours: MarketCalendar | None
) -> dt.datetime | None:
    step = dt.timedelta(minutes=spec.interval_minutes)
    if hours is None:
        anchor = last_run or spec.anchor or after
        periods = max(1, math.floor((after - anchor) / step) + 1)
        return anchor + periods * step
    moment = after
    for _ in range(_SEARCH_DAYS):
        window = hours.next_window(moment)
        if window is None:
            return None
        if after < window.open:
            candidate = window.open
        else:
            candidate = window.open + (math.floor((after - window.open) / step) + 1) * step
        if candidate < window.close and (
            not spec.days_of_week or candidate.astimezone(ZoneInfo(spec.timezone)).weekday() in spec.days_of_week
        ):
            return candidate
        moment = window.close
    return None


def plan_fire(
    spec: ScheduleSpec,
    *,
    stored_next: dt.datetime | None,
    last_run: dt.datetime | None,
    now: dt.datetime,
    grace: dt.timedelta,
    calendar: MarketCalendar | None,
) -> dt.datetime | None:
    """The fire to schedule now: the stored `next_run` when it is still believable, else a fresh one.

    Stored is believable when it is not older than `grace` (a fire missed for longer is skipped, as
    APScheduler's coalescing would), is one of the schedule's own fire times (so an edit made while no sidecar
    ran is noticed) and is not later than the fire computed now (a shortened interval takes effect at once).
    A `once` schedule's stored `next_run` is an explicit instant (the only way to give it a date) and is kept.
    """
    if spec.schedule_type == "once" and stored_next is not None:  # an explicit instant: fire it, unless long gone
        return stored_next if last_run is None and stored_next >= now - grace else None
    fresh = next_fire_time(spec, now, last_run=last_run, calendar=calendar)
    if stored_next is None or stored_next < now - grace:
        return fresh
    if not is_fire_time(spec, stored_next, calendar=calendar if spec.market_hours_only else None):
        return fresh
    if fresh is not None and stored_next > fresh:
        return fresh
    return stored_next


__all__ = [
    "DAY_NAMES",
    "SCHEDULE_TYPES",
    "ScheduleError",
    "ScheduleSpec",
    "is_fire_time",
    "next_fire_time",
    "parse_days",
    "plan_fire",
]

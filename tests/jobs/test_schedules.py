"""When scan schedules fire: pure functions over a hand-made NYSE-like calendar (no database)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from core.calendars import MarketCalendar, WeeklySession, exchange_for_timezone
from core.jobs.schedules import ScheduleError, ScheduleSpec, is_fire_time, next_fire_time, parse_days, plan_fire

NY = ZoneInfo("America/New_York")
UTC = dt.UTC
GRACE = dt.timedelta(minutes=5)
THANKSGIVING, BLACK_FRIDAY = dt.date(2026, 11, 26), dt.date(2026, 11, 27)  # closed; early close 13:00


def ny(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=NY).astimezone(UTC)


def nyse() -> MarketCalendar:
    weekday = WeeklySession(dt.time(9, 30), dt.time(16, 0), True)
    weekly = {d: weekday for d in range(5)} | {5: WeeklySession(None, None, False), 6: WeeklySession(None, None, False)}
    return MarketCalendar("XNYS", NY, weekly, {THANKSGIVING: (None, None), BLACK_FRIDAY: (None, dt.time(13, 0))})


def spec(
    kind="daily",
    *,
    run_time=dt.time(9, 45),
    days="",
    minutes=None,
    hours_only=False,
    tz="America/New_York",
    created=None,
) -> ScheduleSpec:
    row = SimpleNamespace(
        id=1,
        schedule_type=kind,
        interval_minutes=minutes,
        run_time=run_time,
        days_of_week=days,
        timezone=tz,
        market_hours_only=hours_only,
        created_at=created,
    )
    return ScheduleSpec.from_row(row)


def test_days_of_week_are_monday_first():
    assert parse_days("0,2,4") == (0, 2, 4)
    assert parse_days("mon, Wed;fri") == (0, 2, 4)
    assert parse_days(None) == parse_days("") == ()
    for bad in ("7", "-1", "funday"):
        with pytest.raises(ScheduleError):
            parse_days(bad)
    monday = next_fire_time(spec("weekly", days="0", run_time=dt.time(10)), ny(2026, 11, 21, 12))
    assert monday == ny(2026, 11, 23, 10) and monday.astimezone(NY).strftime("%A") == "Monday"


def test_daily_fires_every_day_without_market_hours():
    assert next_fire_time(spec(), ny(2026, 11, 21, 10)) == ny(2026, 11, 22, 9, 45)  # Saturday -> Sunday
    assert next_fire_time(spec(), ny(2026, 11, 23, 9, 44)) == ny(2026, 11, 23, 9, 45)
    assert next_fire_time(spec(), ny(2026, 11, 23, 9, 45)) == ny(2026, 11, 24, 9, 45)  # strictly after


def test_daily_with_market_hours_skips_holidays_weekends_and_early_closes():
    hours = spec(hours_only=True)
    assert next_fire_time(hours, ny(2026, 11, 25, 10), calendar=nyse()) == ny(2026, 11, 27, 9, 45)  # not Thanksgiving
    afternoon = spec(run_time=dt.time(14), hours_only=True)
    assert next_fire_time(afternoon, ny(2026, 11, 25, 15), calendar=nyse()) == ny(2026, 11, 30, 14)  # 13:00 close
    late = spec(run_time=dt.time(20), hours_only=True)
    assert next_fire_time(late, ny(2026, 11, 25, 15), calendar=nyse()) is None  # never inside a session


def test_weekly_on_listed_days():
    weekly = spec("weekly", days="0,3", run_time=dt.time(10))
    assert next_fire_time(weekly, ny(2026, 11, 23, 11)) == ny(2026, 11, 26, 10)  # Monday -> Thursday
    hours = spec("weekly", days="0,3", run_time=dt.time(10), hours_only=True)
    assert next_fire_time(hours, ny(2026, 11, 23, 11), calendar=nyse()) == ny(2026, 11, 30, 10)
    with pytest.raises(ScheduleError, match="days_of_week"):
        spec("weekly", days="")


def test_daily_keeps_wall_clock_time_across_daylight_saving():
    before = next_fire_time(spec(run_time=dt.time(9, 30)), ny(2026, 10, 30, 9))
    after = next_fire_time(spec(run_time=dt.time(9, 30)), ny(2026, 11, 1, 12))
    assert (before.hour, after.hour) == (13, 14)  # 09:30 EDT, then 09:30 EST, in UTC


def test_interval_keeps_its_phase_without_market_hours():
    created = dt.datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    every15 = spec("interval", minutes=15, run_time=None, created=created)
    assert next_fire_time(every15, created + dt.timedelta(minutes=40)) == created + dt.timedelta(minutes=45)
    last = created + dt.timedelta(minutes=37)
    assert next_fire_time(every15, last, last_run=last) == last + dt.timedelta(minutes=15)
    assert next_fire_time(every15, last + dt.timedelta(hours=2), last_run=last) == last + dt.timedelta(minutes=135)


def test_interval_in_market_hours_runs_from_the_open_to_the_close():
    every15 = spec("interval", minutes=15, run_time=None, hours_only=True)
    assert next_fire_time(every15, ny(2026, 11, 25, 9, 31), calendar=nyse()) == ny(2026, 11, 25, 9, 45)
    assert next_fire_time(every15, ny(2026, 11, 25, 15, 50), calendar=nyse()) == ny(2026, 11, 27, 9, 30)
    assert next_fire_time(every15, ny(2026, 11, 27, 12, 50), calendar=nyse()) == ny(2026, 11, 30, 9, 30)
    assert next_fire_time(every15, ny(2026, 11, 28, 3), calendar=nyse()) == ny(2026, 11, 30, 9, 30)


def test_once_fires_a_single_time():
    once = spec("once", run_time=dt.time(10))
    assert next_fire_time(once, ny(2026, 11, 23, 11)) == ny(2026, 11, 24, 10)
    assert next_fire_time(once, ny(2026, 11, 23, 11), last_run=ny(2026, 11, 20, 10)) is None
    explicit = spec("once", run_time=None)
    now = ny(2026, 11, 23, 11)
    at = now + dt.timedelta(days=3)
    assert plan_fire(explicit, stored_next=at, last_run=None, now=now, grace=GRACE, calendar=None) == at
    assert plan_fire(explicit, stored_next=at, last_run=at, now=now, grace=GRACE, calendar=None) is None


def test_plan_trusts_a_believable_stored_next_run_and_replaces_the_rest():
    daily, now = spec(), ny(2026, 11, 23, 9, 47)
    due = ny(2026, 11, 23, 9, 45)
    assert plan_fire(daily, stored_next=due, last_run=None, now=now, grace=GRACE, calendar=None) == due  # in grace
    missed = ny(2026, 11, 22, 9, 45)
    assert plan_fire(daily, stored_next=missed, last_run=None, now=now, grace=GRACE, calendar=None) == ny(
        2026, 11, 24, 9, 45
    )  # missed by a day: skipped, like a coalesced misfire
    edited = spec(run_time=dt.time(11))  # run_time changed while no sidecar ran: 09:45 is no fire time now
    assert not is_fire_time(edited, due)
    assert plan_fire(edited, stored_next=due, last_run=None, now=now, grace=GRACE, calendar=None) == ny(
        2026, 11, 23, 11
    )
    last = ny(2026, 11, 23, 9)
    shortened = spec("interval", minutes=5, run_time=None)
    assert plan_fire(
        shortened, stored_next=last + dt.timedelta(hours=1), last_run=last, now=now, grace=GRACE, calendar=None
    ) == ny(2026, 11, 23, 9, 50)
    assert plan_fire(daily, stored_next=None, last_run=None, now=now, grace=GRACE, calendar=None) == ny(
        2026, 11, 24, 9, 45
    )


def test_rows_that_cannot_fire_are_refused_with_a_reason():
    with pytest.raises(ScheduleError, match="interval_minutes"):
        spec("interval", minutes=None, run_time=None)
    with pytest.raises(ScheduleError, match="run_time"):
        spec("daily", run_time=None)
    with pytest.raises(ScheduleError, match="time zone"):
        spec(tz="Mars/Olympus")
    with pytest.raises(ScheduleError, match="schedule_type"):
        spec("hourly")


def test_schedules_follow_the_calendar_of_their_time_zone():
    assert exchange_for_timezone("Asia/Kolkata") == "XBOM"
    assert exchange_for_timezone("America/New_York") == exchange_for_timezone(None) == "XNYS"
    assert spec(tz="Asia/Kolkata").exchange_code == "XBOM"

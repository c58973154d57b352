"""Scanner schedules: what each type needs, days 0 = Monday ... 6 = Sunday, and how they read."""

from __future__ import annotations

import datetime as dt

import pytest

from core.scanner.schedules import ScheduleError, create_schedule, describe, scanner_schedules
from tests import factories


def test_each_schedule_type(session):
    scanner, watchlist = factories.scanner(session), factories.watchlist(session)
    weekly = create_schedule(
        session, scanner.id, watchlist.id, "weekly", run_time=dt.time(9, 45), days_of_week=[4, 0, 2]
    )
    interval = create_schedule(
        session,
        scanner.id,
        watchlist.id,
        "interval",
        interval_minutes=15,
        run_time=dt.time(9, 0),
        market_hours_only=False,
    )
    daily = create_schedule(session, scanner.id, watchlist.id, "daily", run_time=dt.time(16, 5))
    once = create_schedule(session, scanner.id, watchlist.id, "once", run_time=dt.time(12, 0))
    assert weekly.days_of_week == "0,2,4" and weekly.next_run is None and weekly.is_active
    assert interval.run_time is None and interval.interval_minutes == 15 and daily.interval_minutes is None
    assert describe(weekly) == "weekly on Monday, Wednesday, Friday at 09:45 (market hours only)"
    assert describe(interval) == "every 15 minutes"
    assert describe(daily) == "daily at 16:05 (market hours only)" and describe(once).startswith("once at 12:00")
    assert [s.id for s in scanner_schedules(session, scanner.id)] == [weekly.id, interval.id, daily.id, once.id]


@pytest.mark.parametrize(
    ("kind", "kw", "message"),
    [
        ("hourly", {}, "schedule type must be one of"),
        ("interval", {"interval_minutes": 0}, "positive number of minutes"),
        ("daily", {}, "needs a time of day"),
        ("weekly", {"run_time": dt.time(9)}, "at least one day"),
        ("weekly", {"run_time": dt.time(9), "days_of_week": [7]}, "0 = Monday"),
    ],
)
def test_schedules_that_cannot_run_are_refused(session, kind, kw, message):
    scanner, watchlist = factories.scanner(session), factories.watchlist(session)
    with pytest.raises(ScheduleError, match=message):
        create_schedule(session, scanner.id, watchlist.id, kind, **kw)


def test_a_draft_scanner_cannot_be_scheduled(session):
    scanner = factories.scanner(session, name="Rough", draft=True)
    watchlist = factories.watchlist(session)
    with pytest.raises(ScheduleError, match=r"^scanner 'Rough' is a draft \(saved with validation problems\)"):
        create_schedule(session, scanner.id, watchlist.id, "daily", run_time=dt.time(9, 45))

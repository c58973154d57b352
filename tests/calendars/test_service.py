"""The Calendars service on both databases: the view, a refill, and closures added and removed by hand --
with each bad request refused in one line and nothing lost, and a refill that keeps what was added by hand."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from core.calendars import fill_calendars, load_calendar
from core.calendars.fill import MANUAL
from core.calendars.service import CalendarError, add_closure, calendar_view, refill_calendar, remove_closure
from core.db.engine import unit_of_work
from core.db.models import ActivityLog, MarketHoliday, TradingHoursTemplate
from tests.support.actors import ADMIN

NY = ZoneInfo("America/New_York")


@pytest.fixture
def filled(committed_engine):
    with unit_of_work(committed_engine, write=True) as session:
        fill_calendars(session)  # this year and next, as the sidecar does
    return committed_engine


def _today() -> dt.date:
    return dt.datetime.now(NY).date()


def _regular_day(engine, after_days: int = 10) -> dt.date:
    """A New York weekday at least `after_days` ahead with its regular session (no holiday row)."""
    with unit_of_work(engine) as session:
        calendar = load_calendar(session, "XNYS")
    day = _today() + dt.timedelta(days=after_days)
    while day.weekday() >= 5 or day in calendar.exceptions:
        day += dt.timedelta(days=1)
    return day


def _library_holiday(engine) -> tuple[dt.date, str]:
    """The first closed day exchange_calendars gave XNYS from next month on: (date, description)."""
    with unit_of_work(engine) as session:
        row = session.execute(
            select(MarketHoliday.date, MarketHoliday.description)
            .join(TradingHoursTemplate)
            .where(
                TradingHoursTemplate.exchange_code == "XNYS",
                MarketHoliday.holiday_type == "full_day",
                MarketHoliday.date > _today() + dt.timedelta(days=30),
            )
            .order_by(MarketHoliday.date)
        ).first()
    return row.date, row.description


def _rows(engine, day: dt.date) -> list[tuple[str | None, str | None, dt.time | None]]:
    with unit_of_work(engine) as session:
        return session.execute(
            select(MarketHoliday.holiday_type, MarketHoliday.description, MarketHoliday.early_close)
            .join(TradingHoursTemplate)
            .where(TradingHoursTemplate.exchange_code == "XNYS", MarketHoliday.date == day)
        ).all()


def _actions(engine) -> list[str]:
    with unit_of_work(engine) as session:
        return list(session.scalars(select(ActivityLog.action).order_by(ActivityLog.id)))


def test_the_view_lists_exchanges_hours_and_upcoming_days(filled):
    view = calendar_view(filled, ADMIN)
    by_code = {e.code: e for e in view.exchanges}
    assert set(by_code) == {"XNYS", "XBOM"}
    assert by_code["XNYS"].hours == "Mon-Fri 09:30-16:00"
    assert by_code["XNYS"].timezone == "America/New_York"
    assert list(by_code["XNYS"].sessions["day"]) == ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    nyse = view.upcoming[view.upcoming["exchange"] == "XNYS"]
    assert (nyse["date"] >= view.today).all() and not nyse.empty
    holiday = nyse[nyse["date"] == _library_holiday(filled)[0]]
    assert list(holiday["kind"]) == ["closed"] and list(holiday["source"]) == ["exchange_calendars"]


def test_a_closure_and_an_early_close_change_the_market_hours(filled):
    closed, short = _regular_day(filled), _regular_day(filled, 20)
    added = add_closure(filled, ADMIN, "xnys", closed, "  National day of   mourning ")
    assert added.describe().startswith("XNYS is closed on")
    add_closure(filled, ADMIN, "XNYS", short, "Storm", early_close=dt.time(13, 0))
    with unit_of_work(filled) as session:
        calendar = load_calendar(session, "XNYS")
    assert calendar.window(closed) is None
    window = calendar.window(short)
    assert window.close == dt.datetime.combine(short, dt.time(13), NY)
    assert _rows(filled, closed) == [(MANUAL, "National day of mourning", None)]
    upcoming = calendar_view(filled, ADMIN).upcoming
    row = upcoming[(upcoming["exchange"] == "XNYS") & (upcoming["date"] == short)].iloc[0]
    assert (row["kind"], row["hours"], row["source"]) == ("early close", "closes 13:00", "added by hand")
    assert _actions(filled) == ["calendar_closure_add", "calendar_closure_add"]


@pytest.mark.parametrize(
    ("exchange", "offset", "description", "early_close", "message"),
    [
        ("XLON", 10, "Mourning", None, "unknown exchange 'XLON': known are XBOM, XNYS"),
        ("XNYS", -1, "Mourning", None, "is in the past"),
        ("XNYS", 4 * 365, "Mourning", None, "more than three years ahead"),
        ("XNYS", 10, "   ", None, "say why the market closes"),
        ("XNYS", 10, "x" * 201, None, "at most 200"),
        ("XNYS", 10, "Storm", dt.time(16, 30), "must fall inside the session, after 09:30 and before 16:00"),
        ("XNYS", 10, "Storm", dt.time(9, 0), "must fall inside the session"),
    ],
)
def test_bad_closures_are_refused_and_write_nothing(filled, exchange, offset, description, early_close, message):
    day = _regular_day(filled) if offset == 10 else _today() + dt.timedelta(days=offset)
    with pytest.raises(CalendarError, match=message.replace("(", r"\(")):
        add_closure(filled, ADMIN, exchange, day, description, early_close)
    assert _rows(filled, day) == [] or _rows(filled, day)[0][0] != MANUAL
    assert _actions(filled) == []


def test_a_duplicate_or_a_day_without_trading_is_refused(filled):
    day = _regular_day(filled)
    add_closure(filled, ADMIN, "XNYS", day, "Mourning")
    with pytest.raises(CalendarError, match="already has .* on file: Mourning \\(added by hand\\)"):
        add_closure(filled, ADMIN, "XNYS", day, "Again", dt.time(13))
    holiday, name = _library_holiday(filled)
    with pytest.raises(CalendarError, match=f"{name}.*exchange_calendars"):
        add_closure(filled, ADMIN, "XNYS", holiday, "Twice")
    saturday = day + dt.timedelta(days=(5 - day.weekday()) % 7)
    with pytest.raises(CalendarError, match="does not trade on Sat"):
        add_closure(filled, ADMIN, "XNYS", saturday, "Weekend")
    assert _rows(filled, day) == [(MANUAL, "Mourning", None)]
    assert _actions(filled) == ["calendar_closure_add"]


def test_only_days_added_by_hand_can_be_removed(filled):
    day = _regular_day(filled)
    add_closure(filled, ADMIN, "XNYS", day, "Mourning")
    holiday, _ = _library_holiday(filled)
    with pytest.raises(CalendarError, match="comes from exchange_calendars and would come back"):
        remove_closure(filled, ADMIN, "XNYS", holiday)
    with pytest.raises(CalendarError, match="nothing on file"):
        remove_closure(filled, ADMIN, "XNYS", day + dt.timedelta(days=1))
    assert len(_rows(filled, holiday)) == 1
    removed = remove_closure(filled, ADMIN, "XNYS", day)
    assert removed.description == "Mourning" and _rows(filled, day) == []
    with unit_of_work(filled) as session:
        assert load_calendar(session, "XNYS").window(day) is not None
    assert _actions(filled) == ["calendar_closure_add", "calendar_closure_remove"]


def test_a_refill_restores_the_library_and_keeps_hand_added_days(filled):
    day = _regular_day(filled)
    add_closure(filled, ADMIN, "XNYS", day, "Mourning")
    holiday, _ = _library_holiday(filled)
    with unit_of_work(filled, write=True) as session:  # an edit in the database that a refill undoes
        session.query(MarketHoliday).filter(MarketHoliday.date == holiday).delete()
    report = refill_calendar(filled, ADMIN, "xnys")
    assert report.exchange_code == "XNYS" and report.holidays_added[_today().year + 1] > 5
    assert _rows(filled, day) == [(MANUAL, "Mourning", None)]  # kept, and no library row beside it
    assert [r[0] for r in _rows(filled, holiday)] == ["full_day"]
    with pytest.raises(CalendarError, match="unknown exchange 'NOPE'"):
        refill_calendar(filled, ADMIN, "NOPE")
    assert _actions(filled) == ["calendar_closure_add", "calendar_refill"]


def test_a_hand_added_day_does_not_stop_the_fill_of_its_year(committed_engine):
    """A closure added before the sidecar filled a year must not read as "this year is filled already"."""
    year = _today().year
    with unit_of_work(committed_engine, write=True) as session:
        fill_calendars(session, ["XNYS"], years=(year, year))
    next_year = dt.date(year + 1, 1, 1)
    with unit_of_work(committed_engine, write=True) as session:
        template = session.scalar(select(TradingHoursTemplate).where(TradingHoursTemplate.exchange_code == "XNYS"))
        session.add(MarketHoliday(template_id=template.id, date=next_year, description="By hand", holiday_type=MANUAL))
        reports = fill_calendars(session, ["XNYS"], years=(year, year + 1))
    assert reports[0].holidays_added[year + 1] > 5
    assert _rows(committed_engine, next_year) == [(MANUAL, "By hand", None)]  # New Year's Day: the hand row kept

"""Market calendars filled from exchange_calendars into our tables, and read back from them (edits count)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select

from core.calendars import CalendarNotFound, fill_calendars, is_market_open, load_calendar
from core.db.models import MarketHoliday, TradingHoursTemplate, TradingSession

NY, IST = ZoneInfo("America/New_York"), ZoneInfo("Asia/Kolkata")


def at(zone, *args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)


@pytest.fixture
def filled(session):
    reports = {r.exchange_code: r for r in fill_calendars(session, years=(2026, 2027))}
    return session, reports


def _template(session, code) -> TradingHoursTemplate:
    return session.scalar(select(TradingHoursTemplate).where(TradingHoursTemplate.exchange_code == code))


def test_fill_creates_nyse_and_nse_with_monday_first_sessions(filled):
    session, reports = filled
    nyse, nse = _template(session, "XNYS"), _template(session, "XBOM")
    assert (nyse.timezone, nse.timezone) == ("America/New_York", "Asia/Kolkata")
    sessions = {
        s.day_of_week: s for s in session.scalars(select(TradingSession).where(TradingSession.template_id == nyse.id))
    }
    assert sorted(sessions) == list(range(7))
    assert all(sessions[d].is_trading_day for d in range(5)) and not sessions[5].is_trading_day
    assert (sessions[0].market_open, sessions[0].market_close) == (dt.time(9, 30), dt.time(16))
    india = session.scalar(
        select(TradingSession).where(TradingSession.template_id == nse.id, TradingSession.day_of_week == 0)
    )
    assert (india.market_open, india.market_close) == (dt.time(9, 15), dt.time(15, 30))
    assert reports["XNYS"].holidays_added[2027] > 5
    # XBOM is recorded only as far ahead as the installed exchange_calendars knows: filled or said so
    assert 2027 in reports["XBOM"].holidays_added or 2027 in reports["XBOM"].years_skipped


def test_holidays_and_special_sessions(filled):
    session, _ = filled
    rows = {
        h.date: h
        for h in session.scalars(
            select(MarketHoliday).join(TradingHoursTemplate).where(TradingHoursTemplate.exchange_code == "XNYS")
        )
    }
    thanksgiving, black_friday = rows[dt.date(2026, 11, 26)], rows[dt.date(2026, 11, 27)]
    assert (thanksgiving.holiday_type, thanksgiving.early_close, thanksgiving.late_open) == ("full_day", None, None)
    assert "Thanksgiving" in thanksgiving.description
    assert (black_friday.holiday_type, black_friday.early_close) == ("special", dt.time(13, 0))
    assert dt.date(2026, 1, 1) in rows  # New Year's Day, before the calendar's first session
    assert is_market_open(session, "XNYS", at(NY, 2026, 11, 23, 10))
    assert not is_market_open(session, "XNYS", at(NY, 2026, 11, 23, 16))
    assert not is_market_open(session, "XNYS", at(NY, 2026, 11, 26, 11))
    assert is_market_open(session, "XNYS", at(NY, 2026, 11, 27, 12, 59))
    assert not is_market_open(session, "XNYS", at(NY, 2026, 11, 27, 13, 30))
    assert not is_market_open(session, "XNYS", at(NY, 2026, 11, 28, 11))  # Saturday
    assert is_market_open(session, "XBOM", at(IST, 2026, 11, 23, 10, 30))
    assert not is_market_open(session, "XBOM", at(IST, 2026, 11, 24, 10, 30))  # an NSE holiday in 2026


def test_edits_survive_a_refill_and_count(filled):
    session, _ = filled
    nyse = _template(session, "XNYS")
    good_friday = dt.date(2026, 4, 3)
    assert not is_market_open(session, "XNYS", at(NY, 2026, 4, 3, 11))
    session.execute(
        delete(MarketHoliday).where(MarketHoliday.template_id == nyse.id, MarketHoliday.date == good_friday)
    )
    session.add(
        MarketHoliday(
            template_id=nyse.id,
            date=dt.date(2026, 11, 22),
            holiday_type="muhurat",
            description="a Sunday special session",
            late_open=dt.time(18),
            early_close=dt.time(19),
        )
    )
    session.flush()
    again = {r.exchange_code: r for r in fill_calendars(session, years=(2026, 2027))}
    assert again["XNYS"].holidays_added == {} and again["XNYS"].sessions_added == 0
    assert is_market_open(session, "XNYS", at(NY, 2026, 4, 3, 11))  # the operator's edit stands
    assert is_market_open(session, "XNYS", at(NY, 2026, 11, 22, 18, 30))
    assert not is_market_open(session, "XNYS", at(NY, 2026, 11, 22, 19, 30))
    fill_calendars(session, ["XNYS"], years=(2026, 2026), replace=True)
    assert not is_market_open(session, "XNYS", at(NY, 2026, 4, 3, 11))
    assert not is_market_open(session, "XNYS", at(NY, 2026, 11, 22, 18, 30))
    assert (
        session.scalar(select(func.count()).select_from(TradingSession).where(TradingSession.template_id == nyse.id))
        == 7
    )


def test_next_window_and_unknown_exchange(filled):
    session, _ = filled
    calendar = load_calendar(session, "XNYS")
    window = calendar.next_window(at(NY, 2026, 11, 25, 17))
    assert (window.open, window.close) == (at(NY, 2026, 11, 27, 9, 30), at(NY, 2026, 11, 27, 13))
    with pytest.raises(CalendarNotFound, match="XLON"):
        load_calendar(session, "XLON")

"""Market calendars: hours read from our own tables (`hours`), and those tables filled from exchange_calendars
(`fill`). Day-of-week convention everywhere: 0 = Monday ... 6 = Sunday (see `hours`)."""

from core.calendars.fill import FillReport, fill_calendars
from core.calendars.hours import (
    DEFAULT_EXCHANGES,
    NSE,
    NYSE,
    CalendarNotFound,
    MarketCalendar,
    WeeklySession,
    Window,
    exchange_for_timezone,
    is_market_open,
    load_calendar,
)

__all__ = [
    "DEFAULT_EXCHANGES",
    "NSE",
    "NYSE",
    "CalendarNotFound",
    "FillReport",
    "MarketCalendar",
    "WeeklySession",
    "Window",
    "exchange_for_timezone",
    "fill_calendars",
    "is_market_open",
    "load_calendar",
]

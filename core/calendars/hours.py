"""Market hours read from our own calendar tables (so an operator's edit counts), filled from `exchange_calendars`.

Day-of-week convention, everywhere in Wheelhouse: 0 = Monday ... 6 = Sunday. It is Python's `date.weekday()`,
the AlgoMirror seed's comment on `trading_sessions.day_of_week`, FluxScan's `scan_schedules.days_of_week`, and
the order of `exchange_calendars`' weekmask ("1111100" = Monday to Friday). It is *not* cron's 0 = Sunday.

A `market_holidays` row departs from the weekly sessions for one date. With neither `late_open` nor
`early_close` it is a closed day. With one or both set it is a trading day whose open and/or close replace the
weekly session's (exchange-local wall-clock times): an early close, a late open, or a special session on a day
the weekly sessions call closed (a Diwali Muhurat session on a Sunday), which sets both.

Filling (`core.calendars.fill`) only adds what is missing, so edits survive a refill; see that module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.db.models import MarketHoliday, TradingHoursTemplate, TradingSession

NYSE = "XNYS"
NSE = "XBOM"  # exchange_calendars' Bombay calendar: NSE and BSE share their sessions and holidays
DEFAULT_EXCHANGES = (NYSE, NSE)
_TIMEZONE_EXCHANGES = {"America/New_York": NYSE, "Asia/Kolkata": NSE, "Asia/Calcutta": NSE}
_SEARCH_DAYS = 400  # how far ahead `next_window` looks before deciding the market never opens


class CalendarNotFound(LookupError):
    """No trading-hours template for this exchange code (fill them with `core.calendars.fill_calendars`)."""


@dataclass(frozen=True)
class Window:
    """One trading session: [open, close) as timezone-aware UTC datetimes."""

    open: dt.datetime
    close: dt.datetime

    def __contains__(self, moment: dt.datetime) -> bool:
        return self.open <= moment < self.close


@dataclass(frozen=True)
class WeeklySession:
    market_open: dt.time | None
    market_close: dt.time | None
    is_trading_day: bool


@dataclass(frozen=True)
class MarketCalendar:
    """One exchange's calendar as stored in our tables; pure methods, no I/O."""

    exchange_code: str
    timezone: ZoneInfo
    weekly: dict[int, WeeklySession] = field(default_factory=dict)
    exceptions: dict[dt.date, tuple[dt.time | None, dt.time | None]] = field(default_factory=dict)  # (open, close)

    def window(self, day: dt.date) -> Window | None:
        """The session of exchange-local `day`, or None when the market is closed all day."""
        weekly = self.weekly.get(day.weekday())
        if day in self.exceptions:
            late_open, early_close = self.exceptions[day]
            if late_open is None and early_close is None:
                return None
            opens = late_open or (weekly.market_open if weekly else None)
            closes = early_close or (weekly.market_close if weekly else None)
        elif weekly is None or not weekly.is_trading_day:
            return None
        else:
            opens, closes = weekly.market_open, weekly.market_close
        if opens is None or closes is None:
            return None
        start = dt.datetime.combine(day, opens, self.timezone).astimezone(dt.UTC)
        end = dt.datetime.combine(day, closes, self.timezone).astimezone(dt.UTC)
        return Window(start, end) if end > start else None

    def is_open(self, moment: dt.datetime) -> bool:
        """True when `moment` (timezone-aware) falls inside a session."""
        window = self.window(moment.astimezone(self.timezone).date())
        return window is not None and moment in window

    def next_window(self, moment: dt.datetime) -> Window | None:
        """The session that contains `moment` or the first one after it (None if none within a year or so)."""
        day = moment.astimezone(self.timezone).date()
        for offset in range(_SEARCH_DAYS):
            window = self.window(day + dt.timedelta(days=offset))
            if window is not None and window.close > moment:
                return window
        return None


def load_calendar(conn, exchange_code: str) -> MarketCalendar:
    """Read one exchange's template, weekly sessions and holidays (`conn`: a Session or a Connection)."""
    template = conn.execute(
        select(TradingHoursTemplate.id, TradingHoursTemplate.timezone).where(
            TradingHoursTemplate.exchange_code == exchange_code
        )
    ).first()
    if template is None:
        raise CalendarNotFound(
            f"no trading hours for exchange {exchange_code!r}: run the sidecar once, or core.calendars.fill_calendars"
        )
    weekly = {
        row.day_of_week: WeeklySession(row.market_open, row.market_close, bool(row.is_trading_day))
        for row in conn.execute(
            select(
                TradingSession.day_of_week,
                TradingSession.market_open,
                TradingSession.market_close,
                TradingSession.is_trading_day,
            ).where(TradingSession.template_id == template.id)
        )
    }
    exceptions = {
        row.date: (row.late_open, row.early_close)
        for row in conn.execute(
            select(MarketHoliday.date, MarketHoliday.late_open, MarketHoliday.early_close).where(
                MarketHoliday.template_id == template.id
            )
        )
    }
    return MarketCalendar(exchange_code, ZoneInfo(template.timezone or "UTC"), weekly, exceptions)


def is_market_open(conn, exchange_code: str = NYSE, at: dt.datetime | None = None) -> bool:
    """Whether `exchange_code`'s market is in session at `at` (default now), by our tables."""
    return load_calendar(conn, exchange_code).is_open(at or dt.datetime.now(dt.UTC))


def exchange_for_timezone(timezone: str | None) -> str:
    """The calendar a schedule in `timezone` follows: Asia/Kolkata -> XBOM, anything else -> XNYS."""
    return _TIMEZONE_EXCHANGES.get(timezone or "", NYSE)


__all__ = [
    "DEFAULT_EXCHANGES",
    "NSE",
    "NYSE",
    "CalendarNotFound",
    "MarketCalendar",
    "WeeklySession",
    "Window",
    "exchange_for_timezone",
    "is_market_open",
    "load_calendar",
]

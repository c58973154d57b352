"""Are the stored quotes as fresh as the as-of date asks? Freshness is the quote time (DESIGN section 4).

The quote time is the market time of a quote, never the time we wrote the row: an imported 2023 chain written a
minute ago is a 2023 chain. When the newest quote is older than the as-of date's trading day (the last session on
or before it, by our calendar tables), a screen over it would count DTE from a date the quotes never saw, and an
empty screen is not a matter of filters: the page says so and offers to set the as-of date to the quotes' date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.calendars.hours import NYSE, CalendarNotFound, load_calendar
from core.clock import new_york_date
from core.db.models import StockData

_LOOKBACK_DAYS = 15  # no exchange closes longer than this; beyond it, trust the date itself


@dataclass(frozen=True)
class QuoteFreshness:
    """The newest stored quote against the as-of date's trading day."""

    newest_quote: dt.datetime | None  # UTC, the market time of the newest quote; None when nothing is stored
    trading_day: dt.date  # the last session on or before the as-of date

    @property
    def quote_date(self) -> dt.date | None:
        """The New York date of the newest quote (the date to set the as-of date to)."""
        return new_york_date(self.newest_quote) if self.newest_quote else None

    @property
    def stale(self) -> bool:
        """True when the newest quote is from before the as-of date's trading day."""
        return self.quote_date is not None and self.quote_date < self.trading_day

    def message(self) -> str:
        """What the page and the command line say about stale quotes ('' when they are fresh)."""
        if not self.stale:
            return ""
        return (
            f"quotes are from {self.quote_date}; set the as-of date to it "
            f"(the as-of date's trading day is {self.trading_day})"
        )


def trading_day(session: Session, as_of: dt.date) -> dt.date:
    """The last NYSE session on or before `as_of`: our calendar tables, or Monday-Friday when they are empty."""
    try:
        calendar = load_calendar(session, NYSE)
    except CalendarNotFound:
        calendar = None
    for back in range(_LOOKBACK_DAYS):
        day = as_of - dt.timedelta(days=back)
        if (calendar.window(day) is not None) if calendar else day.weekday() < 5:
            return day
    return as_of


def quote_freshness(session: Session, as_of: dt.date) -> QuoteFreshness:
    """The newest quote time of the symbols with a chain (stock_data: one row per symbol, cheap to scan)."""
    newest = session.scalar(select(func.max(StockData.quote_time)).where(StockData.contracts > 0))
    if newest is not None and newest.tzinfo is None:
        newest = newest.replace(tzinfo=dt.UTC)
    return QuoteFreshness(newest, trading_day(session, as_of))


__all__ = ["QuoteFreshness", "quote_freshness", "trading_day"]

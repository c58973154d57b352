"""The exchange's clock: one time zone constant and one "today" for everything date-relative.

US equity options trade on New York time: DTE counts calendar days from today in New York, an expiry ends at
the 16:00 close there, and a quote's trading day is its New York date. Every module that needs one of these
asks here, so "today" cannot mean two different days in two places around midnight UTC.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
MARKET_CLOSE = dt.time(16, 0)  # the regular close; options stop trading at the close of their expiry day


def today_in_new_york(now: dt.datetime | None = None) -> dt.date:
    """Today's date in New York (at `now`, timezone-aware, if given): the default as-of date of every screen."""
    return (now or dt.datetime.now(dt.UTC)).astimezone(NEW_YORK).date()


def new_york_date(moment: dt.datetime) -> dt.date:
    """The New York calendar date of a timezone-aware moment (a quote's trading day)."""
    return moment.astimezone(NEW_YORK).date()


__all__ = ["MARKET_CLOSE", "NEW_YORK", "new_york_date", "today_in_new_york"]

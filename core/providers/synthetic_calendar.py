"""Trading days and listed expiries for the synthetic market.

Sessions are NYSE weekdays less its regular holidays (the rules exchange_calendars uses for XNYS, written out
here so the synthetic walk never shifts when that package learns a new closure) and the two recent one-off
closures. Half days count as full sessions.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import numpy as np
from pandas.tseries.holiday import (
    AbstractHolidayCalendar,
    GoodFriday,
    Holiday,
    USLaborDay,
    USMartinLutherKingJr,
    USMemorialDay,
    USPresidentsDay,
    USThanksgivingDay,
    nearest_workday,
    sunday_to_monday,
)

EPOCH = np.datetime64("2015-01-02", "D")  # the first session of every walk
LAST_DAY = np.datetime64("2060-12-31", "D")
_ONE_OFF_CLOSURES = ("2018-12-05", "2025-01-09")  # national days of mourning
_QUARTERS = np.array([f"{y}-{m:02d}-01" for y in range(2014, 2061) for m in (1, 4, 7, 10)], "datetime64[D]")


class _NYSEHolidays(AbstractHolidayCalendar):
    rules = [
        Holiday("New Year's Day", month=1, day=1, observance=sunday_to_monday),
        USMartinLutherKingJr,
        USPresidentsDay,
        GoodFriday,
        USMemorialDay,
        Holiday("Juneteenth", month=6, day=19, start_date="2022-01-01", observance=nearest_workday),
        Holiday("Independence Day", month=7, day=4, observance=nearest_workday),
        USLaborDay,
        USThanksgivingDay,
        Holiday("Christmas", month=12, day=25, observance=nearest_workday),
    ]


@lru_cache(maxsize=1)
def sessions() -> np.busdaycalendar:
    """NumPy business-day calendar of NYSE sessions from EPOCH to LAST_DAY."""
    holidays = _NYSEHolidays().holidays(str(EPOCH), str(LAST_DAY)).values.astype("datetime64[D]")
    return np.busdaycalendar(holidays=np.concatenate([holidays, np.array(_ONE_OFF_CLOSURES, "datetime64[D]")]))


def session_index(day) -> np.ndarray | int:
    """How many sessions lie in [EPOCH, day): the index of `day` if it is a session, else of the next one."""
    return np.busday_count(EPOCH, np.asarray(day, dtype="datetime64[D]"), busdaycal=sessions())


def session_dates(index: np.ndarray) -> np.ndarray:
    """The dates of sessions by index (datetime64[D])."""
    return np.busday_offset(EPOCH, index, roll="forward", busdaycal=sessions())


def last_session(day: dt.date) -> np.datetime64:
    """`day` if the market is open then, else the session before it."""
    return np.busday_offset(np.datetime64(day, "D"), 0, roll="backward", busdaycal=sessions())


def listed_expirations(as_of: dt.date) -> tuple[np.ndarray, np.ndarray]:
    """Expiries after `as_of` and whether each is a standard (third-Friday) one.

    Six weekly Fridays, every third Friday for a year and January LEAPS out to about 2.5 years; an expiry
    whose Friday is a holiday moves to the Thursday before, as listed options do.
    """
    day = np.datetime64(as_of, "D")
    weeklies = np.busday_offset(day + 1, 0, roll="forward", weekmask="Fri") + 7 * np.arange(6)
    months = (np.datetime64(as_of, "M") + np.arange(13)).astype("datetime64[D]")
    monthlies = np.busday_offset(months, 2, roll="forward", weekmask="Fri")
    monthlies = monthlies[(monthlies > day) & (monthlies <= day + 366)]
    januaries = np.array([f"{as_of.year + k}-01" for k in (1, 2, 3)], "datetime64[M]").astype("datetime64[D]")
    leaps = np.busday_offset(januaries, 2, roll="forward", weekmask="Fri")
    leaps = leaps[(leaps > monthlies.max()) & (leaps <= day + 913)]
    standard = np.concatenate([monthlies, leaps])
    fridays = np.unique(np.concatenate([weeklies, standard]))
    expiries = np.busday_offset(fridays, 0, roll="backward", busdaycal=sessions())
    keep = expiries > day  # a holiday Friday right after as_of can roll back onto it
    return expiries[keep], np.isin(fridays, standard)[keep]


def earnings_dates(phases: np.ndarray, last_year: int) -> np.ndarray:
    """Quarterly report dates from 2014 to `last_year`: the first session on/after quarter start + phase days.

    Shape (symbols, quarters), ascending along each row.
    """
    quarters = _QUARTERS[: 4 * (last_year + 1 - 2014)]  # four quarter starts a year from 2014
    raw = quarters[None, :] + np.round(np.asarray(phases, dtype=float)).astype(int)[:, None]
    return np.busday_offset(raw, 0, roll="forward", busdaycal=sessions())

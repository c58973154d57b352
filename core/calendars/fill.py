"""Fill the calendar tables from `exchange_calendars` (XNYS for NYSE, XBOM for India's NSE/BSE).

The tables, not the library, are the source of truth at run time (`core.calendars.hours`), so an operator can
correct a holiday or shorten a day. Filling therefore only adds what is missing: the template is found by its
unique `exchange_code`, a weekday's session is inserted only when that weekday has none, and a year's holidays
are inserted only when the template has no holiday row in that year at all (an edited year is left alone).
`replace=True` rewrites the sessions and the years asked for.

Rows an admin added by hand (`holiday_type = MANUAL`: an unscheduled closure or early close, through
core.calendars.service) belong to no year's fill: they do not count as "the year is filled", a refill
(`replace`) keeps them, and the library's row for the same date is not inserted beside them -- the hand-added
row wins for its date until an admin removes it.

exchange_calendars knows regular hours and every session's open and close, including early closes, late opens
and weekend sessions; it does not know pre- and post-market hours, which come from `EXTENDED_HOURS` below. Some
calendars are recorded only a year or so ahead (XBOM stops at the end of the year its release knows): years past
that are skipped and reported, and the sidecar's housekeeping tries again later.
"""

from __future__ import annotations

import datetime as dt
import logging
import warnings
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import delete, extract, func, insert, select
from sqlalchemy.orm import Session

from core.calendars.hours import DEFAULT_EXCHANGES, NSE, NYSE
from core.db.models import MarketHoliday, TradingHoursTemplate, TradingSession

log = logging.getLogger("wheelhouse.calendars")

MANUAL = "manual"  # market_holidays.holiday_type of a row an admin added by hand (see the module docstring)

NAMES = {NYSE: "NYSE (XNYS)", NSE: "NSE / BSE India (XBOM)"}
# (pre_market_start, pre_market_end, post_market_start, post_market_end), exchange-local; not in exchange_calendars.
EXTENDED_HOURS = {
    NYSE: (dt.time(4, 0), dt.time(9, 30), dt.time(16, 0), dt.time(20, 0)),
    NSE: (dt.time(9, 0), dt.time(9, 15), dt.time(15, 40), dt.time(16, 0)),  # pre-open and closing sessions
}
_TIMEZONE_ALIASES = {"Asia/Calcutta": "Asia/Kolkata"}


@dataclass
class FillReport:
    exchange_code: str
    created_template: bool = False
    sessions_added: int = 0
    holidays_added: dict[int, int] = field(default_factory=dict)  # year -> rows
    years_skipped: dict[int, str] = field(default_factory=dict)  # year -> why


def default_years(today: dt.date | None = None) -> tuple[int, int]:
    """This year and next."""
    year = (today or dt.date.today()).year
    return year, year + 1


def fill_calendars(
    session: Session, exchanges=DEFAULT_EXCHANGES, years: tuple[int, int] | None = None, replace: bool = False
) -> list[FillReport]:
    """Fill (or with `replace`, refresh) each exchange's template, weekly sessions and holidays for `years`."""
    first, last = years or default_years()
    return [_fill_one(session, code, first, last, replace) for code in exchanges]


def _fill_one(session: Session, code: str, first: int, last: int, replace: bool) -> FillReport:
    report = FillReport(code)
    template = session.scalar(select(TradingHoursTemplate).where(TradingHoursTemplate.exchange_code == code))
    todo = [y for y in range(first, last + 1) if replace or template is None or not _has_year(session, template, y)]
    if template is not None and not todo and not replace:
        return report
    calendar, covered_to = _exchange_calendar(code, first, last)
    if template is None:
        timezone = _TIMEZONE_ALIASES.get(str(calendar.tz), str(calendar.tz))
        template = TradingHoursTemplate(
            name=NAMES.get(code, code), exchange_code=code, timezone=timezone, is_active=True
        )
        session.add(template)
        session.flush()
        report.created_template = True
    report.sessions_added = _fill_sessions(session, template.id, calendar, code, replace)
    for year in todo:
        if year > covered_to.year:
            report.years_skipped[year] = f"exchange_calendars records {code} only to {covered_to}"
            log.warning("calendar %s: no holidays known for %s (recorded to %s)", code, year, covered_to)
            continue
        if replace:
            session.execute(
                delete(MarketHoliday).where(
                    MarketHoliday.template_id == template.id,
                    extract("year", MarketHoliday.date) == year,
                    _from_library(),
                )
            )
        manual = _manual_dates(session, template.id, year)
        rows = _holiday_rows(calendar, template.id, year, min(dt.date(year, 12, 31), covered_to))
        rows = [row for row in rows if row["date"] not in manual]
        if rows:
            session.execute(insert(MarketHoliday), rows)
        report.holidays_added[year] = len(rows)
    return report


def _has_year(session: Session, template: TradingHoursTemplate, year: int) -> bool:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return bool(
        session.scalar(
            select(func.count())
            .select_from(MarketHoliday)
            .where(MarketHoliday.template_id == template.id, MarketHoliday.date.between(start, end), _from_library())
        )
    )


def _from_library():
    """Holiday rows a fill wrote (or an operator edited in the database), not ones an admin added by hand."""
    return MarketHoliday.holiday_type.is_(None) | (MarketHoliday.holiday_type != MANUAL)


def _manual_dates(session: Session, template_id: int, year: int) -> set[dt.date]:
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    return set(
        session.scalars(
            select(MarketHoliday.date).where(
                MarketHoliday.template_id == template_id,
                MarketHoliday.date.between(start, end),
                MarketHoliday.holiday_type == MANUAL,
            )
        )
    )


def _exchange_calendar(code: str, first: int, last: int):
    import exchange_calendars as xc
    import pandas as pd

    with warnings.catch_warnings():  # exchange_calendars 4.13 uses Series.values, deprecated in pandas 3.1
        warnings.simplefilter("ignore", getattr(pd.errors, "Pandas4Warning", FutureWarning))
        try:
            return xc.get_calendar(code, start=f"{first}-01-01", end=f"{last}-12-31"), dt.date(last, 12, 31)
        except ValueError:  # recorded only part of the way: take what the library knows
            calendar = xc.get_calendar(code, start=f"{first}-01-01")
            bound = getattr(type(calendar), "bound_max", None)
            return calendar, (bound() if bound else calendar.last_session).date()


def _regular(calendar) -> tuple[dt.time, dt.time]:
    return calendar.open_times[-1][1], calendar.close_times[-1][1]  # the latest regime of each


def _fill_sessions(session: Session, template_id: int, calendar, code: str, replace: bool) -> int:
    if replace:
        session.execute(delete(TradingSession).where(TradingSession.template_id == template_id))
    have = set(session.scalars(select(TradingSession.day_of_week).where(TradingSession.template_id == template_id)))
    opens, closes = _regular(calendar)
    pre_start, pre_end, post_start, post_end = EXTENDED_HOURS.get(code, (None,) * 4)
    rows = []
    for day in range(7):  # weekmask is Monday first, like day_of_week
        if day in have:
            continue
        trading = calendar.weekmask[day] == "1"
        rows.append(
            {
                "template_id": template_id,
                "day_of_week": day,
                "is_trading_day": trading,
                "market_open": opens if trading else None,
                "market_close": closes if trading else None,
                "pre_market_start": pre_start if trading else None,
                "pre_market_end": pre_end if trading else None,
                "post_market_start": post_start if trading else None,
                "post_market_end": post_end if trading else None,
            }
        )
    if rows:
        session.execute(insert(TradingSession), rows)
    return len(rows)


def _holiday_rows(calendar, template_id: int, year: int, last_day: dt.date) -> list[dict]:
    """Closed weekdays and special sessions of `year` up to `last_day`, as market_holidays rows."""
    import pandas as pd

    tz = ZoneInfo(str(calendar.tz))
    regular_open, regular_close = _regular(calendar)
    start, end = pd.Timestamp(year, 1, 1), pd.Timestamp(last_day)
    opens = {d.date(): t.astimezone(tz).time() for d, t in calendar.opens.loc[start:end].items()}
    closes = {d.date(): t.astimezone(tz).time() for d, t in calendar.closes.loc[start:end].items()}
    names = {}
    if calendar.regular_holidays is not None:
        names = {d.date(): str(n) for d, n in calendar.regular_holidays.holidays(start, end, return_name=True).items()}
    session_days = set(opens)
    rows = []
    for day in (d.date() for d in pd.date_range(start, end, freq="D")):
        weekday_trades = calendar.weekmask[day.weekday()] == "1"
        if day not in session_days:
            if weekday_trades:
                rows.append(
                    {
                        "template_id": template_id,
                        "date": day,
                        "holiday_type": "full_day",
                        "description": names.get(day, "Exchange holiday"),
                    }
                )
            continue
        opened, closed = opens[day], closes[day]
        if weekday_trades and (opened, closed) == (regular_open, regular_close):
            continue
        late_open = opened if (opened != regular_open or not weekday_trades) else None
        early_close = closed if (closed != regular_close or not weekday_trades) else None
        if calendar.name == NSE and opened >= regular_close:
            kind, text = "muhurat", "Muhurat trading session"
        elif not weekday_trades:
            kind, text = "special", "Special trading session"
        else:
            changes = [
                f"late open {opened:%H:%M}" if late_open else "",
                f"early close {closed:%H:%M}" if early_close else "",
            ]
            kind, text = "special", " and ".join(c for c in changes if c).capitalize()
        rows.append(
            {
                "template_id": template_id,
                "date": day,
                "holiday_type": kind,
                "description": text,
                "late_open": late_open,
                "early_close": early_close,
            }
        )
    return rows


__all__ = ["EXTENDED_HOURS", "MANUAL", "FillReport", "default_years", "fill_calendars"]

"""What the Operations page's Calendars tab calls: an Engine and an actor in, one unit of work inside, frozen
dataclasses and DataFrames out.

Reading the calendars needs `Permission.READ`; refilling one from exchange_calendars and adding or removing a
one-off closure or early close (an unscheduled holiday: a national day of mourning, a storm) need
`Permission.MANAGE_CALENDARS`, and each change leaves one activity row. Hand-added days are `market_holidays`
rows of type `MANUAL`: a refill keeps them and they win over the library for their date (core.calendars.fill),
and only they can be removed here -- a day that came from exchange_calendars would come back at the next fill.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from core.auth.audit import record_activity
from core.auth.roles import Actor, Permission, require
from core.calendars.fill import MANUAL, FillReport, fill_calendars
from core.calendars.hours import DEFAULT_EXCHANGES, load_calendar
from core.db.engine import unit_of_work
from core.db.models import MarketHoliday, TradingHoursTemplate, TradingSession

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # day_of_week 0 = Monday (core.calendars.hours)
MAX_AHEAD = dt.timedelta(days=3 * 366)  # fills cover this year and next; further ahead is a typo, not a plan
UPCOMING_DAYS = 400  # how far ahead the upcoming table looks
MAX_DESCRIPTION = 200  # market_holidays.description

CALENDAR_REFILL = "calendar_refill"
CLOSURE_ADD = "calendar_closure_add"
CLOSURE_REMOVE = "calendar_closure_remove"


class CalendarError(ValueError):
    """A calendar change that cannot be made (unknown exchange, a past date, a duplicate...): one line why."""


@dataclass(frozen=True)
class ExchangeSummary:
    """One exchange as the Calendars tab lists it; `sessions` has one row per weekday."""

    code: str
    name: str
    timezone: str
    active: bool
    hours: str  # e.g. "Mon-Fri 09:30-16:00"
    holidays_to: dt.date | None  # the last departure from the weekly sessions on file
    hand_added: int  # days added by hand (any date)
    sessions: pd.DataFrame


@dataclass(frozen=True)
class CalendarView:
    """Everything the Calendars tab shows: the exchanges and the departures from their weekly sessions from today."""

    exchanges: tuple[ExchangeSummary, ...]
    upcoming: pd.DataFrame  # exchange, date, day, kind, hours, description, source
    today: dt.date


@dataclass(frozen=True)
class AddedDay:
    """A closure or early close as added: what the page confirms."""

    exchange_code: str
    date: dt.date
    early_close: dt.time | None
    description: str

    def describe(self) -> str:
        what = f"closes early at {self.early_close:%H:%M}" if self.early_close else "is closed"
        return f"{self.exchange_code} {what} on {self.date:%a %d %b %Y} ({self.description})."


def calendar_view(engine: Engine, actor: Actor, today: dt.date | None = None) -> CalendarView:
    """Every exchange with its weekly hours, and every holiday, early close or special session from `today` on."""
    require(actor, Permission.READ)
    today = today or dt.date.today()
    with unit_of_work(engine) as session:
        templates = session.scalars(select(TradingHoursTemplate).order_by(TradingHoursTemplate.exchange_code)).all()
        summaries, upcoming = [], []
        for template in templates:
            sessions = session.scalars(
                select(TradingSession)
                .where(TradingSession.template_id == template.id)
                .order_by(TradingSession.day_of_week)
            ).all()
            holidays = session.scalars(
                select(MarketHoliday).where(MarketHoliday.template_id == template.id).order_by(MarketHoliday.date)
            ).all()
            summaries.append(
                ExchangeSummary(
                    code=template.exchange_code or "",
                    name=template.name,
                    timezone=template.timezone,
                    active=bool(template.is_active),
                    hours=_weekly_hours(sessions),
                    holidays_to=holidays[-1].date if holidays else None,
                    hand_added=sum(h.holiday_type == MANUAL for h in holidays),
                    sessions=_sessions_frame(sessions),
                )
            )
            horizon = today + dt.timedelta(days=UPCOMING_DAYS)
            upcoming += [_day_row(template.exchange_code, h) for h in holidays if today <= h.date <= horizon]
    columns = ["exchange", "date", "day", "kind", "hours", "description", "source"]
    frame = pd.DataFrame(upcoming, columns=columns).sort_values(["date", "exchange"], ignore_index=True)
    return CalendarView(tuple(summaries), frame, today)


def refill_calendar(engine: Engine, actor: Actor, exchange_code: str, today: dt.date | None = None) -> FillReport:
    """Rewrite an exchange's weekly sessions and this year's and next year's days from exchange_calendars now.

    Days added by hand are kept (core.calendars.fill); other edits made in the database are replaced.
    """
    require(actor, Permission.MANAGE_CALENDARS)
    code = exchange_code.strip().upper()
    year = (today or dt.date.today()).year
    with unit_of_work(engine, write=True) as session:
        known = set(session.scalars(select(TradingHoursTemplate.exchange_code))) | set(DEFAULT_EXCHANGES)
        if code not in known:
            raise CalendarError(f"unknown exchange {exchange_code!r}: known are {', '.join(sorted(known))}")
        [report] = fill_calendars(session, [code], years=(year, year + 1), replace=True)
        record_activity(
            session,
            CALENDAR_REFILL,
            actor=actor,
            target=f"calendar:{code}",
            details={
                "sessions": report.sessions_added,
                "holidays": report.holidays_added,
                "skipped": report.years_skipped,
            },
        )
    return report


def add_closure(
    engine: Engine,
    actor: Actor,
    exchange_code: str,
    day: dt.date,
    description: str,
    early_close: dt.time | None = None,
) -> AddedDay:
    """Close an exchange for `day` (or, with `early_close`, shorten it): an unscheduled holiday, added by hand.

    Refused, with nothing written: an unknown exchange, a day before today (exchange-local) or more than about
    three years ahead, an empty description, a day that already has a holiday or special session, a day the
    market is closed anyway, and an early close outside that day's session.
    """
    require(actor, Permission.MANAGE_CALENDARS)
    text = " ".join((description or "").split())
    if not text:
        raise CalendarError("say why the market closes (e.g. 'National day of mourning')")
    if len(text) > MAX_DESCRIPTION:
        raise CalendarError(f"the description is {len(text)} characters; at most {MAX_DESCRIPTION}")
    with unit_of_work(engine, write=True) as session:
        template = _template(session, exchange_code)
        today = dt.datetime.now(ZoneInfo(template.timezone)).date()
        if day < today:
            raise CalendarError(f"{day} is in the past ({template.exchange_code} is on {today}): nothing to close")
        if day > today + MAX_AHEAD:
            raise CalendarError(f"{day} is more than three years ahead: add it nearer the time")
        existing = session.scalar(
            select(MarketHoliday).where(MarketHoliday.template_id == template.id, MarketHoliday.date == day)
        )
        if existing is not None:
            raise CalendarError(
                f"{template.exchange_code} already has {day} on file: {existing.description or existing.holiday_type}"
                f" ({_source(existing)})"
            )
        window = load_calendar(session, template.exchange_code).window(day)
        if window is None:
            raise CalendarError(f"{template.exchange_code} does not trade on {day:%a %d %b %Y} anyway")
        if early_close is not None:
            zone = ZoneInfo(template.timezone)
            opens, closes = window.open.astimezone(zone).time(), window.close.astimezone(zone).time()
            if not opens < early_close < closes:
                raise CalendarError(
                    f"an early close on {day} must fall inside the session, after {opens:%H:%M} and before "
                    f"{closes:%H:%M}"
                )
        session.add(
            MarketHoliday(
                template_id=template.id, date=day, description=text, holiday_type=MANUAL, early_close=early_close
            )
        )
        try:
            session.flush()
        except IntegrityError as exc:  # someone added the same day a moment ago
            raise CalendarError(f"{template.exchange_code} already has {day} on file") from exc
        added = AddedDay(template.exchange_code or "", day, early_close, text)
        record_activity(
            session,
            CLOSURE_ADD,
            actor=actor,
            target=f"calendar:{added.exchange_code}:{day.isoformat()}",
            details={"description": text, "early_close": early_close.strftime("%H:%M") if early_close else None},
        )
    return added


def remove_closure(engine: Engine, actor: Actor, exchange_code: str, day: dt.date) -> AddedDay:
    """Remove a closure or early close that was added by hand; the library's days are refused (they come back)."""
    require(actor, Permission.MANAGE_CALENDARS)
    with unit_of_work(engine, write=True) as session:
        template = _template(session, exchange_code)
        row = session.scalar(
            select(MarketHoliday).where(MarketHoliday.template_id == template.id, MarketHoliday.date == day)
        )
        if row is None:
            raise CalendarError(f"{template.exchange_code} has nothing on file for {day}")
        if row.holiday_type != MANUAL:
            raise CalendarError(
                f"{template.exchange_code} {day} ({row.description}) comes from exchange_calendars and would come "
                "back at the next fill; only days added by hand can be removed"
            )
        removed = AddedDay(template.exchange_code or "", day, row.early_close, row.description or "")
        session.delete(row)
        record_activity(
            session,
            CLOSURE_REMOVE,
            actor=actor,
            target=f"calendar:{removed.exchange_code}:{day.isoformat()}",
            details={"description": removed.description},
        )
    return removed


def _template(session, exchange_code: str) -> TradingHoursTemplate:
    code = (exchange_code or "").strip().upper()
    template = session.scalar(select(TradingHoursTemplate).where(TradingHoursTemplate.exchange_code == code))
    if template is None:
        known = ", ".join(sorted(c for c in session.scalars(select(TradingHoursTemplate.exchange_code)) if c))
        raise CalendarError(f"unknown exchange {exchange_code!r}: known are {known or 'none (fill the calendars)'}")
    return template


def _source(row: MarketHoliday) -> str:
    return "added by hand" if row.holiday_type == MANUAL else "exchange_calendars"


def _day_row(code: str | None, row: MarketHoliday) -> dict:
    if row.late_open is None and row.early_close is None:
        kind, hours = "closed", ""
    elif row.late_open and row.early_close:
        kind, hours = "special session", f"{row.late_open:%H:%M}-{row.early_close:%H:%M}"
    elif row.early_close:
        kind, hours = "early close", f"closes {row.early_close:%H:%M}"
    else:
        kind, hours = "late open", f"opens {row.late_open:%H:%M}"
    return {
        "exchange": code,
        "date": row.date,
        "day": DAYS[row.date.weekday()],
        "kind": kind,
        "hours": hours,
        "description": row.description or "",
        "source": _source(row),
    }


def _sessions_frame(sessions) -> pd.DataFrame:
    def hhmm(value: dt.time | None) -> str:
        return f"{value:%H:%M}" if value else ""

    return pd.DataFrame(
        [
            {
                "day": DAYS[s.day_of_week],
                "trading": bool(s.is_trading_day),
                "open": hhmm(s.market_open),
                "close": hhmm(s.market_close),
                "pre-market": f"{hhmm(s.pre_market_start)}-{hhmm(s.pre_market_end)}" if s.pre_market_start else "",
                "post-market": f"{hhmm(s.post_market_start)}-{hhmm(s.post_market_end)}" if s.post_market_start else "",
            }
            for s in sessions
        ],
        columns=["day", "trading", "open", "close", "pre-market", "post-market"],
    )


def _weekly_hours(sessions) -> str:
    """ "Mon-Fri 09:30-16:00", runs of weekdays with the same hours joined by ", "; "closed" with none."""
    runs: list[list] = []  # [first day, last day, hours]
    for s in sessions:
        if not s.is_trading_day or s.market_open is None or s.market_close is None:
            continue
        hours = f"{s.market_open:%H:%M}-{s.market_close:%H:%M}"
        if runs and runs[-1][2] == hours and runs[-1][1] == s.day_of_week - 1:
            runs[-1][1] = s.day_of_week
        else:
            runs.append([s.day_of_week, s.day_of_week, hours])
    parts = [f"{DAYS[a]}-{DAYS[b]} {h}" if a != b else f"{DAYS[a]} {h}" for a, b, h in runs]
    return ", ".join(parts) or "closed"


__all__ = [
    "CLOSURE_ADD",
    "CLOSURE_REMOVE",
    "CALENDAR_REFILL",
    "AddedDay",
    "CalendarError",
    "CalendarView",
    "ExchangeSummary",
    "add_closure",
    "calendar_view",
    "refill_calendar",
    "remove_closure",
]

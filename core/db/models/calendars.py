"""Market calendars (AlgoMirror tables 9-11): trading-hours templates, weekly sessions, holidays.

A template is one exchange's calendar (`exchange_code` is its ISO MIC, e.g. 'XNYS', 'XBOM', as used by
`exchange_calendars`), so refreshing it from that library finds the same row every time. All TIME columns are
exchange-local wall-clock times in the template's `timezone`, not UTC: a session opens at 09:30 New York time
whatever the daylight-saving offset, and the sidecar converts to UTC per date.

Additions to the seed: `exchange_code` (unique, nullable: hand-made templates have none); `early_close` and
`late_open` on holidays for special sessions (a holiday row with one of them set is a shortened trading day,
not a closed one); unique (template_id, day_of_week) and (template_id, date) so a refresh cannot duplicate
rows; a check that day_of_week is 0..6.

Index renames (PostgreSQL index names are unique per schema; the seed reuses these across tables):
    trading_sessions: idx_template_id -> idx_trading_sessions_template_id,
                      idx_day_of_week -> idx_trading_sessions_day_of_week
    market_holidays:  idx_template_id -> idx_market_holidays_template_id, idx_date -> idx_market_holidays_date
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, UniqueConstraint, func, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db.base import Base, CreatedAt, intpk

__all__ = ["MarketHoliday", "TradingHoursTemplate", "TradingSession"]

_DB_CASCADE = {"cascade": "all, delete-orphan", "passive_deletes": True}


class TradingHoursTemplate(CreatedAt, Base):
    """One exchange's (or a user's) trading calendar: a time zone, weekly sessions and holidays."""

    __tablename__ = "trading_hours_templates"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100))
    exchange_code: Mapped[str | None] = mapped_column(String(10), unique=True)  # ISO MIC: XNYS, XBOM, ...
    timezone: Mapped[str | None] = mapped_column(
        String(50), default="Asia/Kolkata", server_default=text("'Asia/Kolkata'")
    )
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())

    sessions: Mapped[list[TradingSession]] = relationship(back_populates="template", **_DB_CASCADE)
    holidays: Mapped[list[MarketHoliday]] = relationship(back_populates="template", **_DB_CASCADE)


class TradingSession(Base):
    """The regular hours of one weekday. day_of_week: 0 = Monday ... 6 = Sunday (Python's `weekday()`)."""

    __tablename__ = "trading_sessions"
    __table_args__ = (
        UniqueConstraint("template_id", "day_of_week"),
        CheckConstraint("day_of_week BETWEEN 0 AND 6", name="day_of_week_range"),
        Index("idx_trading_sessions_template_id", "template_id"),
        Index("idx_trading_sessions_day_of_week", "day_of_week"),
    )

    id: Mapped[intpk]
    template_id: Mapped[int] = mapped_column(ForeignKey("trading_hours_templates.id", ondelete="CASCADE"))
    day_of_week: Mapped[int] = mapped_column(Integer)  # 0 = Monday ... 6 = Sunday
    pre_market_start: Mapped[dt.time | None]
    pre_market_end: Mapped[dt.time | None]
    market_open: Mapped[dt.time | None]
    market_close: Mapped[dt.time | None]
    post_market_start: Mapped[dt.time | None]
    post_market_end: Mapped[dt.time | None]
    is_trading_day: Mapped[bool] = mapped_column(default=True, server_default=true())

    template: Mapped[TradingHoursTemplate] = relationship(back_populates="sessions")


class MarketHoliday(Base):
    """A date that departs from the weekly sessions: closed, or a special session (early close, late open)."""

    __tablename__ = "market_holidays"
    __table_args__ = (
        UniqueConstraint("template_id", "date"),
        Index("idx_market_holidays_template_id", "template_id"),
        Index("idx_market_holidays_date", "date"),
    )

    id: Mapped[intpk]
    template_id: Mapped[int] = mapped_column(ForeignKey("trading_hours_templates.id", ondelete="CASCADE"))
    date: Mapped[dt.date]
    description: Mapped[str | None] = mapped_column(String(200))
    holiday_type: Mapped[str | None] = mapped_column(String(50))  # full_day / muhurat / special
    early_close: Mapped[dt.time | None]  # exchange-local; set on a shortened day
    late_open: Mapped[dt.time | None]  # exchange-local; set on a late-opening day

    template: Mapped[TradingHoursTemplate] = relationship(back_populates="holidays")


# Calendar names ignore case, as every other name does.
Index("uq_trading_hours_templates_name_lower", func.lower(TradingHoursTemplate.name), unique=True)

"""Market data the scanners read: daily OHLCV bars cached from the provider (our addition, DESIGN section 7).

Scanners read history, not chains, and a scan over thousands of symbols must not ask the provider again for
bars it fetched this morning: each symbol's bars are refreshed at most once a day (core/scanner/market.py).
`ohlcv_fetches` says, per symbol, when the provider was last asked and which days the cache holds, so the
"fetched today?" check reads one row per symbol rather than every bar. The provider is part of both keys, so
bars from the synthetic market and from Yahoo never mix in one series.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, Float, String
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, UTCDateTime, utcnow

__all__ = ["OhlcvDaily", "OhlcvFetch"]


class OhlcvDaily(Base):
    """One symbol's daily bar from one provider; `fetched_at` says when the provider last sent it."""

    __tablename__ = "ohlcv_daily"
    # On SQLite the rows live in primary-key order (no rowid table + index): a symbol's bars are one range read.
    __table_args__ = {"sqlite_with_rowid": False}

    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(20), primary_key=True)
    date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    open: Mapped[float | None] = mapped_column(Float)
    high: Mapped[float | None] = mapped_column(Float)
    low: Mapped[float | None] = mapped_column(Float)
    close: Mapped[float | None] = mapped_column(Float)
    volume: Mapped[float | None] = mapped_column(Float)  # shares; a double, as every provider returns it
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class OhlcvFetch(Base):
    """When a symbol's bars were last asked of a provider, and the days the cache holds for it."""

    __tablename__ = "ohlcv_fetches"

    provider: Mapped[str] = mapped_column(String(20), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(20), primary_key=True)
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    first_date: Mapped[dt.date | None] = mapped_column(Date)
    last_date: Mapped[dt.date | None] = mapped_column(Date)

"""Database Scan tables: stocks, their option contracts, per-symbol state and history, TradingView watchlists.

`stock_premiums` holds only the latest quote of each listed contract (one row per symbol + expiry + type +
strike), so the Scan Premiums query never slows down as history accumulates; history lives in
`symbol_daily_history`. The seed's stored `dte` and `monthly_return` are gone: both go stale the day after
a sync, so they are computed at query time against an as-of date (docs/data-model.md).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db.base import Base, CreatedAt, JSONType, Timestamps, UTCDateTime, intpk, utcnow


class Stock(Base):
    """A symbol we track, with its profile; the parent of its contracts."""

    __tablename__ = "stocks"

    id: Mapped[intpk]
    symbol: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str | None] = mapped_column(String(255))
    sector: Mapped[str | None] = mapped_column(String(100), index=True)
    industry: Mapped[str | None] = mapped_column(String(100))
    market_cap: Mapped[int | None] = mapped_column(BigInteger)
    current_price: Mapped[float | None] = mapped_column(Float)
    avg_volume: Mapped[int | None] = mapped_column(BigInteger)
    last_updated: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, onupdate=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )
    # Additions: what the premium screens filter on.
    exchange: Mapped[str | None] = mapped_column(String(20))
    dividend_yield: Mapped[float | None] = mapped_column(Float)
    next_earnings_date: Mapped[dt.date | None] = mapped_column(Date)
    ex_dividend_date: Mapped[dt.date | None] = mapped_column(Date)  # the provider's next (or latest) ex-date
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    # Shares (units of the underlying) per option contract: 100 for US equity options, the lot size where a market
    # has one (NSE). The nearest expiry's size at the last sync; the wheel counts positions and holdings in it.
    contract_size: Mapped[int] = mapped_column(Integer, default=100, server_default=text("100"))

    data: Mapped[StockData | None] = relationship(back_populates="stock", passive_deletes=True)


class StockData(Base):
    """The current state of one stock: its latest quote, volatility summary and last sync outcome."""

    __tablename__ = "stock_data"

    symbol: Mapped[str] = mapped_column(
        String(20), ForeignKey("stocks.symbol", ondelete="CASCADE", onupdate="CASCADE"), primary_key=True
    )
    price: Mapped[float | None] = mapped_column(Float)
    previous_close: Mapped[float | None] = mapped_column(Float)
    quote_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    iv30: Mapped[float | None] = mapped_column(Float)  # ATM implied volatility interpolated to 30 days
    iv_rank: Mapped[float | None] = mapped_column(Float)  # 0-100, from our own daily history
    iv_percentile: Mapped[float | None] = mapped_column(Float)  # 0-100, from our own daily history
    hv20: Mapped[float | None] = mapped_column(Float)  # annualised stdev of 20 daily log returns (a fraction)
    hv60: Mapped[float | None] = mapped_column(Float)  # the same over 60 daily log returns
    contracts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    expirations: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    quarantined: Mapped[dict[str, Any] | None] = mapped_column(JSONType)  # {reason: count} of the last sync
    sync_status: Mapped[str | None] = mapped_column(String(20))  # synced / no_options / failed
    sync_max_dte: Mapped[int | None] = mapped_column(Integer)  # the last sync's expiry window; 0 = every expiry
    fetched_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime(), index=True)

    stock: Mapped[Stock] = relationship(back_populates="data")


class StockPremium(Base):
    """The latest quote of one listed option contract, with greeks and quality flag (DESIGN section 3-4).

    Delta is signed (puts negative); theta is per calendar day; vega per one volatility point;
    implied_volatility a fraction (0.25 = 25 %). A row with `quality_flag` set is shown in chains but never
    ranked. DTE and returns that depend on it are computed at query time.
    """

    __tablename__ = "stock_premiums"
    __table_args__ = (
        UniqueConstraint("symbol", "expiration_date", "option_type", "strike_price", name="uq_stock_premiums_contract"),
        CheckConstraint("option_type IN ('put', 'call')", name="option_type"),
        # The screen's rank stage reads only these columns, so it is answered from the index alone (an
        # index-only scan on PostgreSQL, a covering index on SQLite): docs/premiums.md "Indexes", migration 0016.
        Index(
            "idx_sp_rank",
            "option_type",
            "expiration_date",
            "symbol",
            "strike_price",
            "mid",
            "underlying_price",
            "delta",
            "contract_size",
            "quality_flag",  # always NULL here, but SQLite counts an index as covering only if it holds it
            postgresql_include=["id"],  # SQLite's index entries carry the rowid (= id) anyway
            postgresql_where=text("quality_flag IS NULL"),
            sqlite_where=text("quality_flag IS NULL"),
        ),
        Index("idx_sp_symbol_expiration", "symbol", "expiration_date"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    symbol: Mapped[str] = mapped_column(String(20), ForeignKey("stocks.symbol", ondelete="CASCADE", onupdate="CASCADE"))
    expiration_date: Mapped[dt.date] = mapped_column(Date)
    option_type: Mapped[str] = mapped_column(String(4))
    strike_price: Mapped[float] = mapped_column(Float)
    contract_symbol: Mapped[str | None] = mapped_column(String(40))
    bid: Mapped[float | None] = mapped_column(Float)
    ask: Mapped[float | None] = mapped_column(Float)
    last: Mapped[float | None] = mapped_column(Float)
    mid: Mapped[float | None] = mapped_column(Float)
    premium: Mapped[float | None] = mapped_column(Float)  # mid x contract_size: money per contract
    volume: Mapped[int | None] = mapped_column(BigInteger)
    open_interest: Mapped[int | None] = mapped_column(BigInteger)
    implied_volatility: Mapped[float | None] = mapped_column(Float)  # solved from the mid: feeds every greek
    iv_source: Mapped[str | None] = mapped_column(String(10))  # 'solved' (older rows may say 'provider')
    vendor_iv: Mapped[float | None] = mapped_column(Float)  # the provider's own IV: shown, never used
    delta: Mapped[float | None] = mapped_column(Float)
    gamma: Mapped[float | None] = mapped_column(Float)
    theta: Mapped[float | None] = mapped_column(Float)
    vega: Mapped[float | None] = mapped_column(Float)
    underlying_price: Mapped[float | None] = mapped_column(Float)
    last_trade_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    quote_time: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    quality_flag: Mapped[str | None] = mapped_column(String(30))
    # Shares per contract as the provider listed it (100 for US equity options; the lot size on NSE, which is
    # revised per expiry). Premium, intrinsic, capital and returns are all per contract of this size.
    contract_size: Mapped[int] = mapped_column(Integer, default=100, server_default=text("100"))
    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=text("CURRENT_TIMESTAMP")
    )


class SymbolDailyHistory(Base):
    """One row per symbol and trading day: the close and the volatility summary, for IV rank and charts."""

    __tablename__ = "symbol_daily_history"
    __table_args__ = (UniqueConstraint("symbol", "date", name="uq_symbol_daily_history_symbol_date"),)

    id: Mapped[intpk]
    symbol: Mapped[str] = mapped_column(String(20))
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    close: Mapped[float | None] = mapped_column(Float)
    iv30: Mapped[float | None] = mapped_column(Float)
    atm_put_mid_30d: Mapped[float | None] = mapped_column(Float)
    atm_call_mid_30d: Mapped[float | None] = mapped_column(Float)
    contracts: Mapped[int | None] = mapped_column(Integer)
    total_volume: Mapped[int | None] = mapped_column(BigInteger)
    total_open_interest: Mapped[int | None] = mapped_column(BigInteger)
    fetched_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class QuarantineCount(Base):
    """How many rows of one symbol's sync were kept out of rankings, by reason (DESIGN section 4)."""

    __tablename__ = "quarantine_counts"
    __table_args__ = (Index("idx_quarantine_symbol_time", "symbol", "recorded_at"),)

    id: Mapped[intpk]
    symbol: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(30), index=True)
    count: Mapped[int] = mapped_column(Integer)
    job_item_id: Mapped[int | None] = mapped_column(ForeignKey("job_items.id", ondelete="SET NULL"), index=True)
    recorded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class TvWatchlist(Timestamps, Base):
    """A TradingView-style watchlist (exchange-qualified symbols), kept in step with FluxScan `watchlists`."""

    __tablename__ = "tv_watchlists"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(20))  # tradingview / manual / csv

    symbols: Mapped[list[TvWatchlistSymbol]] = relationship(
        back_populates="watchlist", passive_deletes=True, order_by="TvWatchlistSymbol.position"
    )


class TvWatchlistSymbol(CreatedAt, Base):
    """One symbol of a TradingView watchlist; the many-to-many link between stocks and watchlists."""

    __tablename__ = "tv_watchlist_symbols"
    __table_args__ = (UniqueConstraint("watchlist_id", "symbol", name="uq_tv_watchlist_symbols_entry"),)

    id: Mapped[intpk]
    watchlist_id: Mapped[int] = mapped_column(ForeignKey("tv_watchlists.id", ondelete="CASCADE"), index=True)
    symbol: Mapped[str] = mapped_column(String(20), index=True)
    exchange: Mapped[str | None] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))

    watchlist: Mapped[TvWatchlist] = relationship(back_populates="symbols")


# One TradingView list per name, whatever the case (it mirrors `watchlists`, which refuses case variants too).
Index("uq_tv_watchlists_name_lower", func.lower(TvWatchlist.name), unique=True)

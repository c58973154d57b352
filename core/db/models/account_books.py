"""What a broker account holds beyond the seed's tables: its funds and its trades (our additions, migration 0004).

AlgoMirror kept funds and trades as JSON blobs on the account row; here they are rows a query can sum and
filter. `account_funds` is one snapshot per account, replaced by every sync. `trades` are fills as the broker's
tradebook reports them: OpenAlgo gives no trade id, so a sync replaces an account's trades of the days its
tradebook covers (a re-sync duplicates nothing, and older days are kept).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, Integer, String, func
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, intpk, utcnow

__all__ = ["AccountFunds", "Trade"]

_ACCOUNT_ID = "trading_accounts.id"


class AccountFunds(Base):
    """An account's cash and margin as of its last sync (OpenAlgo `funds`), one row per account."""

    __tablename__ = "account_funds"

    account_id: Mapped[int] = mapped_column(ForeignKey(_ACCOUNT_ID, ondelete="CASCADE"), primary_key=True)
    available_cash: Mapped[float | None] = mapped_column(Float)
    collateral: Mapped[float | None] = mapped_column(Float)
    used_margin: Mapped[float | None] = mapped_column(Float)  # OpenAlgo's `utiliseddebits`
    realized_pnl: Mapped[float | None] = mapped_column(Float)  # `m2mrealized`
    unrealized_pnl: Mapped[float | None] = mapped_column(Float)  # `m2munrealized`
    updated_at: Mapped[dt.datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.current_timestamp()
    )


class Trade(Base):
    """One fill of an order, as the broker's tradebook reported it."""

    __tablename__ = "trades"
    __table_args__ = (
        Index("idx_trades_account_date", "account_id", "trade_date"),
        Index("idx_trades_order_id", "order_id"),
    )

    id: Mapped[intpk]
    account_id: Mapped[int] = mapped_column(ForeignKey(_ACCOUNT_ID, ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(String(50))
    symbol: Mapped[str] = mapped_column(String(50))
    exchange: Mapped[str] = mapped_column(String(10))
    product: Mapped[str | None] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(10))  # BUY / SELL
    quantity: Mapped[int] = mapped_column(Integer)
    average_price: Mapped[float | None] = mapped_column(Float)
    trade_value: Mapped[float | None] = mapped_column(Float)
    traded_at: Mapped[dt.datetime | None]
    trade_date: Mapped[dt.date]  # the exchange's calendar day of the fill
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.current_timestamp())

"""What a broker account holds beyond the seed's tables: its funds and its trades (our additions, migration 0004).

AlgoMirror kept funds and trades as JSON blobs on the account row; here they are rows a query can sum and
filter. `account_funds` is one snapshot per account, replaced by every sync. `trades` are fills as the broker's
tradebook reports them: OpenAlgo gives no trade id, so a sync replaces an account's trades of the days its
tradebook covers (a re-sync duplicates nothing, and older days are kept). Trades imported from a broker's CSV
history (`source='import'`, migration 0014) carry `import_key`, a natural key per file row unique per account, so
importing a file twice adds nothing; a sync never touches them. `fees` is what the broker charged for the fill
(commissions and fees), NULL when not reported (OpenAlgo's tradebook reports none).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Float, ForeignKey, Index, Integer, String, func, text
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
        Index("uq_trades_account_import_key", "account_id", "import_key", unique=True),
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
    fees: Mapped[float | None] = mapped_column(Float)  # commissions and fees of the fill; NULL: not reported
    # 'openalgo' (a sync) or 'import' (a broker's CSV history; option quantities in contracts, as the file says)
    source: Mapped[str] = mapped_column(String(10), default="openalgo", server_default=text("'openalgo'"))
    import_key: Mapped[str | None] = mapped_column(String(64))  # an imported row's natural key (NULL when synced)
    fetched_at: Mapped[dt.datetime] = mapped_column(default=utcnow, server_default=func.current_timestamp())

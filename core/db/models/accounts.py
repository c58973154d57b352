"""AlgoMirror account tables: users, broker accounts, their orders/positions/holdings, strategies, links.

Money and prices are `Float` (double precision), as in the seed's models, not the seed SQL's DECIMAL(10,2):
market prices are floats everywhere else in the pipeline (providers, NumPy pricing, premiums), and
DECIMAL(10,2) would silently round option prices and P&L percentages to two places.

Foreign-key actions are the seed's: deleting a user deletes their accounts, and deleting an account deletes
its orders, positions, holdings, deployments and websocket connections; activity logs and failover events
outlive what they mention (SET NULL). One-to-many relationships use `passive_deletes=True` so the ORM leaves
those deletes to the database instead of loading every child first.

Columns with a documented default also get a `server_default`, so raw SQL inserts get them too; defaulted
booleans, counters and event timestamps are NOT NULL (a NULL `is_active` means nothing).

The seed's `check_valid_broker` (broker IN ('Zerodha', 'Upstox', ...)) is deliberately left out: a closed
broker list is wrong for an open product, and new brokers would need a migration.

Our additions (migration 0004, docs/accounts.md): health and sync columns on `trading_accounts` (last_ping,
failed_pings, last_sync, last_error) and `backup_of_id` (SET NULL) for failover order; `source` on positions and
holdings ('openalgo' or 'import'); orders unique per (account, order_id); `holdings.average_price` nullable.

Index renames (PostgreSQL index names are unique per schema, and the seed reuses names across tables):
    trading_accounts:      idx_user_id -> idx_trading_accounts_user_id, idx_is_primary ->
                           idx_trading_accounts_is_primary, idx_is_active -> idx_trading_accounts_is_active
    orders:                idx_account_id/idx_order_id/idx_symbol/idx_status/idx_placed_at ->
                           idx_orders_account_id/_order_id/_symbol/_status/_placed_at
    positions:             idx_account_id/idx_symbol -> idx_positions_account_id/_symbol
    holdings:              idx_account_id/idx_symbol -> idx_holdings_account_id/_symbol
    activity_logs:         idx_user_id/idx_action/idx_timestamp ->
                           idx_activity_logs_user_id/_action/_timestamp
    strategy_deployments:  idx_strategy_id/idx_account_id/idx_status ->
                           idx_strategy_deployments_strategy_id/_account_id/_status
    websocket_connections: idx_account_id/idx_status -> idx_websocket_connections_account_id/_status
    failover_events:       idx_timestamp -> idx_failover_events_timestamp
Kept as in the seed (already unique): idx_username, idx_email, idx_user_timestamp, idx_action_timestamp,
idx_activity_user_action, idx_orders_account_status, idx_positions_account_symbol, idx_accounts_user_primary.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
    func,
    text,
    true,
)
from sqlalchemy.orm import Mapped, WriteOnlyMapped, mapped_column, relationship
from sqlalchemy.sql.elements import conv

from core.db.base import Base, Timestamps, intpk, utcnow

__all__ = [
    "ActivityLog",
    "FailoverEvent",
    "Holding",
    "Order",
    "Position",
    "Strategy",
    "StrategyDeployment",
    "TradingAccount",
    "User",
    "WebSocketConnection",
]

_ACCOUNT_ID = "trading_accounts.id"
# Deletes that the database cascades: the ORM deletes children it has loaded and leaves the rest to the DB.
_DB_CASCADE = {"cascade": "all, delete-orphan", "passive_deletes": True}


def _now_column() -> Mapped[dt.datetime]:
    """An event time that defaults to now, in Python and on the server."""
    return mapped_column(default=utcnow, server_default=func.current_timestamp())


def _source_column() -> Mapped[str]:
    """Where a position or holding came from: 'openalgo' (a sync) or 'import' (a broker's CSV export)."""
    return mapped_column(String(10), default="openalgo", server_default=text("'openalgo'"))


def _updated_column() -> Mapped[dt.datetime]:
    """`updated_at` for tables without `created_at`: set on insert, moved on every ORM update."""
    return mapped_column(default=utcnow, onupdate=utcnow, server_default=func.current_timestamp())


class User(Timestamps, Base):
    """A person who signs in. Only the password hash is stored (argon2id, core.auth.passwords)."""

    __tablename__ = "users"
    __table_args__ = (
        Index("idx_username", "username"),
        Index("idx_email", "email"),
        CheckConstraint("role IN ('viewer', 'trader', 'admin')", name="role"),
    )

    id: Mapped[intpk]
    username: Mapped[str] = mapped_column(String(80), unique=True)
    # Nullable, unlike the seed: `python -m core users create` takes no email (DESIGN section 8), and an
    # invented placeholder could be claimed by a single-sign-on identity. Stored lower-case; NULLs never collide.
    email: Mapped[str | None] = mapped_column(String(120), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    is_admin: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Our addition (DESIGN section 10): what the user may do, enforced in core functions. `is_admin` is kept
    # for seed compatibility and stays equal to role == 'admin'.
    role: Mapped[str] = mapped_column(String(10), default="viewer", server_default=text("'viewer'"))
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    last_login: Mapped[dt.datetime | None]

    trading_accounts: Mapped[list[TradingAccount]] = relationship(back_populates="user", **_DB_CASCADE)
    # Unbounded audit trail: never loaded whole; query it, or append through the write-only collection.
    activity_logs: WriteOnlyMapped[ActivityLog] = relationship(back_populates="user", passive_deletes=True)


# `Alice` and `alice` are one user: the database refuses the second even if a writer forgets to check.
Index("uq_users_username_lower", func.lower(User.username), unique=True)


class TradingAccount(Timestamps, Base):
    """A broker account reached through an OpenAlgo host; one per user may be primary."""

    __tablename__ = "trading_accounts"
    __table_args__ = (
        UniqueConstraint("user_id", "account_name", name="unique_user_account"),
        CheckConstraint("length(account_name) >= 3", name=conv("check_account_name_length")),
        Index("idx_trading_accounts_user_id", "user_id"),
        Index("idx_trading_accounts_is_primary", "is_primary"),
        Index("idx_trading_accounts_is_active", "is_active"),
        Index("idx_accounts_user_primary", "user_id", "is_primary", postgresql_include=["account_name", "broker"]),
        Index("idx_trading_accounts_backup_of_id", "backup_of_id"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    account_name: Mapped[str] = mapped_column(String(100))
    broker: Mapped[str] = mapped_column(String(50))  # free text: no closed broker list (see module doc)
    # Ciphertext only (encrypted with a rotatable key elsewhere): plaintext is never stored, shown or logged.
    api_key_encrypted: Mapped[str | None] = mapped_column(Text)
    host_url: Mapped[str | None] = mapped_column(
        String(200), default="http://127.0.0.1:5000", server_default=text("'http://127.0.0.1:5000'")
    )
    websocket_url: Mapped[str | None] = mapped_column(
        String(200), default="ws://127.0.0.1:8765", server_default=text("'ws://127.0.0.1:8765'")
    )
    is_primary: Mapped[bool] = mapped_column(default=False, server_default=false())
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())
    last_connected: Mapped[dt.datetime | None]  # the last successful ping
    # 'disconnected' (never pinged), 'up' or 'down' (after N failed pings in a row; docs/accounts.md)
    connection_status: Mapped[str | None] = mapped_column(
        String(20), default="disconnected", server_default=text("'disconnected'")
    )
    # Our additions (migration 0004): health, sync bookkeeping and failover order.
    last_ping: Mapped[dt.datetime | None]
    failed_pings: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_sync: Mapped[dt.datetime | None]  # the last sync that succeeded
    last_error: Mapped[str | None] = mapped_column(Text)  # one line, never the key; cleared by a success
    backup_of_id: Mapped[int | None] = mapped_column(ForeignKey(_ACCOUNT_ID, ondelete="SET NULL"))

    user: Mapped[User] = relationship(back_populates="trading_accounts")
    # Unbounded history: never loaded whole (the seed's lazy='dynamic', in SQLAlchemy 2 form).
    orders: WriteOnlyMapped[Order] = relationship(back_populates="account", **_DB_CASCADE)
    positions: Mapped[list[Position]] = relationship(back_populates="account", **_DB_CASCADE)
    holdings: Mapped[list[Holding]] = relationship(back_populates="account", **_DB_CASCADE)
    deployments: Mapped[list[StrategyDeployment]] = relationship(back_populates="account", **_DB_CASCADE)
    websocket_connections: Mapped[list[WebSocketConnection]] = relationship(back_populates="account", **_DB_CASCADE)
    failovers_from: Mapped[list[FailoverEvent]] = relationship(
        back_populates="from_account", foreign_keys="FailoverEvent.from_account_id", passive_deletes=True
    )
    failovers_to: Mapped[list[FailoverEvent]] = relationship(
        back_populates="to_account", foreign_keys="FailoverEvent.to_account_id", passive_deletes=True
    )


class Order(Base):
    """An order placed through an account, as the broker reported it."""

    __tablename__ = "orders"
    __table_args__ = (
        Index("idx_orders_account_id", "account_id"),
        Index("idx_orders_order_id", "order_id"),
        Index("idx_orders_symbol", "symbol"),
        Index("idx_orders_status", "status"),
        Index("idx_orders_placed_at", "placed_at"),
        Index("idx_orders_account_status", "account_id", "status"),
        # Ours: a broker's order id is unique within its account, so a re-sync updates instead of duplicating.
        UniqueConstraint("account_id", "order_id"),
    )

    id: Mapped[intpk]
    account_id: Mapped[int] = mapped_column(ForeignKey(_ACCOUNT_ID, ondelete="CASCADE"))
    order_id: Mapped[str] = mapped_column(String(50))  # the broker's id
    symbol: Mapped[str] = mapped_column(String(50))
    exchange: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(String(10))  # BUY / SELL
    quantity: Mapped[int] = mapped_column(Integer)
    order_type: Mapped[str] = mapped_column(String(20))  # MARKET / LIMIT / SL / SLM
    price: Mapped[float | None] = mapped_column(Float)
    trigger_price: Mapped[float | None] = mapped_column(Float)
    product: Mapped[str | None] = mapped_column(String(10))  # MIS / CNC / NRML
    status: Mapped[str] = mapped_column(String(20))  # PENDING / EXECUTED / CANCELLED / REJECTED
    filled_quantity: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    average_price: Mapped[float | None] = mapped_column(Float)
    placed_at: Mapped[dt.datetime] = _now_column()
    executed_at: Mapped[dt.datetime | None]

    account: Mapped[TradingAccount] = relationship(back_populates="orders")


class Position(Base):
    """An open intraday or carry-forward position, one per account, symbol and product."""

    __tablename__ = "positions"
    __table_args__ = (
        # `product` is nullable and NULLs are distinct in a unique key: one NULL-product row per symbol is
        # the writer's job, not this constraint's.
        UniqueConstraint("account_id", "symbol", "product", name="unique_position"),
        Index("idx_positions_account_id", "account_id"),
        Index("idx_positions_symbol", "symbol"),
        Index("idx_positions_account_symbol", "account_id", "symbol"),
    )

    id: Mapped[intpk]
    account_id: Mapped[int] = mapped_column(ForeignKey(_ACCOUNT_ID, ondelete="CASCADE"))
    symbol: Mapped[str] = mapped_column(String(50))
    exchange: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[int] = mapped_column(Integer)
    product: Mapped[str | None] = mapped_column(String(10))
    average_price: Mapped[float] = mapped_column(Float)
    current_price: Mapped[float | None] = mapped_column(Float)
    pnl: Mapped[float | None] = mapped_column(Float)
    pnl_percent: Mapped[float | None] = mapped_column(Float)
    day_change: Mapped[float | None] = mapped_column(Float)
    day_change_percent: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[dt.datetime] = _updated_column()
    source: Mapped[str] = _source_column()

    account: Mapped[TradingAccount] = relationship(back_populates="positions")


class Holding(Base):
    """A delivery holding in an account's demat, one per account and symbol."""

    __tablename__ = "holdings"
    __table_args__ = (
        UniqueConstraint("account_id", "symbol", name="unique_holding"),
        Index("idx_holdings_account_id", "account_id"),
        Index("idx_holdings_symbol", "symbol"),
    )

    id: Mapped[intpk]
    account_id: Mapped[int] = mapped_column(ForeignKey(_ACCOUNT_ID, ondelete="CASCADE"))
    symbol: Mapped[str] = mapped_column(String(50))
    exchange: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[int] = mapped_column(Integer)
    # Nullable, unlike the seed: several OpenAlgo brokers report holdings without an average price (only P&L).
    average_price: Mapped[float | None] = mapped_column(Float)
    current_price: Mapped[float | None] = mapped_column(Float)
    pnl: Mapped[float | None] = mapped_column(Float)
    pnl_percent: Mapped[float | None] = mapped_column(Float)
    invested_value: Mapped[float | None] = mapped_column(Float)
    current_value: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[dt.datetime] = _updated_column()
    source: Mapped[str] = _source_column()

    account: Mapped[TradingAccount] = relationship(back_populates="holdings")


class ActivityLog(Base):
    """An audit line: who did what to what, from where. Kept (user_id NULL) after the user is deleted."""

    __tablename__ = "activity_logs"
    __table_args__ = (
        Index("idx_activity_logs_user_id", "user_id"),
        Index("idx_activity_logs_action", "action"),
        Index("idx_activity_logs_timestamp", "timestamp"),
        Index("idx_user_timestamp", "user_id", "timestamp"),
        Index("idx_action_timestamp", "action", "timestamp"),
        Index("idx_activity_user_action", "user_id", "action"),
    )

    id: Mapped[intpk]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Ours, not the seed's: the name as it was (kept when the user is deleted or renamed; the attempted name of
    # a failed sign-in; `cli` for the command line's local operator) and what the action was done to.
    username: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(100))
    target: Mapped[str | None] = mapped_column(String(200))
    details: Mapped[str | None] = mapped_column(Text)
    ip_address: Mapped[str | None] = mapped_column(String(45))  # 45 fits an IPv6 address
    user_agent: Mapped[str | None] = mapped_column(String(200))
    timestamp: Mapped[dt.datetime] = _now_column()

    user: Mapped[User | None] = relationship(back_populates="activity_logs")


class Strategy(Timestamps, Base):
    """A named trading strategy that can be deployed to accounts."""

    __tablename__ = "strategies"

    id: Mapped[intpk]
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str | None] = mapped_column(Text)
    strategy_type: Mapped[str | None] = mapped_column(String(50))  # momentum / mean_reversion / arbitrage
    is_active: Mapped[bool] = mapped_column(default=True, server_default=true())

    deployments: Mapped[list[StrategyDeployment]] = relationship(back_populates="strategy", **_DB_CASCADE)


class StrategyDeployment(Base):
    """A strategy running on one account with its capital and limits."""

    __tablename__ = "strategy_deployments"
    __table_args__ = (
        Index("idx_strategy_deployments_strategy_id", "strategy_id"),
        Index("idx_strategy_deployments_account_id", "account_id"),
        Index("idx_strategy_deployments_status", "status"),
    )

    id: Mapped[intpk]
    strategy_id: Mapped[int] = mapped_column(ForeignKey("strategies.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey(_ACCOUNT_ID, ondelete="CASCADE"))
    capital_allocated: Mapped[float | None] = mapped_column(Float)
    max_positions: Mapped[int] = mapped_column(Integer, default=5, server_default=text("5"))
    status: Mapped[str | None] = mapped_column(  # active / inactive / paused
        String(20), default="inactive", server_default=text("'inactive'")
    )
    started_at: Mapped[dt.datetime | None]
    stopped_at: Mapped[dt.datetime | None]
    total_pnl: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))

    strategy: Mapped[Strategy] = relationship(back_populates="deployments")
    account: Mapped[TradingAccount] = relationship(back_populates="deployments")


class WebSocketConnection(Base):
    """One market-data websocket session of an account, with its heartbeat."""

    __tablename__ = "websocket_connections"
    __table_args__ = (
        Index("idx_websocket_connections_account_id", "account_id"),
        Index("idx_websocket_connections_status", "status"),
    )

    id: Mapped[intpk]
    account_id: Mapped[int] = mapped_column(ForeignKey(_ACCOUNT_ID, ondelete="CASCADE"))
    connection_id: Mapped[str | None] = mapped_column(String(100), unique=True)
    status: Mapped[str | None] = mapped_column(
        String(20), default="disconnected", server_default=text("'disconnected'")
    )
    connected_at: Mapped[dt.datetime | None]
    disconnected_at: Mapped[dt.datetime | None]
    messages_received: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_heartbeat: Mapped[dt.datetime | None]

    account: Mapped[TradingAccount] = relationship(back_populates="websocket_connections")


class FailoverEvent(Base):
    """A switch of the data feed from one account to another; kept after either account is deleted."""

    __tablename__ = "failover_events"
    __table_args__ = (
        Index("idx_failover_events_timestamp", "timestamp"),
        # Not in the seed: without them, deleting an account scans the whole table to apply SET NULL.
        Index("idx_failover_events_from_account_id", "from_account_id"),
        Index("idx_failover_events_to_account_id", "to_account_id"),
    )

    id: Mapped[intpk]
    from_account_id: Mapped[int | None] = mapped_column(ForeignKey(_ACCOUNT_ID, ondelete="SET NULL"))
    to_account_id: Mapped[int | None] = mapped_column(ForeignKey(_ACCOUNT_ID, ondelete="SET NULL"))
    reason: Mapped[str | None] = mapped_column(String(100))
    timestamp: Mapped[dt.datetime] = _now_column()
    success: Mapped[bool] = mapped_column(default=True, server_default=true())
    error_message: Mapped[str | None] = mapped_column(Text)

    from_account: Mapped[TradingAccount | None] = relationship(
        back_populates="failovers_from", foreign_keys=[from_account_id]
    )
    to_account: Mapped[TradingAccount | None] = relationship(
        back_populates="failovers_to", foreign_keys=[to_account_id]
    )


# One user cannot hold "Main" and "main" as two accounts; strategy names ignore case too.
Index(
    "uq_trading_accounts_user_name_lower", TradingAccount.user_id, func.lower(TradingAccount.account_name), unique=True
)
Index("uq_strategies_name_lower", func.lower(Strategy.name), unique=True)

"""Writing what a sync or an import read into the account tables, in the caller's session (never commits).

Each write is a full snapshot of its source: positions and holdings of the account from that source that the
new snapshot lacks are deleted (closed at the broker, gone here), the rest are updated in place (ids stay stable
for the wheel) or inserted. Orders are upserted by the broker's order id; synced trades of the days the tradebook
covers are replaced (OpenAlgo gives trades no id); imported trades (core.accounts.trades_import) are kept. A
re-run with the same book changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.accounts.errors import InvalidReply
from core.accounts.records import AccountBook, Funds, HoldingRecord, PositionRecord, TradeRecord
from core.accounts.values import exchange_date, exchange_zone
from core.db.base import utcnow
from core.db.models import AccountFunds, Holding, Order, Position, Trade

SOURCES = ("openalgo", "import")


@dataclass(frozen=True)
class WriteCounts:
    positions: int = 0
    holdings: int = 0
    orders: int = 0
    trades: int = 0
    removed_positions: int = 0
    removed_holdings: int = 0


def store_book(session: Session, account_id: int, book: AccountBook) -> WriteCounts:
    """Store a whole OpenAlgo book for an account."""
    store_funds(session, account_id, book.funds)
    positions, removed_positions = replace_positions(session, account_id, book.positions, source="openalgo")
    holdings, removed_holdings = replace_holdings(session, account_id, book.holdings, source="openalgo")
    orders = _upsert_orders(session, account_id, book)
    trades = _replace_trades(session, account_id, book)
    return WriteCounts(positions, holdings, orders, trades, removed_positions, removed_holdings)


def store_funds(session: Session, account_id: int, funds: Funds) -> None:
    row = session.get(AccountFunds, account_id) or AccountFunds(account_id=account_id)
    row.available_cash = funds.available_cash
    row.collateral = funds.collateral
    row.used_margin = funds.used_margin
    row.realized_pnl = funds.realized_pnl
    row.unrealized_pnl = funds.unrealized_pnl
    row.updated_at = utcnow()
    session.add(row)


def replace_positions(
    session: Session, account_id: int, records: list[PositionRecord], *, source: str
) -> tuple[int, int]:
    """Make the account's `source` positions equal `records`; returns (written, removed)."""
    existing = {
        (p.symbol, p.product): p for p in session.scalars(select(Position).where(Position.account_id == account_id))
    }
    seen: set[tuple[str, str | None]] = set()
    for record in records:
        key = (record.symbol, record.product)  # the table's unique key (account, symbol, product)
        seen.add(key)
        row = existing.get(key) or Position(account_id=account_id, symbol=record.symbol, product=record.product)
        if record.average_price is None and record.quantity != 0:
            raise InvalidReply(f"position {record.symbol} has no average price")
        row.exchange = record.exchange
        row.quantity = record.quantity
        row.average_price = record.average_price or 0.0
        row.current_price = record.ltp
        row.pnl = record.pnl
        cost = abs(record.quantity) * (record.average_price or 0.0)
        row.pnl_percent = round(record.pnl / cost * 100, 4) if record.pnl is not None and cost else None
        row.source = source
        row.updated_at = utcnow()
        session.add(row)
    removed = [row for key, row in existing.items() if key not in seen and row.source == source]
    for row in removed:
        session.delete(row)
    session.flush()
    return len(seen), len(removed)


def replace_holdings(
    session: Session, account_id: int, records: list[HoldingRecord], *, source: str
) -> tuple[int, int]:
    """Make the account's `source` holdings equal `records`; returns (written, removed)."""
    existing = {h.symbol: h for h in session.scalars(select(Holding).where(Holding.account_id == account_id))}
    seen: set[str] = set()
    for record in records:
        seen.add(record.symbol)
        row = existing.get(record.symbol) or Holding(account_id=account_id, symbol=record.symbol)
        row.exchange = record.exchange
        row.quantity = record.quantity
        row.average_price = record.average_price
        row.current_price = record.ltp
        row.pnl = record.pnl
        row.pnl_percent = record.pnl_percent
        invested = record.average_price * record.quantity if record.average_price is not None else None
        row.invested_value = invested
        if record.ltp is not None:
            row.current_value = record.ltp * record.quantity
        else:
            row.current_value = invested + record.pnl if invested is not None and record.pnl is not None else None
        row.source = source
        row.updated_at = utcnow()
        session.add(row)
    removed = [row for symbol, row in existing.items() if symbol not in seen and row.source == source]
    for row in removed:
        session.delete(row)
    session.flush()
    return len(seen), len(removed)


def _upsert_orders(session: Session, account_id: int, book: AccountBook) -> int:
    fills: dict[str, list[TradeRecord]] = defaultdict(list)
    for trade in book.trades:
        fills[trade.order_id].append(trade)
    ids = [o.order_id for o in book.orders]
    existing = {
        o.order_id: o
        for o in session.scalars(select(Order).where(Order.account_id == account_id, Order.order_id.in_(ids)))
    }
    for record in book.orders:
        row = existing.get(record.order_id) or Order(account_id=account_id, order_id=record.order_id)
        existing[record.order_id] = row
        row.symbol, row.exchange, row.action = record.symbol, record.exchange, record.action
        row.quantity, row.order_type, row.product = record.quantity, record.order_type, record.product
        row.price, row.trigger_price, row.status = record.price, record.trigger_price, record.status
        if record.placed_at is not None:
            row.placed_at = record.placed_at
        trades = fills.get(record.order_id, [])
        row.filled_quantity = sum(t.quantity for t in trades)
        value = sum(t.quantity * t.average_price for t in trades if t.average_price is not None)
        row.average_price = value / row.filled_quantity if row.filled_quantity and value else None
        times = [t.traded_at for t in trades if t.traded_at is not None]
        row.executed_at = max(times) if times else None
        session.add(row)
    session.flush()
    return len(existing)


def _replace_trades(session: Session, account_id: int, book: AccountBook) -> int:
    # Today's book replaces today's stored trades (and any day it reports), so a re-sync duplicates nothing.
    days = {exchange_date(t.traded_at, t.exchange) for t in book.trades}
    exchanges = {r.exchange for r in [*book.orders, *book.positions, *book.trades]} or {"US"}
    days |= {dt.datetime.now(exchange_zone(e)).date() for e in exchanges}
    # (imported history rows, source 'import', are the user's record and are never replaced by a sync)
    session.execute(
        delete(Trade).where(Trade.account_id == account_id, Trade.source == "openalgo", Trade.trade_date.in_(days))
    )
    for record in book.trades:
        session.add(
            Trade(
                account_id=account_id,
                order_id=record.order_id,
                symbol=record.symbol,
                exchange=record.exchange,
                product=record.product,
                action=record.action,
                quantity=record.quantity,
                average_price=record.average_price,
                trade_value=record.trade_value,
                traded_at=record.traded_at,
                trade_date=exchange_date(record.traded_at, record.exchange),
            )
        )
    session.flush()
    return len(book.trades)

"""What one sync reads from a broker account: plain frozen records with numbers already parsed."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Funds:
    available_cash: float | None
    collateral: float | None
    used_margin: float | None
    realized_pnl: float | None
    unrealized_pnl: float | None


@dataclass(frozen=True)
class PositionRecord:
    symbol: str
    exchange: str
    product: str | None
    quantity: int  # signed: negative is short; 0 is closed today (kept for its realised P&L)
    average_price: float | None
    ltp: float | None
    pnl: float | None

    @property
    def key(self) -> tuple[str, str, str | None]:
        return (self.symbol, self.exchange, self.product)


@dataclass(frozen=True)
class HoldingRecord:
    symbol: str
    exchange: str
    product: str | None
    quantity: int
    average_price: float | None
    ltp: float | None
    pnl: float | None
    pnl_percent: float | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.symbol, self.exchange)


@dataclass(frozen=True)
class OrderRecord:
    order_id: str
    symbol: str
    exchange: str
    action: str
    quantity: int
    order_type: str
    price: float | None
    trigger_price: float | None
    product: str | None
    status: str
    placed_at: dt.datetime | None


@dataclass(frozen=True)
class TradeRecord:
    order_id: str
    symbol: str
    exchange: str
    product: str | None
    action: str
    quantity: int
    average_price: float | None
    trade_value: float | None
    traded_at: dt.datetime | None


@dataclass(frozen=True)
class AccountBook:
    """Everything a sync stores for one account, fetched in one pass."""

    funds: Funds
    positions: list[PositionRecord] = field(default_factory=list)
    holdings: list[HoldingRecord] = field(default_factory=list)
    orders: list[OrderRecord] = field(default_factory=list)
    trades: list[TradeRecord] = field(default_factory=list)

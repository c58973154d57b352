"""What the Accounts page shows of some accounts' books, read in the caller's session: funds, holdings,
positions (options broken into underlying, type, strike, expiry and DTE), today's orders and trades, and failover
history. DataFrames with one row per thing and an `account` column, so the page shows one account or all of them
from the same frames; `totals` adds the funds up.

DTE is computed here from today on the position's exchange (New York, or Kolkata for Indian exchanges), never
stored: a stored DTE would be wrong tomorrow. "Today's" orders and trades are those of the exchange's today.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.accounts.instruments import parse_option_symbol
from core.accounts.values import exchange_date, exchange_zone
from core.db.models import AccountFunds, FailoverEvent, Holding, Order, Position, Trade, TradingAccount

FUNDS_COLUMNS = ["account", "available_cash", "used_margin", "realized_pnl", "unrealized_pnl", "updated"]
HOLDINGS_COLUMNS = ["account", "symbol", "exchange", "quantity", "average_price", "last_price", "priced",
                    "current_value", "pnl", "pnl_percent", "source"]  # fmt: skip
POSITIONS_COLUMNS = ["account", "symbol", "underlying", "type", "strike", "expiry", "dte", "expired", "quantity",
                     "average_price", "last_price", "priced", "pnl", "exchange", "product", "source"]  # fmt: skip
ORDERS_COLUMNS = ["account", "placed", "symbol", "action", "quantity", "order_type", "price", "status", "filled",
                  "average_price"]  # fmt: skip
TRADES_COLUMNS = ["account", "traded", "symbol", "action", "quantity", "average_price", "trade_value"]
FAILOVER_COLUMNS = ["time", "from", "to", "reason", "success", "error"]
TOTALS = ("available_cash", "used_margin", "realized_pnl", "unrealized_pnl")


@dataclass(frozen=True)
class Portfolio:
    """The books of some accounts (see the module docstring); every frame may be empty, never None."""

    funds: pd.DataFrame
    holdings: pd.DataFrame
    positions: pd.DataFrame
    orders: pd.DataFrame
    trades: pd.DataFrame
    failovers: pd.DataFrame

    def totals(self) -> dict[str, float | None]:
        """Funds added up over the accounts (None where no account reports the figure)."""
        return {k: (None if self.funds[k].isna().all() else float(self.funds[k].sum())) for k in TOTALS}


def load_portfolio(session: Session, account_ids: list[int], now: dt.datetime | None = None) -> Portfolio:
    """The books of `account_ids` (the caller has checked the actor may see them), as of `now` (default: now)."""
    now = now or dt.datetime.now(dt.UTC)
    accounts = select(TradingAccount.id, TradingAccount.account_name).where(TradingAccount.id.in_(account_ids))
    names = {account_id: name for account_id, name in session.execute(accounts)}
    return Portfolio(
        funds=_funds(session, names),
        holdings=_holdings(session, names),
        positions=_positions(session, names, now),
        orders=_orders(session, names, now),
        trades=_trades(session, names, now),
        failovers=_failovers(session, names),
    )


def _rows(session: Session, model, names: dict[int, str]):
    order = [model.account_id, model.symbol] if hasattr(model, "symbol") else [model.account_id]
    return session.scalars(select(model).where(model.account_id.in_(names)).order_by(*order)).all()


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns)


def _funds(session: Session, names: dict[int, str]) -> pd.DataFrame:
    rows = [
        {
            "account": names[f.account_id],
            "available_cash": f.available_cash,
            "used_margin": f.used_margin,
            "realized_pnl": f.realized_pnl,
            "unrealized_pnl": f.unrealized_pnl,
            "updated": f.updated_at,
        }
        for f in _rows(session, AccountFunds, names)
    ]
    return _frame(rows, FUNDS_COLUMNS).astype({k: "float64" for k in TOTALS})


def _holdings(session: Session, names: dict[int, str]) -> pd.DataFrame:
    rows = [
        {
            "account": names[h.account_id],
            "symbol": h.symbol,
            "exchange": h.exchange,
            "quantity": h.quantity,
            "average_price": h.average_price,
            "last_price": h.current_price,
            "priced": h.updated_at,  # the last sync, import or live tick that wrote the row
            "current_value": h.current_value
            if h.current_value is not None
            else (h.current_price * h.quantity if h.current_price is not None else None),
            "pnl": h.pnl,
            "pnl_percent": h.pnl_percent,
            "source": h.source,
        }
        for h in _rows(session, Holding, names)
    ]
    return _frame(rows, HOLDINGS_COLUMNS)


def _positions(session: Session, names: dict[int, str], now: dt.datetime) -> pd.DataFrame:
    rows = []
    for p in _rows(session, Position, names):
        contract = parse_option_symbol(p.symbol)
        today = now.astimezone(exchange_zone(p.exchange)).date()
        rows.append(
            {
                "account": names[p.account_id],
                "symbol": p.symbol,
                "underlying": contract.underlying if contract else p.symbol,
                "type": contract.option_type if contract else "stock",
                "strike": contract.strike if contract else None,
                "expiry": contract.expiry if contract else None,
                # an expired option has no days left: blank DTE and `expired`, never a negative count
                "dte": contract.dte(today) if contract and contract.dte(today) >= 0 else None,
                "expired": bool(contract and contract.dte(today) < 0),
                "quantity": p.quantity,
                "average_price": p.average_price,
                "last_price": p.current_price,
                "priced": p.updated_at,
                "pnl": p.pnl,
                "exchange": p.exchange,
                "product": p.product,
                "source": p.source,
            }
        )
    frame = _frame(rows, POSITIONS_COLUMNS)
    return frame.astype({"strike": "float64", "dte": "Int64"})


def _orders(session: Session, names: dict[int, str], now: dt.datetime) -> pd.DataFrame:
    since = now - dt.timedelta(days=2)  # wide enough for any zone's today; the exact day is checked below
    orders = session.scalars(
        select(Order)
        .where(Order.account_id.in_(names), or_(Order.placed_at >= since, Order.executed_at >= since))
        .order_by(Order.placed_at.desc(), Order.id.desc())
    ).all()
    rows = [
        {
            "account": names[o.account_id],
            "placed": o.placed_at,
            "symbol": o.symbol,
            "action": o.action,
            "quantity": o.quantity,
            "order_type": o.order_type,
            "price": o.price,
            "status": o.status,
            "filled": o.filled_quantity,
            "average_price": o.average_price,
        }
        for o in orders
        if exchange_date(o.placed_at, o.exchange) == exchange_date(now, o.exchange)
    ]
    return _frame(rows, ORDERS_COLUMNS)


def _trades(session: Session, names: dict[int, str], now: dt.datetime) -> pd.DataFrame:
    since = (now - dt.timedelta(days=2)).date()
    trades = session.scalars(
        select(Trade)
        .where(Trade.account_id.in_(names), Trade.trade_date >= since)
        .order_by(Trade.traded_at.desc(), Trade.id.desc())
    ).all()
    rows = [
        {
            "account": names[t.account_id],
            "traded": t.traded_at,
            "symbol": t.symbol,
            "action": t.action,
            "quantity": t.quantity,
            "average_price": t.average_price,
            "trade_value": t.trade_value,
        }
        for t in trades
        if t.trade_date == exchange_date(now, t.exchange)
    ]
    return _frame(rows, TRADES_COLUMNS)


def _failovers(session: Session, names: dict[int, str]) -> pd.DataFrame:
    events = session.scalars(
        select(FailoverEvent)
        .where(or_(FailoverEvent.from_account_id.in_(names), FailoverEvent.to_account_id.in_(names)))
        .order_by(FailoverEvent.timestamp.desc(), FailoverEvent.id.desc())
        .limit(200)
    ).all()
    rows = [
        {
            "time": e.timestamp,
            "from": names.get(e.from_account_id, "(removed)"),
            "to": names.get(e.to_account_id, "(removed)") if e.success else "none",
            "reason": e.reason,
            "success": e.success,
            "error": e.error_message,
        }
        for e in events
    ]
    return _frame(rows, FAILOVER_COLUMNS)


__all__ = ["Portfolio", "load_portfolio"]

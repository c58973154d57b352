"""Open short options as the Wheel page and `python -m core positions` show them: the parsed contract, DTE, the
current mid and greeks from our stored chains, P&L, the share of the maximum profit captured, assignment risk (with
the underlying's ex-dividend date for short calls, stocks.ex_dividend_date) and a status (docs/wheel.md explains each).

The quote is the stored chain's row of the same contract (underlying, expiry, type, strike); without one the
broker's last price stands in (`price_source` says which), and greeks are blank.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts.scope import ShortOption
from core.db.models import Stock, StockPremium

COLUMNS = ["position_id", "account", "symbol", "underlying", "option_type", "strike", "expiration_date", "dte",
           "quantity", "contracts", "average_price", "mid", "price_source", "underlying_price", "delta", "gamma",
           "theta", "vega", "iv", "premium_received", "cost_to_close", "pnl", "capture_pct", "in_the_money",
           "assignment_risk", "ex_dividend_date", "ex_dividend_before_expiry", "status", "source"]  # fmt: skip
STATUSES = ("hold", "take profit", "roll", "let expire", "expired")


@dataclass(frozen=True)
class StatusRules:
    """When a short option's status changes (docs/wheel.md): capture in percent, days to expiry."""

    take_profit_pct: float = 50.0  # close once this share of the premium is captured
    roll_within_days: int = 14  # in the money with this few days left: roll (or be assigned)
    expire_within_days: int = 5  # out of the money with this few days left: let it expire


def quote(session: Session, option: ShortOption) -> StockPremium | None:
    """The stored chain's row of this contract, if any (strikes compared to a tenth of a cent)."""
    c = option.contract
    return session.scalar(
        select(StockPremium).where(
            StockPremium.symbol == c.underlying.upper(),
            StockPremium.expiration_date == c.expiry,
            StockPremium.option_type == c.option_type,
            func.abs(StockPremium.strike_price - c.strike) < 0.001,
        )
    )


def assignment_risk(
    in_the_money: bool | None, abs_delta: float | None, dte: int, ex_dividend_before_expiry: bool = False
) -> str:
    """'high' in the money or |delta| >= 0.5; 'medium' at |delta| >= 0.3, or within a week while near (|delta|
    >= 0.2); else 'low'; 'unknown' without a quote. A short call with an ex-dividend date before expiry is one
    level higher (low -> medium -> high): its holder may exercise early to collect the dividend."""
    if in_the_money is None:
        return "unknown"
    if in_the_money or (abs_delta is not None and abs_delta >= 0.5):
        level = "high"
    elif abs_delta is not None and (abs_delta >= 0.3 or (dte <= 7 and abs_delta >= 0.2)):
        level = "medium"
    else:
        level = "low"
    if ex_dividend_before_expiry:
        level = {"low": "medium", "medium": "high"}.get(level, level)
    return level


def ex_dividend_before_expiry(ex_date: dt.date | None, as_of: dt.date, expiry: dt.date) -> bool:
    """An ex-dividend date after the as-of date and on or before expiry (the screen's *Skip ex-dividend* rule)."""
    return ex_date is not None and as_of < ex_date <= expiry


def status(capture_pct: float | None, in_the_money: bool | None, dte: int, rules: StatusRules) -> str:
    """expired (past its expiry: the broker's books or the imported file still list it) > roll (in the money near
    expiry) > let expire (out of the money near expiry) > take profit > hold."""
    if dte < 0:
        return "expired"
    if in_the_money and dte <= rules.roll_within_days:
        return "roll"
    if in_the_money is False and dte <= rules.expire_within_days:
        return "let expire"
    if capture_pct is not None and capture_pct >= rules.take_profit_pct:
        return "take profit"
    return "hold"


def position_row(session: Session, option: ShortOption, as_of: dt.date, rules: StatusRules) -> dict:
    """One short option with its quote, P&L, capture, risk and status."""
    c, row = option.contract, quote(session, option)
    mid = row.mid if row is not None and row.mid and row.mid > 0 else None
    price, source = (mid, "chain") if mid is not None else (option.last_price, "broker" if option.last_price else None)
    spot = row.underlying_price if row is not None else None
    itm = None if spot is None else (spot > c.strike if c.option_type == "call" else spot < c.strike)
    dte = c.dte(as_of)
    received = option.average_price * option.shares
    pnl = None if price is None else (option.average_price - price) * option.shares
    capture = None if price is None or option.average_price <= 0 else (1 - price / option.average_price) * 100
    delta = row.delta if row is not None else None
    ex_date = session.scalar(select(Stock.ex_dividend_date).where(Stock.symbol == c.underlying.upper()))
    ex_div = c.option_type == "call" and ex_dividend_before_expiry(ex_date, as_of, c.expiry)
    abs_delta = None if delta is None else abs(delta)
    return {
        "position_id": option.position_id,
        "account": option.account,
        "symbol": c.symbol,
        "underlying": c.underlying,
        "option_type": c.option_type,
        "strike": c.strike,
        "expiration_date": c.expiry,
        "dte": dte,
        "quantity": option.quantity,
        "contracts": option.contracts,
        "average_price": option.average_price,
        "mid": price,
        "price_source": source,
        "underlying_price": spot,
        "delta": delta,
        "gamma": row.gamma if row is not None else None,
        "theta": row.theta if row is not None else None,
        "vega": row.vega if row is not None else None,
        "iv": row.implied_volatility if row is not None else None,
        "premium_received": received,
        "cost_to_close": None if price is None else price * option.shares,
        "pnl": pnl,
        "capture_pct": capture,
        "in_the_money": itm,
        "assignment_risk": None if dte < 0 else assignment_risk(itm, abs_delta, dte, ex_div),
        "ex_dividend_date": ex_date,
        "ex_dividend_before_expiry": ex_div,
        "status": status(capture, itm, dte, rules),
        "source": option.source,
    }


def positions_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=COLUMNS)
    floats = ["strike", "contracts", "average_price", "mid", "underlying_price", "delta", "gamma", "theta", "vega",
              "iv", "premium_received", "cost_to_close", "pnl", "capture_pct"]  # fmt: skip
    return frame.astype({name: "float64" for name in floats} | {"dte": "Int64"})

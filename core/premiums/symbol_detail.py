"""One contract's symbol in depth: the chain around the money for its expiry, the IV smile, the symbol's IV and
premium history, and the payoff of the trade at expiry (what the Scan Premiums page shows for a selected row).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from core.premiums.screen import DatabaseScanner
from core.premiums.window import describe_window, symbol_window
from core.pricing import metrics
from core.pricing.metrics import CONTRACT_MULTIPLIER

CHAIN_COLUMNS = [
    "option_type",
    "strike",
    "bid",
    "ask",
    "mid",
    "premium",
    "delta",
    "iv",
    "vendor_iv",
    "volume",
    "open_interest",
    "annualized_return",
    "prob_otm",
    "quality_flag",
]
SIDE_COLUMNS = ["bid", "ask", "delta", "iv", "vendor_iv", "volume", "open_interest", "quality_flag"]


@dataclass(frozen=True)
class Trade:
    """The selected contract, as plain values (what the page keeps in session state)."""

    symbol: str
    strategy: str  # csp / cc
    expiration_date: dt.date
    strike: float
    mid: float  # the fill price per share: the mid, or the bid for a conservative fill
    underlying_price: float
    contract_size: int = CONTRACT_MULTIPLIER  # shares per contract: 100 for US equity options, else the lot size

    @property
    def option_type(self) -> str:
        return "put" if self.strategy == "csp" else "call"


@dataclass(frozen=True)
class SymbolDetail:
    trade: Trade
    name: str | None
    chain: pd.DataFrame  # both sides of the selected expiry, strikes nearest the money
    smile: pd.DataFrame  # strike, option_type, iv (fraction): every quoted strike of the expiry with an IV
    history: pd.DataFrame  # date, close, iv30, atm_put_mid_30d, atm_call_mid_30d, ... oldest first
    payoff: pd.DataFrame  # price, pnl (dollars per contract at expiry)
    breakeven: float
    cushion_pct: float
    max_profit: float
    sync_window: str = ""  # which expiries the symbol's last sync asked for, in words


def size_of(premium: float | None, price: float | None) -> int:
    """A screen row's contract size: its premium over the price it was computed from (the screen's premium is
    price x the row's contract_size), 100 when either is missing."""
    if premium is None or price is None or not np.isfinite(premium) or not np.isfinite(price) or price <= 0:
        return CONTRACT_MULTIPLIER
    return max(1, round(premium / price))


def payoff_at_expiry(trade: Trade, prices: np.ndarray) -> np.ndarray:
    """Profit or loss in dollars per contract at expiry, for each underlying price.

    Cash-secured put: keep the premium, pay max(K - S, 0). Covered call: a contract's shares (100, or the lot
    size) bought at today's price plus a short call: (S - S0) + premium - max(S - K, 0).

    >>> trade = Trade("X", "csp", dt.date(2030, 1, 18), 100.0, 2.5, 104.0)
    >>> payoff_at_expiry(trade, np.array([90.0, 97.5, 110.0])).tolist()
    [-750.0, 0.0, 250.0]
    """
    prices = np.asarray(prices, dtype=float)
    if trade.strategy == "csp":
        per_share = trade.mid - np.maximum(trade.strike - prices, 0.0)
    else:
        per_share = prices - trade.underlying_price + trade.mid - np.maximum(prices - trade.strike, 0.0)
    return per_share * trade.contract_size


def payoff_curve(trade: Trade, points: int = 121) -> tuple[pd.DataFrame, float]:
    """price, pnl at expiry from 30 % below the lower of strike and spot to 30 % above the higher; and the
    maximum profit (where the payoff is flat: above the strike for a covered call, anywhere high for a put)."""
    low = min(trade.strike, trade.underlying_price) * 0.7
    high = max(trade.strike, trade.underlying_price) * 1.3
    prices = np.linspace(low, high, points)
    best_case = trade.strike if trade.strategy == "cc" else high
    curve = pd.DataFrame({"price": prices, "pnl": payoff_at_expiry(trade, prices)})
    return curve, float(payoff_at_expiry(trade, np.array([best_case]))[0])


def side_by_side(chain: pd.DataFrame) -> pd.DataFrame:
    """Calls on the left, the strike in the middle, puts on the right: the way a chain is usually read."""
    sides = []
    for kind in ("call", "put"):
        part = chain.loc[chain["option_type"] == kind, ["strike", *SIDE_COLUMNS]].set_index("strike")
        sides.append(part.add_prefix(f"{kind}_"))
    table = sides[0].join(sides[1], how="outer").sort_index().reset_index()
    return table[[*(f"call_{c}" for c in SIDE_COLUMNS), "strike", *(f"put_{c}" for c in SIDE_COLUMNS)]]


def breakeven(trade: Trade) -> float:
    """Where the position's payoff at expiry crosses zero: K - mid (put), S0 - mid (covered call); the one
    definition of core.pricing.metrics, which the screen's SQL (core.premiums.query) mirrors."""
    return float(metrics.breakeven(trade.strike, trade.underlying_price, trade.mid, trade.option_type))


def cushion_pct(trade: Trade) -> float:
    """How far the stock can fall before the trade loses at expiry, in % (core.pricing.metrics)."""
    return float(metrics.cushion_pct(trade.underlying_price, breakeven(trade)))


def symbol_detail(
    session: Session, trade: Trade, as_of: dt.date | None = None, strikes_each_side: int = 8
) -> SymbolDetail:
    """The detail view of `trade` (see the module docstring), read through `DatabaseScanner`."""
    scanner = DatabaseScanner(session)
    full = scanner.contract_chain(trade.symbol, trade.expiration_date, strikes=None, as_of=as_of)
    rankable = full["quality_flag"].isna() & full["iv"].notna()
    smile = full.loc[rankable, ["strike", "option_type", "iv"]].reset_index(drop=True)
    strikes = np.sort(full["strike"].unique())
    if strikes.size:  # the strikes nearest the money, and always the selected one
        centre = int(np.argmin(np.abs(strikes - trade.underlying_price)))
        keep = np.union1d(strikes[max(centre - strikes_each_side, 0) : centre + strikes_each_side + 1], [trade.strike])
        chain = full[full["strike"].isin(keep)].reset_index(drop=True)
    else:
        chain = full
    history = scanner.symbol_history(trade.symbol, as_of=as_of)
    payoff, max_profit = payoff_curve(trade)
    name = full["name"].iloc[0] if len(full) else None
    return SymbolDetail(
        trade,
        name,
        chain[[c for c in CHAIN_COLUMNS if c in chain]],
        smile,
        history,
        payoff,
        breakeven(trade),
        cushion_pct(trade),
        max_profit,
        describe_window(symbol_window(session, trade.symbol)),
    )

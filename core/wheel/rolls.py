"""Roll candidates for an open short option, found by the Scan Premiums query itself (core.premiums.query, with a
`Scope` of one underlying and a strike bound), not by a second implementation.

A roll closes the open contract (buying it back at its current mid) and sells a later one of the same underlying
and type whose strike is the same or further out of the money: the same or higher for a call, the same or lower
for a put. For each candidate (per share; x shares for the position):
- net_credit = the new contract's price (mid, or bid with that price basis) - the old contract's mid; negative
  is a debit;
- credit_kept = the premium received when the old contract was sold + net_credit;
- new_breakeven = new strike - credit_kept for a put; underlying - credit_kept for a call;
- flat_return and the other numbers are the screen's, of the new contract (DESIGN section 4).
Candidates come in the screen's order (flat annualised return, then expiry, then strike).
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd

from core.accounts.scope import ShortOption
from core.premiums.filters import PremiumFilters
from core.premiums.query import Scope
from core.premiums.screen import DatabaseScanner

ROLL_COLUMNS = ["symbol", "contract_symbol", "option_type", "expiration_date", "dte", "strike", "bid", "ask", "mid",
                "net_credit", "net_credit_total", "credit_kept", "new_breakeven", "flat_return",
                "flat_annualized_return", "annualized_return", "delta", "pct_otm", "underlying_price"]  # fmt: skip
MAX_EXTRA_DAYS = 120  # how far past the open contract's expiry to look


def roll_filters(option: ShortOption, as_of: dt.date, *, limit: int = 50, price_basis: str = "mid") -> PremiumFilters:
    """The screen's filters for a roll: the same type, every later expiry up to MAX_EXTRA_DAYS more, any delta."""
    dte = max(option.contract.dte(as_of), 0)
    return PremiumFilters(
        strategy="cc" if option.contract.option_type == "call" else "csp",
        dte=(dte + 1, dte + MAX_EXTRA_DAYS),
        delta=None,
        all_contracts=True,
        as_of=as_of,
        price_basis=price_basis,  # type: ignore[arg-type]
        limit=limit,
    )


def roll_scope(option: ShortOption) -> Scope:
    """One underlying; the strike the same or higher (calls), the same or lower (puts)."""
    c = option.contract
    strike = (c.strike, None) if c.option_type == "call" else (None, c.strike)
    return Scope(symbols=(c.underlying.upper(),), strike=strike)


def roll_candidates(
    scanner: DatabaseScanner, option: ShortOption, close_price: float | None, as_of: dt.date, *, limit: int = 50
) -> pd.DataFrame:
    """The roll candidates of `option`, closing it at `close_price` (its current mid; None: unknown, no net)."""
    filters = roll_filters(option, as_of, limit=limit)
    frame = scanner.best_per_symbol(filters, roll_scope(option))
    price = frame["bid"] if filters.price_basis == "bid" else frame["mid"]
    close = float("nan") if close_price is None else close_price
    out = frame.assign(net_credit=price - close)
    out["net_credit_total"] = out["net_credit"] * option.shares
    out["credit_kept"] = option.average_price + out["net_credit"]
    if option.contract.option_type == "put":
        out["new_breakeven"] = out["strike"] - out["credit_kept"]
    else:
        out["new_breakeven"] = out["underlying_price"] - out["credit_kept"]
    out = out[ROLL_COLUMNS].reset_index(drop=True)
    out.attrs.update(frame.attrs, position=dataclasses.asdict(option.contract))
    return out

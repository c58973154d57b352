"""What a screened contract delivered when held to expiry: pure arithmetic, no I/O (docs/track-record.md).

The P&L is the short option's, per contract, held to expiry: the premium received at the screen's price basis
minus the option's value at the expiry close (the assignment loss). For a cash-secured put that is the whole
position: assigned shares are marked at the close, so a put assigned below its strike loses (strike - close) x
100 against the premium. For a covered call it is the call leg: shares called away above the strike give up
(close - strike) x 100 of their rise; the shares' own move is the holder's either way and is not counted.
Returns are on the screen's capital (strike x 100 for a put, underlying x 100 for a call) over the days from the
quote date to expiry, the same basis as the promised `annualized_return`, so an option that expires worthless
delivers exactly what was promised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

OUTCOMES = ("expired", "assigned", "called_away")


class CannotResolve(ValueError):
    """The snapshot lacks a number resolution needs (strike, premium, capital), or the close is not a price."""


@dataclass(frozen=True)
class Resolution:
    """A snapshot's result at expiry: outcome, P&L in dollars per contract, returns in percent."""

    outcome: str  # expired (worthless) | assigned (a put) | called_away (a call)
    close: float
    pnl: float
    realized_return: float
    realized_annualized_return: float


def resolve(
    option_type: str, strike: float, premium: float, capital: float, days: int, close: float, size: int = 100
) -> Resolution:
    """The result of a short option held to expiry, the underlying closing at `close`.

    A put sold at the 100 strike for 2.50 (premium 250, capital 10,000), 30 days, the stock closing at 95:
    assigned, 250 - (100 - 95) x 100 = -250 dollars, -2.5 % of capital, -2.5 x 365 / 30 a year.

    >>> r = resolve("put", 100.0, 250.0, 10_000.0, 30, 95.0)
    >>> r.outcome, r.pnl, r.realized_return, round(r.realized_annualized_return, 2)
    ('assigned', -250.0, -2.5, -30.42)
    >>> resolve("call", 50.0, 120.0, 4_800.0, 20, 49.0).outcome
    'expired'
    """
    for name, value in (("strike", strike), ("premium", premium), ("capital", capital), ("close", close)):
        if value is None or not math.isfinite(value) or (value <= 0 and name != "premium"):
            raise CannotResolve(f"{name} {value!r} is not a usable number")
    if option_type == "put":
        loss = max(strike - close, 0.0) * size
        outcome = "assigned" if close < strike else "expired"
    elif option_type == "call":
        loss = max(close - strike, 0.0) * size
        outcome = "called_away" if close > strike else "expired"
    else:
        raise CannotResolve(f"option type {option_type!r} is neither put nor call")
    pnl = premium - loss
    flat = pnl / capital * 100.0
    return Resolution(outcome, close, pnl, flat, flat * 365.0 / max(days, 1))


__all__ = ["OUTCOMES", "CannotResolve", "Resolution", "resolve"]

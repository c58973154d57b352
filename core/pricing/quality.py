"""Quality rules for option rows: one reason code per row, vectorised; nothing raises on a bad row.

A row that fails is kept out of rankings and counted per reason (DESIGN section 4); it never stops the
symbol. When several rules fail, the first in `REASONS` wins. The order goes from what makes the row
meaningless to what makes it merely untradable:

1. `non_finite` - bid, ask or strike is NaN or infinite, or the IV or underlying price is infinite: a
   garbage number, so no other rule can be trusted on this row. (A NaN IV is not a failure: the IV is the
   one the sync solves from the mid, and a row without one is flagged `no_iv` afterwards.)
2. `strike_not_positive` - strike <= 0: not a contract.
3. `expired` - DTE <= 0 (or unknown): expiring today leaves no day to earn the premium over, and the
   return formulas divide by DTE.
4. `no_underlying_price` - the underlying price is missing or <= 0: no capital, cushion or greeks.
5. `bid_not_positive` - bid <= 0: nothing to sell into, no tradable mid.
6. `ask_below_bid` - a crossed quote: no tradable mid.
7. `iv_out_of_bounds` - IV above `IV_MAX`.
"""

from __future__ import annotations

import numpy as np

REASONS: tuple[str, ...] = (
    "non_finite",
    "strike_not_positive",
    "expired",
    "no_underlying_price",
    "bid_not_positive",
    "ask_below_bid",
    "iv_out_of_bounds",
)

# 5.0 = 500 % a year, the IV solver's upper bound too. Listed equity options reach 200-300 % around
# earnings or squeezes; beyond 500 % the quote is almost always stale, a one-sided market or a unit mix-up
# (a percent read as a fraction: 45 for 45 %). Such rows would top any premium ranking, so they are flagged.
IV_MAX = 5.0


def quality_reasons(bid, ask, strike, underlying, days, iv=None) -> np.ndarray:
    """Per row, the first failing reason of `REASONS`, or None where the row is fine (object array).

    `days` is DTE in calendar days (see `metrics.dte`); `iv` is the IV in use, a fraction (NaN if none).

    >>> quality_reasons([1.0, 0.0, 2.0, 1.0], [1.2, 0.5, 1.0, 1.2], 100.0, 101.0, [30, 30, 30, 0]).tolist()
    [None, 'bid_not_positive', 'ask_below_bid', 'expired']
    """
    bid, ask, strike, underlying, days = (np.asarray(a, dtype=np.float64) for a in (bid, ask, strike, underlying, days))
    iv = np.full((), np.nan) if iv is None else np.asarray(iv, dtype=np.float64)
    shape = np.broadcast_shapes(bid.shape, ask.shape, strike.shape, underlying.shape, days.shape, iv.shape)
    failing = [
        ~(np.isfinite(bid) & np.isfinite(ask) & np.isfinite(strike)) | np.isinf(iv) | np.isinf(underlying),
        ~(strike > 0),
        ~(days > 0),
        ~(underlying > 0),
        ~(bid > 0),
        ask < bid,
        iv > IV_MAX,
    ]
    codes = np.select([np.broadcast_to(f, shape) for f in failing], list(REASONS), default="")
    out = codes.astype(object)
    out[codes == ""] = None
    return out


NO_IV = "no_iv"  # applied after IV solving (see `flag_unsolved_iv`), so it is not part of REASONS' order


def flag_unsolved_iv(reasons, iv) -> np.ndarray:
    """Mark rows that passed every rule but still have no usable IV (the mid is below intrinsic, or the
    solver found no volatility within its bounds) as 'no_iv': without an IV there is no delta to filter on.
    Call it after the sync has solved the IVs from the mids; rows already failing keep their first reason."""
    out = np.array(reasons, dtype=object, copy=True)
    missing = ~np.isfinite(np.asarray(iv, dtype=np.float64))
    out[np.equal(out, None) & missing] = NO_IV
    return out


# What each reason means to a reader (command-line summaries); `DROPPED` rows are never stored, the rest are
# stored with their flag: shown in chains, never ranked.
REASON_TEXT = {
    "non_finite": "a number that is not a number",
    "strike_not_positive": "strike not positive",
    "expired": "expired",
    "no_underlying_price": "no stock price",
    "bid_not_positive": "no bid",
    "ask_below_bid": "ask below bid",
    "iv_out_of_bounds": "IV above 500 %",
    NO_IV: "no IV fits the mid",
    "non_finite_key": "unreadable type, expiry or strike",
}
DROPPED = ("non_finite_key", "strike_not_positive", "expired")


def describe_counts(counts: dict[str, int]) -> str:
    """'3 no bid, 1 expired': reason counts in words, most frequent first."""
    ordered = sorted(((n, r) for r, n in counts.items() if n), key=lambda item: (-item[0], item[1]))
    return ", ".join(f"{n:,} {REASON_TEXT.get(reason, reason.replace('_', ' '))}" for n, reason in ordered)


def count_reasons(reasons) -> dict[str, int]:
    """How many rows failed for each reason, in `REASONS` order (zeros included), plus 'ok'."""
    reasons = np.asarray(reasons, dtype=object)
    counts = {name: int(np.count_nonzero(reasons == name)) for name in REASONS}
    counts["ok"] = int(reasons.size - sum(counts.values()))
    return counts

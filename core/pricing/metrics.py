"""The premium numbers of DESIGN section 4, one definition each, vectorised over a chain.

Every function takes broadcastable arrays and never raises on bad rows: a row without a tradable mid, a
non-positive capital or no day left gets NaN, and the quality rules (`core.pricing.quality`) say why.
Returns and percentages are in percent (2.5 means 2.5 %). `is_call` is a boolean array or 'call'/'put'.
`size` is the contract size per row (shares per contract: 100 for US equity options, the lot size where a
market has one); it defaults to 100.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from core.pricing.bsm import d2, is_call_mask
from core.pricing.normal import norm_cdf

CONTRACT_MULTIPLIER = 100  # shares per US equity option contract: the default contract size
PLACEHOLDER_IV = 1e-4  # Yahoo writes 1e-05 (and 0) where it has no IV; no listed option trades below 0.01 %


def _f(x) -> np.ndarray:
    return np.asarray(x, dtype=np.float64)


def mid(bid, ask) -> np.ndarray:
    """(bid + ask) / 2 where both are positive and ask >= bid; NaN (no tradable mid) otherwise."""
    bid, ask = _f(bid), _f(ask)
    tradable = (bid > 0) & (ask > 0) & (ask >= bid)
    return np.where(tradable, (bid + ask) / 2.0, np.nan)


def premium(mid_price, size=CONTRACT_MULTIPLIER) -> np.ndarray:
    """Money received per contract: mid x contract size (x 100 for a US equity option)."""
    return _f(mid_price) * _f(size)


def capital(strike, underlying, is_call, size=CONTRACT_MULTIPLIER) -> np.ndarray:
    """Capital per contract: strike x size for a cash-secured put, underlying x size for a covered call."""
    return np.where(is_call_mask(is_call), _f(underlying), _f(strike)) * _f(size)


def dte(expiration, as_of) -> np.ndarray:
    """Calendar days from `as_of` to `expiration` (datetime64[D] arrays or ISO strings); NaN where NaT."""
    days = np.asarray(expiration, dtype="datetime64[D]") - np.asarray(as_of, dtype="datetime64[D]")
    return np.where(np.isnat(days), np.nan, days.astype("int64")).astype(np.float64)


def _period_return(premium_usd, capital_usd, days, period: float) -> np.ndarray:
    premium_usd, capital_usd, days = _f(premium_usd), _f(capital_usd), _f(days)
    ok = (capital_usd > 0) & (days > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(ok, premium_usd / capital_usd * (period / days) * 100.0, np.nan)


def monthly_return(premium_usd, capital_usd, days) -> np.ndarray:
    """premium / capital x (30 / DTE) x 100, in percent; NaN where DTE <= 0 or capital <= 0."""
    return _period_return(premium_usd, capital_usd, days, 30.0)


def annualized_return(premium_usd, capital_usd, days) -> np.ndarray:
    """premium / capital x (365 / DTE) x 100, in percent (simple, not compounded); NaN as monthly_return."""
    return _period_return(premium_usd, capital_usd, days, 365.0)


def intrinsic(strike, underlying, is_call, size=CONTRACT_MULTIPLIER) -> np.ndarray:
    """Money per contract the option is in the money: max(K - S, 0) x size (put), max(S - K, 0) x size (call)."""
    strike, underlying = _f(strike), _f(underlying)
    gap = np.where(is_call_mask(is_call), underlying - strike, strike - underlying)
    return np.maximum(gap, 0.0) * _f(size)


def extrinsic(premium_usd, intrinsic_usd) -> np.ndarray:
    """Time value per contract: max(premium - intrinsic, 0), the part of the premium that is income."""
    return np.maximum(_f(premium_usd) - _f(intrinsic_usd), 0.0)


def flat_return(extrinsic_usd, capital_usd) -> np.ndarray:
    """What the position earns by expiry if the stock ends where it is: extrinsic / capital x 100 (percent)."""
    extrinsic_usd, capital_usd = _f(extrinsic_usd), _f(capital_usd)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(capital_usd > 0, extrinsic_usd / capital_usd * 100.0, np.nan)


def flat_annualized_return(flat_return_pct, days) -> np.ndarray:
    """flat_return x 365 / DTE (simple); NaN where DTE <= 0. The default ranking (DESIGN section 4)."""
    flat_return_pct, days = _f(flat_return_pct), _f(days)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(days > 0, flat_return_pct * 365.0 / days, np.nan)


def breakeven(strike, underlying, mid_price, is_call) -> np.ndarray:
    """Where the position starts losing at expiry: put strike - mid; covered call underlying - mid (the
    shares' cost less the premium)."""
    mid_price = _f(mid_price)
    return np.where(is_call_mask(is_call), _f(underlying), _f(strike)) - mid_price


def cushion_pct(underlying, breakeven_price) -> np.ndarray:
    """How far the stock can fall before the position loses at expiry, in % of the underlying (both
    strategies): (underlying - breakeven) / underlying x 100."""
    underlying, breakeven_price = _f(underlying), _f(breakeven_price)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(underlying > 0, (underlying - breakeven_price) / underlying * 100.0, np.nan)


def pct_otm(strike, underlying, is_call) -> np.ndarray:
    """How far out of the money, in % of the underlying (negative in the money): put (S - K) / S, call (K - S) / S."""
    strike, underlying = _f(strike), _f(underlying)
    gap = np.where(is_call_mask(is_call), strike - underlying, underlying - strike)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(underlying > 0, gap / underlying * 100.0, np.nan)


def if_called_return(premium_usd, strike, underlying, capital_usd, is_call, size=CONTRACT_MULTIPLIER) -> np.ndarray:
    """Covered call called away at expiry: (premium + (K - S) x size) / capital x 100; NaN for puts."""
    premium_usd, capital_usd = _f(premium_usd), _f(capital_usd)
    gain = premium_usd + (_f(strike) - _f(underlying)) * _f(size)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(is_call_mask(is_call) & (capital_usd > 0), gain / capital_usd * 100.0, np.nan)


def prob_otm(underlying, strike, t, iv, r, q, is_call) -> np.ndarray:
    """Risk-neutral probability of expiring out of the money: put N(d2), call N(-d2); t in years."""
    d = d2(underlying, strike, t, iv, r, q)
    d = np.where(is_call_mask(is_call), -d, d)
    ok = (_f(t) > 0) & (_f(iv) > 0)
    return np.where(ok, norm_cdf(np.where(ok, d, 0.0)), np.nan)


def spread_pct(bid, ask) -> np.ndarray:
    """Bid-ask spread as % of the mid: (ask - bid) / mid x 100; NaN without a tradable mid."""
    m = mid(bid, ask)
    return (_f(ask) - _f(bid)) / m * 100.0


def is_placeholder_iv(iv) -> np.ndarray:
    """True where an IV is missing or a placeholder: NaN, <= 0 or < 1e-4 (Yahoo writes 1e-05)."""
    iv = _f(iv)
    return ~(iv >= PLACEHOLDER_IV)


class PremiumMetrics(NamedTuple):
    """All section-4 numbers of a chain, as computed by `premium_metrics`."""

    mid: np.ndarray
    premium: np.ndarray
    capital: np.ndarray
    monthly_return: np.ndarray
    annualized_return: np.ndarray
    breakeven: np.ndarray
    cushion_pct: np.ndarray
    intrinsic: np.ndarray
    extrinsic: np.ndarray
    flat_return: np.ndarray
    flat_annualized_return: np.ndarray
    pct_otm: np.ndarray
    if_called_return: np.ndarray
    prob_otm: np.ndarray
    spread_pct: np.ndarray


def premium_metrics(bid, ask, strike, underlying, days, iv, r, q, is_call, size=CONTRACT_MULTIPLIER) -> PremiumMetrics:
    """Every section-4 metric at once; `days` is DTE in calendar days (prob_otm uses t = days / 365); `size` is
    the contract size (shares per contract).

    A 30-day cash-secured put, strike 95, quoted 1.90 x 2.10 with the stock at 100:

    >>> m = premium_metrics(1.9, 2.1, 95.0, 100.0, 30, 0.3, 0.05, 0.0, "put")
    >>> print(f"{m.premium:.0f} {m.monthly_return:.4f} {m.breakeven:.2f} {m.cushion_pct:.2f}")
    200 2.1053 93.00 7.00
    >>> print(f"{m.annualized_return:.3f} {m.spread_pct:.1f} {m.prob_otm:.4f}")
    25.614 10.0 0.7261

    The same put in lots of 50 (an NSE-style lot): premium and capital scale, returns do not.

    >>> m = premium_metrics(1.9, 2.1, 95.0, 100.0, 30, 0.3, 0.05, 0.0, "put", size=50)
    >>> print(f"{m.premium:.0f} {m.capital:.0f} {m.monthly_return:.4f}")
    100 4750 2.1053
    """
    m = mid(bid, ask)
    prem = premium(m, size)
    cap = capital(strike, underlying, is_call, size)
    be = breakeven(strike, underlying, m, is_call)
    intr = intrinsic(strike, underlying, is_call, size)
    extr = np.where(np.isfinite(prem), extrinsic(prem, intr), np.nan)
    flat = flat_return(extr, cap)
    with np.errstate(invalid="ignore"):
        t = _f(days) / 365.0
        return PremiumMetrics(
            mid=m,
            premium=prem,
            capital=cap,
            monthly_return=monthly_return(prem, cap, days),
            annualized_return=annualized_return(prem, cap, days),
            breakeven=be,
            cushion_pct=cushion_pct(underlying, be),
            intrinsic=intr,
            extrinsic=extr,
            flat_return=flat,
            flat_annualized_return=flat_annualized_return(flat, days),
            pct_otm=pct_otm(strike, underlying, is_call),
            if_called_return=if_called_return(prem, strike, underlying, cap, is_call, size),
            prob_otm=prob_otm(underlying, strike, t, iv, r, q, is_call),
            spread_pct=spread_pct(bid, ask),
        )

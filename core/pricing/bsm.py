"""Black-Scholes-Merton prices and greeks of European options, vectorised over NumPy arrays.

The model: spot S paying a continuous dividend yield q, risk-free rate r (continuously compounded), volatility
sigma, t years to expiry. Every input broadcasts against the others; the result has the broadcast shape (a
NumPy scalar for all-scalar input). Units, the same everywhere in Wheelhouse (docs/maths.md):

- delta is signed (puts negative); gamma per 1 dollar of spot;
- theta per calendar day: the annual theta / 365;
- vega per vol point: the change for sigma + 0.01;
- rho per rate point: the change for r + 0.01.

Degenerate rows never raise: where t <= 0 the price is the payoff max(+-(S - K), 0); where sigma <= 0 (and
t > 0) it is the sigma -> 0 limit max(+-(S e^-qt - K e^-rt), 0); the greeks are NaN in both cases. A
non-positive or NaN spot or strike gives NaN everywhere.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from core.pricing.blocks import run_blocked
from core.pricing.normal import cdf_pdf

ArrayLike = np.ndarray | float | int | bool | str | list


class InvalidOptionType(ValueError):
    """`is_call` was neither a boolean nor one of 'call', 'put', 'c', 'p' (any case)."""


class Greeks(NamedTuple):
    """Price and greeks in Wheelhouse units: theta per calendar day, vega and rho per 1 point (0.01)."""

    price: np.ndarray
    delta: np.ndarray
    gamma: np.ndarray
    theta: np.ndarray
    vega: np.ndarray
    rho: np.ndarray


def is_call_mask(is_call: ArrayLike) -> np.ndarray:
    """True for calls: from booleans or from the strings 'call'/'put'/'c'/'p' in any case."""
    arr = np.asarray(is_call)
    if arr.dtype == bool:
        return arr
    if arr.dtype.kind in "UO":
        low = np.char.lower(np.char.strip(arr.astype(str)))
        calls = (low == "call") | (low == "c")
        if not np.all(calls | (low == "put") | (low == "p")):
            raise InvalidOptionType(f"option type must be 'call' or 'put', got {np.unique(arr)[:5]}")
        return calls
    raise InvalidOptionType(f"is_call must be bool or 'call'/'put', got dtype {arr.dtype}")


def _sign(is_call: ArrayLike) -> np.ndarray:
    return np.where(is_call_mask(is_call), 1.0, -1.0)


def _d1_sqrt(S, K, t, sigma, r, q):
    sqrt_t = np.sqrt(t)
    vol_sqrt_t = sigma * sqrt_t
    d1 = (np.log(S / K) + (r - q + 0.5 * sigma * sigma) * t) / vol_sqrt_t
    return d1, sqrt_t, vol_sqrt_t


def _apply_limits(value: np.ndarray, greeks: tuple, S, K, t, sigma, r, q, sign) -> None:
    """Overwrite rows with t <= 0, sigma <= 0 or a bad spot/strike with the documented limits, in place."""
    bad = ~((t > 0) & (sigma > 0) & (S > 0) & (K > 0))
    if not np.any(bad):
        return
    bad = np.broadcast_to(bad, value.shape)
    for g in greeks:
        g[bad] = np.nan
    S, K, t, sigma, r, q, sign = (np.broadcast_to(a, value.shape)[bad] for a in (S, K, t, sigma, r, q, sign))
    gap = np.where(t > 0, S * np.exp(-q * t) - K * np.exp(-r * t), S - K)
    usable = (S > 0) & (K > 0) & ~np.isnan(t) & ~np.isnan(sigma)
    value[bad] = np.where(usable, np.maximum(sign * gap, 0.0), np.nan)


def _price_kernel(S, K, t, sigma, r, q, sign):
    d1, _, vol_sqrt_t = _d1_sqrt(S, K, t, sigma, r, q)
    n1, _ = cdf_pdf(sign * d1)
    n2, _ = cdf_pdf(sign * (d1 - vol_sqrt_t))
    value = S * np.exp(-q * t) * n1
    value -= K * np.exp(-r * t) * n2
    value *= sign
    np.maximum(value, 0.0, out=value)  # rounding can leave -1e-16 on a worthless option; never negative
    _apply_limits(value, (), S, K, t, sigma, r, q, sign)
    return (value,)


def _greeks_kernel(S, K, t, sigma, r, q, sign):
    d1, sqrt_t, vol_sqrt_t = _d1_sqrt(S, K, t, sigma, r, q)
    n1, pdf1 = cdf_pdf(sign * d1)
    n2, _ = cdf_pdf(sign * (d1 - vol_sqrt_t))
    disc_q = np.exp(-q * t)
    spot_pv = S * disc_q
    asset = spot_pv * n1  # S e^-qt N(+-d1)
    cash = K * np.exp(-r * t) * n2  # K e^-rt N(+-d2)
    value = np.maximum(sign * (asset - cash), 0.0)
    delta = sign * disc_q * n1
    spot_pdf = spot_pv * pdf1
    gamma = spot_pdf / (S * S * vol_sqrt_t)
    vega = spot_pdf * sqrt_t
    theta = -0.5 * spot_pdf * sigma / sqrt_t + sign * (q * asset - r * cash)
    rho = sign * t * cash
    theta /= 365.0
    vega /= 100.0
    rho /= 100.0
    _apply_limits(value, (delta, gamma, theta, vega, rho), S, K, t, sigma, r, q, sign)
    return value, delta, gamma, theta, vega, rho


def price(spot, strike, t, sigma, r, q, is_call) -> np.ndarray:
    """Black-Scholes-Merton price of European calls and puts.

    Hull's textbook example (Options, Futures and Other Derivatives, the Black-Scholes-Merton chapter):
    S=42, K=40, r=10 %, sigma=20 %, six months, no dividend; the call is worth 4.76 and the put 0.81.

    >>> call, put = price(42.0, 40.0, 0.5, 0.2, 0.1, 0.0, [True, False])
    >>> print(f"{call:.2f} {put:.2f}")
    4.76 0.81
    >>> price([100.0, 100.0], 100.0, 1.0, 0.2, 0.05, 0.02, ["call", "put"]).round(4).tolist()
    [9.227, 6.3301]
    """
    return run_blocked(_price_kernel, 1, (spot, strike, t, sigma, r, q), _sign(is_call))[0]


def greeks(spot, strike, t, sigma, r, q, is_call) -> Greeks:
    """Price, delta, gamma, theta (per day), vega and rho (per point) in one pass sharing d1 and d2.

    >>> g = greeks(42.0, 40.0, 0.5, 0.2, 0.1, 0.0, "call")
    >>> print(f"{g.delta:.4f} {g.gamma:.4f} {g.theta:.4f} {g.vega:.4f} {g.rho:.4f}")
    0.7791 0.0500 -0.0125 0.0881 0.1398
    """
    return Greeks(*run_blocked(_greeks_kernel, 6, (spot, strike, t, sigma, r, q), _sign(is_call)))


def d2(spot, strike, t, sigma, r, q) -> np.ndarray:
    """d2 = (ln(S/K) + (r - q - sigma^2/2) t) / (sigma sqrt(t)); N(d2) is the risk-neutral P(S_t > K)."""
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=np.float64) for a in (spot, strike, t, sigma, r, q)))
    with np.errstate(all="ignore"):
        d1, _, vol_sqrt_t = _d1_sqrt(*arrays)
        out = d1 - vol_sqrt_t
    return out[()] if out.ndim == 0 else out

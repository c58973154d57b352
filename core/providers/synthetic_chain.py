"""Option-chain arithmetic for the synthetic provider: strike grid, IV smile, Black-Scholes, quotes, activity.

Pure functions over flat NumPy arrays, one element per contract, so one call prices the whole chain of many
symbols at once. Deliberately self-contained (no SciPy, no core.pricing): it only has to make believable,
arbitrage-free numbers, not to be the reference pricer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STRIKE_LADDER = np.array([0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0])
SMILE_CLIP = 3.5  # standardised moneyness past which the smile is flat, keeping the wings arbitrage-free
YAHOO_IV_PLACEHOLDER = 1e-05
_SQRT2 = np.sqrt(2.0)


def norm_cdf(x: np.ndarray) -> np.ndarray:
    """Standard normal CDF via a Chebyshev erfc (relative error < 1.2e-7, also far in the tails).

    >>> [round(float(v), 6) for v in norm_cdf(np.array([-1.0, 0.0, 1.96]))]
    [0.158655, 0.5, 0.975002]
    """
    z = np.abs(x) / _SQRT2
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -1.26551223 + t * (
        1.00002368
        + t
        * (
            0.37409196
            + t
            * (
                0.09678418
                + t
                * (
                    -0.18628806
                    + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277))))
                )
            )
        )
    )
    tail = 0.5 * t * np.exp(-z * z + poly)  # P(Z > |x|)
    return np.where(x >= 0, 1.0 - tail, tail)


def black_scholes(is_call: np.ndarray, spot, strike, t, r: float, q, vol) -> np.ndarray:
    """Black-Scholes-Merton price with a continuous dividend yield `q`.

    >>> round(float(black_scholes(np.array(True), 100.0, 100.0, 1.0, 0.05, 0.0, 0.2)), 4)
    10.4506
    """
    sd = vol * np.sqrt(t)
    d1 = (np.log(spot / strike) + (r - q) * t) / sd + 0.5 * sd
    d2 = d1 - sd
    sign = np.where(is_call, 1.0, -1.0)
    return sign * (spot * np.exp(-q * t) * norm_cdf(sign * d1) - strike * np.exp(-r * t) * norm_cdf(sign * d2))


def strike_steps(spot: np.ndarray, atm_sd: np.ndarray, n: np.ndarray) -> np.ndarray:
    """Strike increment per (symbol, expiry): exchange-like, so that `n` strikes span about +/-2.2 sd."""
    base = np.select([spot < 25, spot < 100, spot < 250, spot < 1000], [0.5, 1.0, 2.5, 5.0], 10.0)[:, None]
    span = spot[:, None] * (np.exp(2.2 * atm_sd) - np.exp(-2.2 * atm_sd))
    raw = np.minimum(span / np.maximum(n - 1, 1)[:, None], 0.1 * spot[:, None])  # listed grids stay fine
    nearest = STRIKE_LADDER[np.abs(np.log(raw[..., None] / STRIKE_LADDER)).argmin(axis=-1)]
    return np.maximum(nearest, base)


@dataclass(frozen=True)
class ChainBatch:
    """Symbols on one day, one entry per symbol, sharing the listed expiries."""

    spot: np.ndarray
    prev_spot: np.ndarray
    dividend_yield: np.ndarray
    vol: np.ndarray  # base vol times today's market regime
    skew: np.ndarray
    curvature: np.ndarray
    liquidity: np.ndarray
    n_strikes: np.ndarray  # strikes per expiry (each a call and a put)
    event_var: np.ndarray  # (symbols, expiries): earnings variance for expiries after the next report
    days: np.ndarray  # calendar days from the market date to each expiry
    monthly: np.ndarray  # per expiry: standard expiries carry more open interest than weeklies
    rate: float
    quirks: bool = True  # Yahoo's habits: NaN volume when nothing traded, 1e-05 IVs deep in the money


def price_chains(b: ChainBatch, rngs: list[np.random.Generator]) -> dict[str, np.ndarray]:
    """Every contract of every symbol as flat arrays, ordered symbol, expiry, call-then-put, strike.

    Each symbol draws its noise from its own generator, so a symbol prices the same alone or in a batch.
    """
    n_exp = len(b.days)
    counts = 2 * n_exp * b.n_strikes
    offsets = np.concatenate([[0], np.cumsum(counts)])
    total = int(offsets[-1])
    sym = np.repeat(np.arange(len(counts)), counts)
    n = b.n_strikes[sym]
    pos = np.arange(total) - offsets[sym]
    expiry = pos // (2 * n)
    is_call = pos - expiry * 2 * n < n
    j = (pos - expiry * 2 * n) % n

    day_z = np.empty(len(counts))
    noise, uniform = np.empty((4, total)), np.empty(total)
    seconds, stale = np.empty(total, np.int64), np.empty(total, np.int64)
    for k, rng in enumerate(rngs):
        lo, hi = offsets[k], offsets[k + 1]
        day_z[k] = rng.standard_normal()
        noise[:, lo:hi] = rng.standard_normal((4, hi - lo))
        uniform[lo:hi] = rng.random(hi - lo)
        seconds[lo:hi] = rng.integers(0, 23_400, hi - lo)  # seconds into the 6.5-hour session
        stale[lo:hi] = 1 + rng.geometric(0.4, hi - lo)  # sessions since a contract that did not trade today

    # Contango: short expiries a little under the base vol, long ones a little over; earnings add variance.
    t_grid = b.days[None, :] / 365.0
    term = 0.88 + 0.17 * (1 - np.exp(-t_grid / 0.5))
    atm_grid = np.sqrt((b.vol[:, None] * np.exp(0.04 * day_z)[:, None] * term) ** 2 + b.event_var / t_grid)
    step = strike_steps(b.spot, atm_grid * np.sqrt(t_grid), b.n_strikes)
    centre = np.maximum(np.round(b.spot[:, None] / step), (b.n_strikes // 2 + 1)[:, None])  # strikes > 0
    strike = step[sym, expiry] * (centre[sym, expiry] + j - n // 2)

    spot, q, liq = b.spot[sym], b.dividend_yield[sym], b.liquidity[sym]
    t, atm = b.days[expiry] / 365.0, atm_grid[sym, expiry]
    x = np.log(strike / (spot * np.exp((b.rate - q) * t))) / (atm * np.sqrt(t))
    xs = np.clip(x, -SMILE_CLIP, SMILE_CLIP)
    iv = atm * (1 - b.skew[sym] * xs + b.curvature[sym] * xs * xs)
    theo = black_scholes(is_call, spot, strike, t, b.rate, q, iv)
    theo_prev = black_scholes(is_call, b.prev_spot[sym], strike, t + 1 / 365, b.rate, q, iv)

    # Spreads: a floor plus a fraction of the price, both larger for thin names, wider away from the money.
    spread = (0.01 + 0.15 * (1 - liq) ** 2 + (0.01 + 0.12 * (1 - liq)) * theo) * (1 + 0.4 * np.abs(x))
    spread *= np.exp(0.15 * noise[0])
    tick = np.where((theo >= 3) & (liq < 0.6), 5, 1)  # cents; penny increments for liquid names
    bid_c = np.maximum(np.floor((theo - spread / 2) * 100 / tick) * tick, 0)
    ask_c = np.maximum(np.ceil((theo + spread / 2) * 100 / tick) * tick, bid_c + tick)

    # Activity thins out away from the money and with time; weeklies carry less than monthlies.
    weight = np.exp(-0.5 * (x / 1.1) ** 2) * np.exp(-t / 0.6) * np.where(b.monthly[expiry], 1.0, 0.6)
    lam_oi = 10 ** (0.8 + 3.4 * liq) * weight * np.exp(0.4 * noise[1])
    lam_volume = lam_oi * (0.05 + 0.3 * np.exp(-t / 0.1)) * np.exp(0.7 * noise[2])
    open_interest, volume = np.empty(total, np.int64), np.empty(total)
    for k, rng in enumerate(rngs):
        lo, hi = offsets[k], offsets[k + 1]
        open_interest[lo:hi] = rng.poisson(lam_oi[lo:hi])
        volume[lo:hi] = rng.poisson(lam_volume[lo:hi])
    traded = volume > 0
    if b.quirks:
        volume[~traded] = np.nan  # as Yahoo reports contracts that did not trade today

    last_c = np.where(
        traded,
        np.clip(np.round((theo + 0.3 * spread * noise[3]) * 100), bid_c, ask_c),
        np.round(theo_prev * np.exp(0.1 * noise[3]) * 100),
    )
    last_c = np.maximum(last_c, 1)
    change_c = np.where(traded, last_c - np.maximum(np.round(theo_prev * 100), 1), 0)
    itm = np.where(is_call, strike < spot, strike > spot)
    if b.quirks:  # Yahoo writes 1e-05 for the IV of many deep in-the-money contracts
        iv = np.where(itm & (np.abs(x) > 2) & (uniform < 0.15), YAHOO_IV_PLACEHOLDER, iv)
    return {
        "symbol_index": sym,
        "expiry_index": expiry,
        "offsets": offsets,
        "is_call": is_call,
        "strike": strike,
        "lastPrice": last_c / 100,
        "bid": bid_c / 100,
        "ask": ask_c / 100,
        "change": np.round(change_c / 100, 2),
        "percentChange": np.where(traded, change_c / np.maximum(last_c - change_c, 1) * 100, 0.0),
        "volume": volume,
        "openInterest": open_interest.astype(float),  # float64, like the other providers
        "impliedVolatility": iv,
        "inTheMoney": itm,
        "stale_sessions": np.where(traded, 0, stale),
        "trade_second": seconds,
    }

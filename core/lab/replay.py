"""The Strategy Lab's replay: a strategy config run day by day over daily closes (pure: arrays in, results out).

Each trading day, in this order:
1. Positions expiring that day (or whose expiry falls before the next trading day) resolve at the day's close:
   a put below its strike is assigned (the shares bought at the strike, the trade's loss marked at the close), a
   call above its strike is called away (the shares delivered at the strike), anything else expires worthless.
   With `on_assignment="sell"` assigned shares are sold at that same close; with "wheel" they are kept and a
   covered call is written on them (never below the strike they cost) until they are called away.
2. With a take-profit, an open option whose modelled value has fallen to (1 - capture) of its premium is bought
   back at that value ("closed").
3. New positions, up to `per_day`, best first by the screen's rank key: the day's stored snapshots of the
   screen where there are any, otherwise contracts modelled with Black-Scholes (core.pricing) from the close and
   the volatility (the stored IV where known, else 20-day realised volatility), labelled "modelled". A put
   needs cash to secure it (strike x 100 x contracts); a covered-call config buys its shares first.
4. The account is marked: cash + shares at the close - open options at their modelled value.
On the last day whatever is still open is bought back at its modelled value ("closed"): every trade ends, so the
trades' P&L plus the shares' P&L is the change in equity.

P&L per trade, dollars over all contracts (premium is dollars per contract):
expired: premium x n; closed: (premium - buy-back) x n; assigned: (premium - (strike - close) x 100) x n;
called away: (premium - (close - strike) x 100) x n. Nothing here reads a clock or a random source: the same
inputs give the same results.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.lab.rules import Rules
from core.premiums.filters import PremiumFilters
from core.pricing import bsm
from core.pricing.metrics import premium_metrics

VOL_WINDOW = 20  # trading days of log returns behind a realised volatility
MIN_VOL = 0.05
N_STRIKES = 40  # strikes tried per symbol and day, from the money outwards
CHECK_EVERY = 10  # days between two `should_stop` calls


class ReplayStopped(RuntimeError):
    """`should_stop` said stop: the replay ended early, on the day it names."""

    def __init__(self, day: dt.date, done: int, total: int):
        super().__init__(f"stopped on {day.isoformat()}, after {done} of {total} trading days")
        self.day, self.done, self.total = day, done, total


@dataclass(frozen=True)
class Market:
    """Daily closes (forward-filled) and known implied vols (NaN where unknown), days x symbols."""

    dates: list[dt.date]
    symbols: list[str]
    closes: np.ndarray
    ivs: np.ndarray


@dataclass
class _Position:
    symbol: str
    col: int
    option_type: str
    strike: float
    expiration: dt.date
    opened_on: dt.date
    contracts: int
    premium: float  # dollars per contract
    sigma: float
    source: str


@dataclass
class Result:
    trades: list[dict[str, Any]] = field(default_factory=list)
    equity: list[tuple[str, float, float]] = field(default_factory=list)  # (date, strategy, buy-and-hold)
    summary: dict[str, Any] = field(default_factory=dict)
    buy_and_hold: dict[str, Any] = field(default_factory=dict)


def strike_step(spot: np.ndarray) -> np.ndarray:
    """The listed strike spacing a price of this size usually has."""
    return np.select([spot < 25, spot < 100, spot < 200], [0.5, 1.0, 2.5], 5.0)


def pick_expiry(day: dt.date, dte: tuple[int, int]) -> dt.date:
    """The Friday whose days to expiry are inside `dte` and nearest its middle (no Friday inside: the middle)."""
    lo, hi = dte
    middle = (lo + hi) / 2
    fridays = [d for d in range(lo, hi + 1) if (day + dt.timedelta(days=d)).weekday() == 4]
    days = min(fridays, key=lambda d: (abs(d - middle), d)) if fridays else round(middle)
    return day + dt.timedelta(days=max(days, 1))


def realised_vol(closes: np.ndarray, i: int) -> np.ndarray:
    """Annualised volatility of the `VOL_WINDOW` daily log returns ending on day `i`, per symbol (NaN if short)."""
    lo = max(i - VOL_WINDOW, 0)
    window = closes[lo : i + 1]
    if window.shape[0] < 6:
        return np.full(closes.shape[1], np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = np.diff(np.log(window), axis=0)
        return np.nanstd(returns, axis=0, ddof=1) * math.sqrt(252)


def option_value(spot, strike, days, sigma, rate, is_call) -> np.ndarray:
    """Modelled value in dollars per contract (Black-Scholes, no dividend)."""
    return bsm.price(spot, strike, np.maximum(days, 0) / 365.0, sigma, rate, 0.0, is_call) * 100.0


def model_candidates(
    market: Market, i: int, cols: np.ndarray, option_type: str, flt: PremiumFilters, rate: float,
    floors: np.ndarray | None = None,
) -> list[dict[str, Any]]:  # fmt: skip
    """The contract the screen would pick per symbol in `cols` on day `i`, modelled; best first by rank key."""
    if cols.size == 0:
        return []
    day = market.dates[i]
    spot = market.closes[i, cols]
    sigma = market.ivs[i, cols]
    sigma = np.where(np.isfinite(sigma), sigma, realised_vol(market.closes, i)[cols])
    ok = np.isfinite(spot) & (spot > 0) & np.isfinite(sigma)
    sigma = np.maximum(np.where(ok, sigma, MIN_VOL), MIN_VOL)
    expiry = pick_expiry(day, flt.dte)
    days = (expiry - day).days
    is_call = option_type == "call"
    step = strike_step(spot)
    base = np.floor(spot / step) * step if not is_call else np.ceil(spot / step) * step
    k = np.arange(N_STRIKES) * (1 if is_call else -1)
    strikes = base[:, None] + k[None, :] * step[:, None]
    if floors is not None:  # a wheel's call is never written below what the shares cost
        strikes = np.where(strikes >= floors[:, None], strikes, np.nan)
    strikes = np.where(strikes > 0, strikes, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        greeks = bsm.greeks(spot[:, None], strikes, days / 365.0, sigma[:, None], rate, 0.0, is_call)
    delta = np.abs(greeks.delta)
    lo, hi = flt.delta if flt.delta else (0.0, 1.0)
    target = (lo + hi) / 2 if flt.delta else 0.30
    inside = (delta >= lo) & (delta <= hi) & np.isfinite(delta)
    gap = np.where(inside, np.abs(delta - target), np.inf)
    best = np.argmin(gap, axis=1)
    rows = np.arange(cols.size)
    chosen = np.isfinite(gap[rows, best]) & ok
    strike = strikes[rows, best]
    price = greeks.price[rows, best]
    m = premium_metrics(price, price, strike, spot, days, sigma, rate, 0.0, option_type)
    keep = chosen & np.isfinite(m.premium) & (m.premium > 0)
    if flt.price:
        keep &= (spot >= flt.price[0]) & (spot <= flt.price[1])
    if flt.iv:
        keep &= (sigma * 100 >= flt.iv[0]) & (sigma * 100 <= flt.iv[1])
    for limit, values in ((flt.min_premium, m.premium), (flt.min_monthly_return, m.monthly_return),
                          (flt.min_annualized_return, m.annualized_return)):  # fmt: skip
        if limit is not None:
            keep &= values >= limit
    rank = getattr(m, flt.rank_by)
    out = [
        {
            "symbol": market.symbols[cols[j]],
            "col": int(cols[j]),
            "option_type": option_type,
            "strike": round(float(strike[j]), 2),
            "expiration": expiry,
            "premium": round(float(m.premium[j]), 2),
            "sigma": float(sigma[j]),
            "rank": float(rank[j]) if np.isfinite(rank[j]) else -np.inf,
            "source": "modelled",
        }
        for j in np.flatnonzero(keep)
    ]
    return sorted(out, key=lambda c: (-c["rank"], c["symbol"]))


def replay(
    market: Market,
    flt: PremiumFilters,
    rules: Rules,
    *,
    start: dt.date,
    rate: float = 0.04,
    snapshots: dict[dt.date, list[dict[str, Any]]] | None = None,
    should_stop: Callable[[int, int], bool] | None = None,
) -> Result:
    """Replay `flt` + `rules` over `market` from `start` (earlier days only feed volatility); see the module."""
    snapshots = snapshots or {}
    days = [i for i, d in enumerate(market.dates) if d >= start]
    result = Result()
    if not days:
        return result
    col_of = {s: j for j, s in enumerate(market.symbols)}
    cash = float(rules.capital)
    shares: dict[int, int] = {}
    cost: dict[int, float] = {}  # per share, at the close that marked it (the trades' P&L took the rest)
    paid: dict[int, float] = {}  # per share, what was paid: a wheel's calls are never written below it
    share_pnl = 0.0
    open_: list[_Position] = []
    option_type = "call" if flt.strategy == "cc" else "put"
    first = days[0]
    held = np.flatnonzero(np.isfinite(market.closes[first]) & (market.closes[first] > 0))
    bh_shares = (rules.capital / max(held.size, 1)) / market.closes[first, held] if held.size else np.array([])

    def close_trade(p: _Position, day: dt.date, spot: float, outcome: str, pnl: float, buy_back=None) -> None:
        result.trades.append(
            {
                "symbol": p.symbol, "option_type": p.option_type, "strike": p.strike,
                "expiration_date": p.expiration.isoformat(), "opened_on": p.opened_on.isoformat(),
                "contracts": p.contracts, "premium": p.premium, "closed_on": day.isoformat(),
                "underlying_at_close": round(spot, 2), "outcome": outcome, "pnl": round(float(pnl), 2),
                "buy_back": None if buy_back is None else round(float(buy_back), 2), "source": p.source,
            }
        )  # fmt: skip

    for n, i in enumerate(days):
        day = market.dates[i]
        if should_stop is not None and n % CHECK_EVERY == 0 and should_stop(n, len(days)):
            raise ReplayStopped(day, n, len(days))
        closes = market.closes[i]
        next_day = market.dates[i + 1] if i + 1 < len(market.dates) else None
        last = n == len(days) - 1
        still: list[_Position] = []
        for p in open_:
            spot = float(closes[p.col])
            if p.expiration <= day or (next_day is not None and next_day > p.expiration):
                units = 100 * p.contracts
                if p.option_type == "put" and spot < p.strike:
                    close_trade(p, day, spot, "assigned", (p.premium - (p.strike - spot) * 100) * p.contracts)
                    cash -= p.strike * units
                    if rules.on_assignment == "sell":
                        cash += spot * units  # sold at the close that marked the trade's loss
                    else:
                        had = shares.get(p.col, 0)
                        cost[p.col] = (cost.get(p.col, 0.0) * had + spot * units) / (had + units)
                        paid[p.col] = (paid.get(p.col, 0.0) * had + p.strike * units) / (had + units)
                        shares[p.col] = had + units
                elif p.option_type == "call" and spot > p.strike:
                    close_trade(p, day, spot, "called_away", (p.premium - (spot - p.strike) * 100) * p.contracts)
                    share_pnl += (spot - cost.get(p.col, spot)) * units
                    cash += p.strike * units
                    shares[p.col] = shares.get(p.col, 0) - units
                    if shares[p.col] <= 0:
                        shares.pop(p.col), cost.pop(p.col, None), paid.pop(p.col, None)
                else:
                    close_trade(p, day, spot, "expired", p.premium * p.contracts)
                continue
            still.append(p)
        open_ = still
        if open_ and (rules.take_profit is not None or last):
            value = option_value(
                np.array([closes[p.col] for p in open_]), np.array([p.strike for p in open_]),
                np.array([(p.expiration - day).days for p in open_], dtype=float),
                np.array([p.sigma for p in open_]), rate, np.array([p.option_type == "call" for p in open_]),
            )  # fmt: skip
            still = []
            for p, v in zip(open_, value, strict=True):
                target = p.premium * (1 - rules.take_profit / 100) if rules.take_profit is not None else -1.0
                if last or v <= target:
                    cash -= v * p.contracts
                    close_trade(p, day, float(closes[p.col]), "closed", (p.premium - v) * p.contracts, v)
                else:
                    still.append(p)
            open_ = still
        if not last:
            cash = _open_positions(market, i, flt, rules, rate, snapshots, col_of, option_type, open_, shares, cost,
                                   paid, cash)  # fmt: skip
        marks = 0.0
        if open_:
            marks = float(
                np.sum(
                    option_value(
                        np.array([closes[p.col] for p in open_]), np.array([p.strike for p in open_]),
                        np.array([(p.expiration - day).days for p in open_], dtype=float),
                        np.array([p.sigma for p in open_]), rate, np.array([p.option_type == "call" for p in open_]),
                    ) * np.array([p.contracts for p in open_])
                )
            )  # fmt: skip
        equity = cash + sum(closes[c] * q for c, q in shares.items()) - marks
        bh = float(np.sum(bh_shares * closes[held])) if held.size else rules.capital
        result.equity.append((day.isoformat(), round(float(equity), 2), round(bh, 2)))
    shares_open = sum((market.closes[days[-1], c] - cost[c]) * q for c, q in shares.items())
    result.summary = _summary(result, rules.capital, start_day=market.dates[first], end_day=market.dates[days[-1]])
    result.summary["shares_pnl"] = round(float(share_pnl + shares_open), 2)
    result.summary["modelled_trades"] = sum(t["source"] == "modelled" for t in result.trades)
    result.summary["snapshot_trades"] = sum(t["source"] == "snapshot" for t in result.trades)
    result.buy_and_hold = _buy_and_hold(result, rules.capital, market, held, first, days[-1])
    return result


def _open_positions(market, i, flt, rules, rate, snapshots, col_of, option_type, open_, shares, cost, paid, cash):
    """Write the wheel's calls on shares held, then up to `per_day` new positions; returns the cash left."""
    day = market.dates[i]
    busy = {p.col for p in open_}
    covered = np.array(sorted(c for c in shares if c not in busy), dtype=int)
    if covered.size:
        floors = np.array([paid.get(c, cost[c]) for c in covered])
        for c in model_candidates(market, i, covered, "call", flt, rate, floors):
            n = shares[c["col"]] // 100
            if n > 0:
                cash += c["premium"] * n
                open_.append(_position(c, day, n))
                busy.add(c["col"])
    picked = 0
    free = cash - sum(p.strike * 100 * p.contracts for p in open_ if p.option_type == "put")
    candidates = _snapshot_candidates(snapshots.get(day, []), col_of, option_type, market.closes[i])
    if not candidates:
        cols = np.array([j for j in range(len(market.symbols)) if j not in busy and j not in shares], dtype=int)
        candidates = model_candidates(market, i, cols, option_type, flt, rate)
    for c in candidates:
        if picked >= rules.per_day:
            break
        if c["col"] in busy or c["col"] in shares:
            continue
        n = rules.contracts
        spot = float(market.closes[i, c["col"]])
        need = c["strike"] * 100 * n if option_type == "put" else spot * 100 * n
        if need > free:
            continue
        if option_type == "call":  # a covered-call config buys its shares, then writes the call
            cash -= spot * 100 * n
            shares[c["col"]], cost[c["col"]], paid[c["col"]] = 100 * n, spot, spot
        cash += c["premium"] * n
        free += c["premium"] * n - need
        open_.append(_position(c, day, n))
        busy.add(c["col"])
        picked += 1
    return cash


def _position(c: dict[str, Any], day: dt.date, n: int) -> _Position:
    return _Position(c["symbol"], c["col"], c["option_type"], c["strike"], c["expiration"], day, n, c["premium"],
                     c["sigma"], c["source"])  # fmt: skip


def _snapshot_candidates(docs, col_of, option_type, closes) -> list[dict[str, Any]]:
    """Stored snapshots of the day as candidates, in the order the screen ranked them."""
    out = []
    for doc in docs:
        col = col_of.get(doc.get("symbol"))
        try:
            strike, premium = float(doc["strike"]), float(doc["premium"])
            expiry = dt.date.fromisoformat(str(doc["expiration_date"])[:10])
        except (KeyError, TypeError, ValueError):
            continue
        if col is None or doc.get("option_type") != option_type or not np.isfinite(closes[col]) or premium <= 0:
            continue
        iv = doc.get("iv")
        sigma = float(iv) if isinstance(iv, (int, float)) and iv > 0 else 0.3
        out.append({"symbol": doc["symbol"], "col": col, "option_type": option_type, "strike": strike,
                    "expiration": expiry, "premium": round(premium, 2), "sigma": sigma,
                    "source": "snapshot"})  # fmt: skip
    return out


def _curve_figures(values: np.ndarray, capital: float, start_day: dt.date, end_day: dt.date) -> dict[str, float]:
    total = float(values[-1] / capital - 1) if values.size else 0.0
    years = max((end_day - start_day).days, 1) / 365.0
    annual = (1 + total) ** (1 / years) - 1 if total > -1 else -1.0
    peaks = np.maximum.accumulate(values) if values.size else values
    drawdown = float(np.max(1 - values / peaks)) if values.size else 0.0
    return {
        "final_equity": round(float(values[-1]) if values.size else capital, 2),
        "total_return_pct": round(total * 100, 4),
        "annualized_return_pct": round(annual * 100, 4),
        "max_drawdown_pct": round(drawdown * 100, 4),
    }


def _summary(result: Result, capital: float, *, start_day: dt.date, end_day: dt.date) -> dict[str, Any]:
    values = np.array([e[1] for e in result.equity])
    wins = sum(t["pnl"] > 0 for t in result.trades)
    figures = _curve_figures(values, capital, start_day, end_day)
    return {
        **figures,
        "trades": len(result.trades),
        "win_rate_pct": round(float(wins) / len(result.trades) * 100, 4) if result.trades else None,
        "options_pnl": round(float(sum(t["pnl"] for t in result.trades)), 2),
    }


def _buy_and_hold(result: Result, capital: float, market: Market, held, first: int, last: int) -> dict[str, Any]:
    values = np.array([e[2] for e in result.equity])
    figures = _curve_figures(values, capital, market.dates[first], market.dates[last])
    up = market.closes[last, held] > market.closes[first, held] if held.size else np.array([])
    figures["symbols"] = int(held.size)
    figures["win_rate_pct"] = round(float(up.mean()) * 100, 4) if up.size else None
    return figures


__all__ = ["Market", "ReplayStopped", "Result", "model_candidates", "option_value", "pick_expiry", "replay"]

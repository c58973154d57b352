"""From a provider's snapshot to rows ready to store: normalise -> validate -> enrich, pure NumPy, no I/O.

Every provider and every import goes through `prepare` / `prepare_batch` here and then `core.sync.store.write`
(one transaction, the caller's). Preparing types the chain, drops rows that cannot be a contract (no strike, no
expiry, expired) and flags the rest by the quality rules, solves IV from the mid for every row with a tradable
mid (the provider's IV is kept as vendor_iv, never used), and computes greeks and premiums with the one
definition in `core.pricing`, vectorised over the whole chain. The shape of a prepared contract
(CONTRACT_COLUMNS) is defined here; the store writes that shape.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.clock import MARKET_CLOSE, NEW_YORK, new_york_date
from core.pricing import bsm, iv, metrics, quality
from core.providers.base import ChainSnapshot, window_end

CONTRACT_KEY = ("symbol", "expiration_date", "option_type", "strike_price")
CONTRACT_COLUMNS = (
    *CONTRACT_KEY,
    "contract_symbol",
    "bid",
    "ask",
    "last",
    "mid",
    "premium",
    "volume",
    "open_interest",
    "implied_volatility",
    "iv_source",
    "vendor_iv",
    "delta",
    "gamma",
    "theta",
    "vega",
    "underlying_price",
    "last_trade_time",
    "quote_time",
    "fetched_at",
    "quality_flag",
    "contract_size",
)
TIME_COLUMNS = ("last_trade_time", "quote_time", "fetched_at")


@dataclass
class PreparedSymbol:
    """One symbol ready to write: its contracts (column arrays), profile, current state and today's history."""

    symbol: str
    contracts: dict[str, np.ndarray]
    stock: dict[str, Any]
    state: dict[str, Any]
    history: dict[str, Any]
    quarantined: Counter = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    window_end: dt.date | None = None  # the last expiry the sync asked for; None: every listed expiry

    @property
    def stored(self) -> int:
        return int(self.contracts["strike_price"].size)


def _numeric(chain: pd.DataFrame, name: str) -> np.ndarray:
    if name not in chain:
        return np.full(len(chain), np.nan)
    try:
        return chain[name].to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):  # text such as '-' or '1,234': coerce, bad cells become NaN
        return pd.to_numeric(chain[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def contract_sizes(chain: pd.DataFrame) -> np.ndarray:
    """Shares per contract from the chain's `contractSize`: a positive whole number where the provider gives one
    (a lot size: OpenAlgo's `lotsize`), else 100 (yfinance writes 'REGULAR' for a standard US equity option)."""
    if "contractSize" not in chain:
        return np.full(len(chain), float(metrics.CONTRACT_MULTIPLIER))
    column = chain["contractSize"]
    if not pd.api.types.is_numeric_dtype(column):  # yfinance's 'REGULAR' on every row: skip those, parse the rest
        other = (column != "REGULAR").to_numpy(dtype=bool, na_value=True)
        size = np.full(other.size, np.nan)
        if other.any():
            parsed = pd.to_numeric(column[other], errors="coerce")
            size[other] = parsed.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        size = _numeric(chain, "contractSize")
    whole = np.isfinite(size) & (size >= 1) & (np.floor(size) == size)
    return np.where(whole, size, float(metrics.CONTRACT_MULTIPLIER))


_OPTION_TYPES = {"call": "call", "calls": "call", "c": "call", "put": "put", "puts": "put", "p": "put"}


def _option_types(values: pd.Series) -> np.ndarray:
    unique, inverse = np.unique(values.to_numpy(dtype=object).astype(str), return_inverse=True)
    mapped = np.array([_OPTION_TYPES.get(u.strip().lower()) for u in unique] + [None], dtype=object)
    return mapped[inverse] if unique.size else np.array([], dtype=object)


def _dates(values) -> np.ndarray:
    if values is None:
        return np.array([], dtype="datetime64[D]")
    try:
        return np.asarray(values.to_numpy(), dtype="datetime64[D]")
    except (TypeError, ValueError):
        return pd.to_datetime(values, errors="coerce").to_numpy(dtype="datetime64[D]")


def utc_naive(values, n: int = 0) -> np.ndarray:
    """Timestamps as naive datetime64[us] meaning UTC, NaT where missing or unreadable.

    `values` is a Series, an index or a list of datetimes (aware, or strings with an offset); None gives `n`
    NaTs. Naive UTC is what COPY, SQLite and NumPy arithmetic want; aware values are converted, never guessed.
    """
    if values is None:
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[us]")
    if isinstance(getattr(values, "dtype", None), pd.DatetimeTZDtype):  # already aware: NumPy's view is UTC
        return values.to_numpy(dtype="datetime64[us]")
    stamps = pd.DatetimeIndex(pd.to_datetime(values, errors="coerce", utc=True))
    return stamps.tz_localize(None).to_numpy(dtype="datetime64[us]")


def normalise(snapshots: list[ChainSnapshot]) -> dict[str, np.ndarray]:
    """The snapshots' chains as typed column arrays, one row per contract key (the provider's last quote wins).

    Rows keep the snapshots' order; `snapshot` holds each row's position in `snapshots`. Rows whose key cannot
    be read (no option type, expiry or finite strike) come back with a None option_type, NaT expiry or NaN
    strike; `prepare_batch` counts and drops them.
    """
    frames = [s.chain for s in snapshots]
    chain = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0].reset_index(drop=True)
    n = len(chain)
    columns = {
        "snapshot": np.repeat(np.arange(len(frames)), [len(f) for f in frames]),
        "option_type": _option_types(chain["option_type"]) if n else np.array([], dtype=object),
        "expiration_date": _dates(chain["expiration"]) if n else np.array([], dtype="datetime64[D]"),
        "strike_price": _numeric(chain, "strike"),
        "bid": _numeric(chain, "bid"),
        "ask": _numeric(chain, "ask"),
        "last": _numeric(chain, "lastPrice"),
        "volume": _numeric(chain, "volume"),
        "open_interest": _numeric(chain, "openInterest"),
        "provider_iv": _numeric(chain, "impliedVolatility"),
        "contract_symbol": chain["contractSymbol"].to_numpy(dtype=object, na_value=None)
        if "contractSymbol" in chain
        else np.full(n, None, dtype=object),
        "last_trade_time": utc_naive(chain.get("lastTradeDate"), n),
        "contract_size": contract_sizes(chain),
    }
    if n > 1:
        order = np.lexsort(
            (
                np.arange(n),
                columns["strike_price"],
                columns["option_type"] == "call",
                columns["expiration_date"],
                columns["snapshot"],
            )
        )
        same_as_next = np.ones(n - 1, dtype=bool)
        for key in ("snapshot", "expiration_date", "option_type", "strike_price"):
            ordered = columns[key][order]
            same_as_next &= ordered[:-1] == ordered[1:]
        if same_as_next.any():
            keep = np.sort(order[np.append(~same_as_next, True)])
            columns = {name: values[keep] for name, values in columns.items()}
    return columns


def _epoch_seconds(moments: list[dt.datetime]) -> np.ndarray:
    return np.array([m.timestamp() for m in moments], dtype=np.float64)


def _expiry_close_seconds(expiry: np.ndarray) -> np.ndarray:
    """Per row, the POSIX time of its expiry day's 16:00 New York close."""
    unique, inverse = np.unique(expiry, return_inverse=True)
    closes = _epoch_seconds([dt.datetime.combine(d.astype(dt.date), MARKET_CLOSE, NEW_YORK) for d in unique])
    return closes[inverse] if unique.size else np.array([])


def prepare(snapshot: ChainSnapshot, *, fetched_at: dt.datetime, risk_free_rate: float) -> PreparedSymbol:
    """Normalise, validate and enrich one snapshot (pure; see the module docstring)."""
    return prepare_batch([snapshot], fetched_at=fetched_at, risk_free_rate=risk_free_rate)[0]


def prepare_batch(
    snapshots: list[ChainSnapshot], *, fetched_at: dt.datetime, risk_free_rate: float
) -> list[PreparedSymbol]:
    """`prepare` for many snapshots at once: one vectorised pass over all their rows (the sync's hot path).

    Per-call NumPy overhead dominates a 200-row chain, so a batch of symbols is priced as one array and split
    back per symbol at the end; the numbers are identical to preparing each symbol alone.
    """
    if not snapshots:
        return []
    symbols = [s.quote.symbol.strip().upper() for s in snapshots]
    spots = np.array([float(s.quote.price) if s.quote.price is not None else np.nan for s in snapshots])
    quote_times = [s.quote.quote_time for s in snapshots]
    as_ofs = [new_york_date(qt) for qt in quote_times]
    yields = np.array([float(s.profile.dividend_yield or 0.0) for s in snapshots])
    cols = normalise(snapshots)

    keyable = np.not_equal(cols["option_type"], None) & ~np.isnat(cols["expiration_date"])
    keyable &= np.isfinite(cols["strike_price"])
    unkeyable = np.bincount(cols["snapshot"][~keyable], minlength=len(snapshots))
    if not keyable.all():
        cols = {name: values[keyable] for name, values in cols.items()}

    row = cols["snapshot"]
    expiry = cols["expiration_date"]
    spot, q = spots[row], yields[row]
    is_call = cols["option_type"] == "call"
    strike, bid, ask = cols["strike_price"], cols["bid"], cols["ask"]
    days = metrics.dte(expiry, np.array(as_ofs, dtype="datetime64[D]")[row])
    t = (_expiry_close_seconds(expiry) - _epoch_seconds(quote_times)[row]) / (365.0 * 86400.0)
    mid = metrics.mid(bid, ask)
    # DESIGN section 4: our IV is always solved from the mid with the stock's dividend yield, and every greek
    # and probability comes from it; the provider's IV (another rate, no dividend, another quote time) is kept
    # as vendor_iv for comparison only. No tradable mid: no IV (and the quality rules keep the row unranked).
    provider_iv = cols["provider_iv"]
    vendor_iv = np.where(~metrics.is_placeholder_iv(provider_iv) & np.isfinite(provider_iv), provider_iv, np.nan)
    implied = np.full(mid.shape, np.nan)
    solve = np.isfinite(mid) & (t > 0)
    if solve.any():
        with np.errstate(all="ignore"):
            implied[solve] = iv.implied_vol(
                mid[solve], spot[solve], strike[solve], t[solve], risk_free_rate, q[solve], is_call[solve]
            )
    reasons = quality.flag_unsolved_iv(quality.quality_reasons(bid, ask, strike, spot, days, implied), implied)
    with np.errstate(all="ignore"):
        g = bsm.greeks(spot, strike, t, implied, risk_free_rate, q, is_call)
    iv_source = np.where(np.isfinite(implied), "solved", None)
    stored = (strike > 0) & (days > 0)  # not a contract, or nothing left to trade: counted, never stored
    batch = {
        "symbol": np.array(symbols, dtype=object)[row],
        "expiration_date": expiry,
        "option_type": cols["option_type"],
        "strike_price": strike,
        "contract_symbol": cols["contract_symbol"],
        "bid": bid,
        "ask": ask,
        "last": cols["last"],
        "mid": mid,
        "premium": metrics.premium(mid, cols["contract_size"]),
        "volume": cols["volume"],
        "open_interest": cols["open_interest"],
        "implied_volatility": implied,
        "iv_source": iv_source,
        "vendor_iv": vendor_iv,
        "delta": g.delta,
        "gamma": g.gamma,
        "theta": g.theta,
        "vega": g.vega,
        "underlying_price": spot,
        "last_trade_time": cols["last_trade_time"],
        "quote_time": utc_naive(quote_times)[row],
        "fetched_at": np.full(row.size, utc_naive([fetched_at])[0]),
        "quality_flag": reasons,
        "contract_size": cols["contract_size"],
        "_days": days,
        "_is_call": is_call,
        "_row": row,
    }
    batch = {name: values[stored] for name, values in batch.items()}
    bounds = np.searchsorted(batch["_row"], np.arange(len(snapshots) + 1))
    prepared = []
    for i, snapshot in enumerate(snapshots):
        mine = slice(bounds[i], bounds[i + 1])
        contracts = {name: values[mine] for name, values in batch.items()}
        counts: Counter[str] = Counter(r for r in reasons[row == i] if r is not None)
        if unkeyable[i]:
            counts["non_finite_key"] += int(unkeyable[i])
        prepared.append(_summarise(snapshot, symbols[i], float(spots[i]), as_ofs[i], contracts, counts, fetched_at))
    return prepared


def _summarise(
    snapshot: ChainSnapshot,
    symbol: str,
    spot: float,
    as_of: dt.date,
    contracts: dict[str, np.ndarray],
    counts: Counter,
    fetched_at: dt.datetime,
) -> PreparedSymbol:
    """Split off the bookkeeping columns and build the symbol's stock, state and history rows."""
    days, is_call = contracts.pop("_days"), contracts.pop("_is_call")
    contracts.pop("_row")
    quote, profile = snapshot.quote, snapshot.profile
    n = int(days.size)
    iv30, put30, call30 = atm_summary(
        days,
        contracts["strike_price"],
        is_call,
        contracts["implied_volatility"],
        contracts["mid"],
        np.equal(contracts["quality_flag"], None),
        spot,
    )
    stock = {
        "symbol": symbol,
        "contract_size": symbol_contract_size(days, contracts["contract_size"]),
        "name": profile.name,
        "sector": profile.sector,
        "industry": profile.industry,
        "market_cap": profile.market_cap,
        "avg_volume": profile.avg_volume,
        "current_price": _finite(spot),
        "exchange": profile.exchange,
        "dividend_yield": profile.dividend_yield,
        "next_earnings_date": profile.next_earnings,
        "ex_dividend_date": profile.ex_dividend,
        "last_updated": fetched_at,
    }
    state = {
        "symbol": symbol,
        "price": _finite(spot),
        "previous_close": quote.previous_close,
        "quote_time": quote.quote_time,
        "iv30": iv30,
        "contracts": n,
        "expirations": len(snapshot.expirations),
        "quarantined": dict(counts) or None,
        "sync_status": "synced",
        "fetched_at": fetched_at,
        "sync_max_dte": snapshot.max_dte,
    }
    history = {
        "symbol": symbol,
        "date": as_of,
        "close": _finite(spot),
        "iv30": iv30,
        "atm_put_mid_30d": put30,
        "atm_call_mid_30d": call30,
        "contracts": n,
        "fetched_at": fetched_at,
        "total_volume": int(np.nansum(contracts["volume"])),
        "total_open_interest": int(np.nansum(contracts["open_interest"])),
    }
    prepared = PreparedSymbol(symbol, contracts, stock, state, history, counts, list(snapshot.warnings))
    prepared.window_end = window_end(quote, snapshot.max_dte)
    return prepared


def symbol_contract_size(days: np.ndarray, sizes: np.ndarray) -> int:
    """The symbol's contract size: its nearest expiry's (most common) size, 100 when it has no contracts."""
    if not days.size:
        return metrics.CONTRACT_MULTIPLIER
    nearest = sizes[days == days.min()]
    values, counts = np.unique(nearest, return_counts=True)
    return int(values[np.argmax(counts)])


def contracts_frame(prepared: list[PreparedSymbol]) -> pd.DataFrame:
    """One DataFrame of every prepared symbol's contracts (store.CONTRACT_COLUMNS, UTC-aware times)."""
    frame = pd.DataFrame({name: np.concatenate([p.contracts[name] for p in prepared]) for name in CONTRACT_COLUMNS})
    for name in TIME_COLUMNS:
        frame[name] = pd.DatetimeIndex(frame[name]).tz_localize("UTC")
    frame["expiration_date"] = frame["expiration_date"].to_numpy(dtype="datetime64[D]").astype(object)
    return frame


def _finite(value) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None


def atm_summary(
    expiry_days: np.ndarray,
    strike: np.ndarray,
    is_call: np.ndarray,
    implied: np.ndarray,
    mid: np.ndarray,
    rankable: np.ndarray,
    spot: float,
) -> tuple[float | None, ...]:
    """ATM IV interpolated to 30 days in total variance, and the ATM put and call mids nearest 30 days.

    Per expiry, the ATM strike is the listed strike nearest the spot among rankable rows with an IV; its call
    and put IVs are averaged. Arrays in, plain floats out (pure NumPy: this runs once per synced symbol).
    """
    ok = rankable & np.isfinite(implied) & (expiry_days > 0)
    if not ok.any() or not np.isfinite(spot):
        return None, None, None
    days, k, call, vol, mids = expiry_days[ok], strike[ok], is_call[ok], implied[ok], mid[ok]
    expiries, group = np.unique(days, return_inverse=True)
    distance = np.abs(k - spot)
    nearest = np.full(expiries.size, np.inf)
    np.minimum.at(nearest, group, distance)
    atm = distance == nearest[group]
    count = np.bincount(group[atm], minlength=expiries.size)
    vols = np.bincount(group[atm], weights=vol[atm], minlength=expiries.size) / np.maximum(count, 1)
    variance = vols**2 * expiries
    if expiries[0] >= 30:
        iv30 = vols[0]
    elif expiries[-1] <= 30:
        iv30 = vols[-1]
    else:
        iv30 = np.sqrt(np.interp(30.0, expiries, variance) / 30.0)
    target = int(np.argmin(np.abs(expiries - 30)))
    in_target = atm & (group == target)
    return float(iv30), _first(mids[in_target & ~call]), _first(mids[in_target & call])


def _first(values: np.ndarray) -> float | None:
    return float(values[0]) if values.size and np.isfinite(values[0]) else None


__all__ = [
    "CONTRACT_COLUMNS",
    "CONTRACT_KEY",
    "TIME_COLUMNS",
    "PreparedSymbol",
    "atm_summary",
    "contracts_frame",
    "normalise",
    "prepare",
    "prepare_batch",
    "utc_naive",
]

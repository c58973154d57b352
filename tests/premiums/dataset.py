"""A seeded market of a few hundred contracts with every awkward case, and an independent pandas oracle.

The oracle is written from DESIGN section 4 alone (it never calls core.pricing or the scanner's helpers), so a
wrong formula or filter in the SQL shows up as a disagreement.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import insert
from sqlalchemy.orm import Session

from core.db.models import Stock, StockData, StockPremium, TvWatchlist, TvWatchlistSymbol, Watchlist

AS_OF = dt.date(2026, 3, 16)
FETCHED_AT = dt.datetime(2026, 3, 13, 21, 0, tzinfo=dt.UTC)
QUOTE_TIME = dt.datetime(2026, 3, 13, 20, 59, tzinfo=dt.UTC)  # the market time of the quotes, before the write
RATE = 0.04
SECTORS = ("Technology", "Health Care", "Energy", "Financials", None)
# days from AS_OF: already expired, expiring today, then weeklies and monthlies
EXPIRY_OFFSETS = (-3, 0, 4, 11, 18, 32, 46, 60, 95)


@dataclass
class Dataset:
    stocks: pd.DataFrame
    stock_data: pd.DataFrame
    contracts: pd.DataFrame


def build(seed: int = 20261122, n_symbols: int = 22) -> Dataset:
    """Random but seeded rows, plus hand-made ties (TIEA/TIEB) and rows that must never rank."""
    rng = np.random.default_rng(seed)
    more = np.random.default_rng(seed + 1)  # the columns added later: the original draws stay as they were
    stocks, data, contracts = [], [], []
    for i in range(n_symbols):
        symbol = f"R{i:02d}"
        spot = round(float(rng.uniform(20, 400)), 2)  # >= 20: the four strikes differ
        earnings = None if i % 5 == 0 else AS_OF + dt.timedelta(days=int(rng.integers(-10, 80)))
        stocks.append(
            {
                "symbol": symbol,
                "name": f"Random {i}",
                "sector": SECTORS[i % len(SECTORS)],
                "next_earnings_date": earnings,
                "dividend_yield": None if i % 4 == 0 else round(float(rng.uniform(0, 0.04)), 4),
                # on the as-of day itself for one stock: already ex, no early-assignment risk left
                "ex_dividend_date": None
                if i % 4 == 0
                else AS_OF + dt.timedelta(days=int(more.integers(-5, 70)) * (i != 3)),
                "market_cap": None if i % 9 == 4 else int(more.uniform(0.3, 900) * 1e9),
            }
        )
        if i % 6 != 0:  # some stocks have no stock_data row at all
            data.append(
                {
                    "symbol": symbol,
                    "iv_rank": None if i % 7 == 0 else round(float(rng.uniform(0, 100)), 1),
                    "iv_percentile": None if i % 7 == 0 else round(float(more.uniform(0, 100)), 1),
                    "hv20": None if i % 8 == 1 else round(float(more.uniform(0.1, 0.9)), 4),
                    "hv60": None if i % 8 == 1 else round(float(more.uniform(0.1, 0.9)), 4),
                }
            )
        for offset in rng.choice(EXPIRY_OFFSETS, size=5, replace=False):
            expiry = AS_OF + dt.timedelta(days=int(offset))
            for option_type in ("put", "call"):
                for moneyness in (0.85, 0.95, 1.0, 1.05):
                    contracts.append(
                        _random_contract(rng, symbol, expiry, option_type, round(spot * moneyness * 2) / 2, spot)
                    )
    stocks += [
        {
            "symbol": s,
            "name": f"Tie {s}",
            "sector": "Utilities",
            "next_earnings_date": None,
            "dividend_yield": 0.01,
            "ex_dividend_date": None,
            "market_cap": 10**10,
        }
        for s in ("TIEB", "TIEA")
    ]
    tie = {"iv_rank": 50.0, "iv_percentile": 40.0, "hv20": 0.25, "hv60": 0.3}
    data += [{"symbol": "TIEA", **tie}, {"symbol": "TIEB", **tie}]
    contracts += tie_contracts()
    return Dataset(pd.DataFrame(stocks), pd.DataFrame(data), pd.DataFrame(contracts))


def _random_contract(rng, symbol, expiry, option_type, strike, spot) -> dict:
    bid = round(float(rng.uniform(-0.02, 0.06)) * spot, 2)
    ask = round(max(bid, 0) + float(rng.uniform(0.01, 0.4)), 2)
    flag = None
    if bid <= 0:
        flag, bid = "bid_not_positive", max(bid, 0.0)
    elif rng.random() < 0.05:
        flag = "iv_out_of_bounds"
    mid = (bid + ask) / 2 if bid > 0 else None
    sign = -1 if option_type == "put" else 1
    row = {
        "symbol": symbol,
        "expiration_date": expiry,
        "option_type": option_type,
        "strike_price": strike,
        "contract_symbol": f"{symbol}{expiry:%y%m%d}{option_type[0].upper()}{int(strike * 1000):08d}",
        "bid": bid,
        "ask": ask,
        "mid": mid,
        "premium": None if mid is None else mid * 100,
        "volume": None if rng.random() < 0.15 else int(rng.integers(0, 500)),
        "open_interest": None if rng.random() < 0.1 else int(rng.integers(0, 3000)),
        "implied_volatility": None if rng.random() < 0.05 else round(float(rng.uniform(0.1, 1.2)), 4),
        "vendor_iv": None if rng.random() < 0.3 else round(float(rng.uniform(0.1, 1.2)), 4),
        "delta": None if rng.random() < 0.06 else sign * round(float(rng.uniform(0.05, 0.95)), 3),
        "underlying_price": spot,
        "quote_time": QUOTE_TIME,
        "fetched_at": FETCHED_AT,
        "quality_flag": flag,
    }
    if rng.random() < 0.03:  # a row imported without a mid or an underlying price: unflagged yet unrankable
        row["mid" if rng.random() < 0.5 else "underlying_price"] = None
    return row


def tie_contracts() -> list[dict]:
    """Exact ties: within TIEA (same expiry, premium/capital equal: strike 100 @ 1.00 vs 200 @ 2.00) and
    across TIEA/TIEB (identical best contracts), plus a flagged, richer row that must not win."""
    expiry = AS_OF + dt.timedelta(days=18)
    base = {
        "expiration_date": expiry,
        "option_type": "put",
        "bid": None,
        "ask": None,
        "volume": 100,
        "open_interest": 100,
        "implied_volatility": 0.3,
        "delta": -0.3,
        "underlying_price": 110.0,
        "quote_time": QUOTE_TIME,
        "fetched_at": FETCHED_AT,
        "quality_flag": None,
        "contract_symbol": None,
    }
    rows = []
    for symbol in ("TIEA", "TIEB"):
        for strike, mid in ((100.0, 1.0), (200.0, 2.0)):
            rows.append(
                {
                    **base,
                    "symbol": symbol,
                    "strike_price": strike,
                    "bid": mid - 0.05,
                    "ask": mid + 0.05,
                    "mid": mid,
                    "premium": mid * 100,
                    "underlying_price": 110.0 if strike == 100 else 210.0,
                }
            )
    rows.append(
        {
            **base,
            "symbol": "TIEA",
            "strike_price": 105.0,
            "bid": 0.0,
            "ask": 9.0,
            "mid": 4.5,
            "premium": 450.0,
            "quality_flag": "bid_not_positive",
        }
    )
    return rows


def insert_dataset(session: Session, data: Dataset) -> None:
    """executemany inserts of stocks, stock_data and stock_premiums into the test's session."""
    session.execute(insert(Stock), _records(data.stocks))
    session.execute(insert(StockData), _records(data.stock_data))
    session.execute(insert(StockPremium), _records(data.contracts))
    session.flush()


def add_watchlists(session: Session) -> None:
    """'wheel' in FluxScan watchlists (mixed case, an exchange prefix, a duplicate); 'tv-only' in tv_watchlists."""
    session.add(Watchlist(name="wheel", symbols=["r01", "NASDAQ:R02", "R03", "R03", "TIEB", "NOPE"]))
    tv = TvWatchlist(name="tv-only")
    session.add(tv)
    session.flush()
    session.add_all(
        [TvWatchlistSymbol(watchlist_id=tv.id, symbol=s, position=n) for n, s in enumerate(("R04", "R05", "TIEA"))]
    )
    session.add(Watchlist(name="empty", symbols=[]))
    session.flush()


WATCHLISTS = {"wheel": ["R01", "R02", "R03", "TIEB", "NOPE"], "tv-only": ["R04", "R05", "TIEA"], "empty": []}


def _records(frame: pd.DataFrame) -> list[dict]:
    def value(name, v):
        if isinstance(v, float) and math.isnan(v):
            return None
        return int(v) if name in ("volume", "open_interest", "market_cap") else v

    return [{k: value(k, v) for k, v in row.items()} for row in frame.astype(object).to_dict("records")]


# ---- the oracle ------------------------------------------------------------------------------------------
def _norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _prob_otm(row) -> float:
    s, k, sigma, t = row.underlying_price, row.strike_price, row.implied_volatility, row.dte / 365.0
    if not (sigma > 0 and t > 0):
        return math.nan
    q = 0.0 if pd.isna(row.dividend_yield) else row.dividend_yield
    d2 = (math.log(s / k) + (RATE - q - sigma * sigma / 2) * t) / (sigma * math.sqrt(t))
    return _norm_cdf(-d2) if row.option_type == "call" else _norm_cdf(d2)


def _within(dates, as_of, expiries, *, today_counts: bool) -> np.ndarray:
    """as_of <= date <= expiry (as_of < date <= expiry unless today_counts); False for a missing date."""
    return np.array(
        [
            e is not None and not pd.isna(e) and (as_of <= e if today_counts else as_of < e) and e <= x
            for e, x in zip(dates, expiries, strict=True)
        ],
        dtype=bool,
    )


def expected(data: Dataset, f, watchlist: list[str] | None = None) -> pd.DataFrame:
    """What the screen must return for filters `f`, computed row by row from DESIGN section 4."""
    as_of, call = f.as_of, f.strategy == "cc"
    d = data.contracts.merge(data.stocks, on="symbol", how="inner").merge(data.stock_data, on="symbol", how="left")
    d = d[d.option_type == ("call" if call else "put")].copy()
    for name in (
        "mid",
        "bid",
        "ask",
        "delta",
        "implied_volatility",
        "vendor_iv",
        "volume",
        "open_interest",
        "underlying_price",
        "iv_rank",
        "iv_percentile",
        "hv20",
        "hv60",
        "market_cap",
        "dividend_yield",
    ):
        d[name] = pd.to_numeric(d[name], errors="coerce").astype("float64")
    d["dte"] = [(e - as_of).days for e in d.expiration_date]
    price = d.bid if getattr(f, "price_basis", "mid") == "bid" else d.mid  # the fill: mid, or bid if conservative
    d["premium"] = price * 100
    d["capital"] = (d.underlying_price if call else d.strike_price) * 100
    d["monthly_return"] = d.premium / d.capital * (30 / d.dte) * 100
    d["annualized_return"] = d.premium / d.capital * (365 / d.dte) * 100
    d["intrinsic"] = ((d.underlying_price - d.strike_price) if call else (d.strike_price - d.underlying_price)).clip(
        lower=0
    ) * 100
    d["extrinsic"] = (d.premium - d.intrinsic).clip(lower=0)
    d["flat_return"] = d.extrinsic / d.capital * 100
    d["flat_annualized_return"] = d.flat_return * 365 / d.dte
    d["breakeven"] = d.underlying_price - price if call else d.strike_price - price
    d["cushion_pct"] = (d.underlying_price - d.breakeven) / d.underlying_price * 100
    otm = d.strike_price - d.underlying_price if call else d.underlying_price - d.strike_price
    d["pct_otm"] = otm / d.underlying_price * 100
    d["if_called_return"] = (
        (d.premium + (d.strike_price - d.underlying_price) * 100) / d.capital * 100 if call else np.nan
    )
    d["spread_pct"] = (d.ask - d.bid) / d.mid * 100
    d["iv_hv"] = d.implied_volatility / d.hv20.where(d.hv20 != 0)
    d["expected_move_pct"] = d.implied_volatility * np.sqrt(d.dte.where(d.dte > 0) / 365) * 100
    d["expected_move"] = d.underlying_price * d.implied_volatility * np.sqrt(d.dte.where(d.dte > 0) / 365)
    d["earnings_before_expiry"] = _within(d.next_earnings_date, as_of, d.expiration_date, today_counts=True)
    d["ex_dividend_before_expiry"] = _within(d.ex_dividend_date, as_of, d.expiration_date, today_counts=False)

    keep = (
        d.quality_flag.isna()
        & (d.mid > 0)
        & (d.strike_price > 0)
        & (d.underlying_price > 0)
        & (d.dte > 0)
        & (d.dte >= f.dte[0])
        & (d.dte <= f.dte[1])
    )
    if f.delta is not None:
        keep &= d.delta.abs().between(*f.delta)
    if f.price is not None:
        keep &= d.underlying_price.between(*f.price)
    if f.iv is not None:
        keep &= (d.implied_volatility * 100).between(*f.iv)
    for column, minimum in (
        ("premium", f.min_premium),
        ("monthly_return", f.min_monthly_return),
        ("annualized_return", f.min_annualized_return),
        ("volume", f.min_volume),
        ("open_interest", f.min_open_interest),
        ("iv_rank", f.min_iv_rank),
    ):
        if minimum is not None:
            keep &= d[column] >= minimum
    if f.max_spread_pct is not None:
        keep &= d.spread_pct <= f.max_spread_pct
    for column, scale, bounds in (
        ("hv20", 100, f.hv20),
        ("hv60", 100, f.hv60),
        ("iv_hv", 1, f.iv_hv),
        ("expected_move_pct", 1, f.expected_move_pct),
        ("market_cap", 1e-9, f.market_cap),
    ):
        if bounds is not None:
            keep &= (d[column] * scale).between(*bounds)
    if f.min_iv_percentile is not None:
        keep &= d.iv_percentile >= f.min_iv_percentile
    if f.exclude_ex_dividend and call:
        keep &= ~d.ex_dividend_before_expiry
    if f.sectors:
        keep &= d.sector.isin(f.sectors)
    if watchlist is not None:
        keep &= d.symbol.isin(watchlist)
    if f.exclude_earnings:
        earnings = d.next_earnings_date
        spans = [
            e is not None and not pd.isna(e) and as_of <= e <= x
            for e, x in zip(earnings, d.expiration_date, strict=True)
        ]
        keep &= ~np.array(spans, dtype=bool)
    d = d[keep]

    key = f.rank_by
    if not f.all_contracts:
        d = d.sort_values(
            ["symbol", key, "expiration_date", "strike_price"], ascending=[True, False, True, True]
        ).drop_duplicates("symbol")
    d = d.sort_values([key, "symbol", "expiration_date", "strike_price"], ascending=[False, True, True, True])
    d = d.head(f.limit).copy()
    d["prob_otm"] = [_prob_otm(r) for r in d.itertuples()] if len(d) else []
    return d.reset_index(drop=True)

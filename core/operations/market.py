"""The market overview a trader sees on the Overview page: how much of the universe has chains, how old the
quotes are, where implied volatility sits, and whose IV rank moved.

Everything comes from `stocks`, `stock_data` (one row per symbol: the quote time, IV30, today's IV rank) and
`symbol_daily_history` (IV30 per trading day). A past IV rank is recomputed here with the rule the sync uses for
today's (core.pricing.realised.iv_rank: where IV30 sits between its low and high of the year before, 0-100), so
"moved" means rank now minus rank then, both over their own year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import Stock, StockData, SymbolDailyHistory
from core.pricing.realised import IV_RANK_DAYS, iv_rank

YEAR = dt.timedelta(days=IV_RANK_DAYS)  # IV rank's window, as the sync computes it (core.sync.store)
MOVE_DAYS = 7  # "top movers": IV rank now against a week ago
TOP = 10
# Quote ages, by market time of the quote (never when the row was written): upper bound, label.
AGE_BUCKETS = (
    (dt.timedelta(minutes=15), "under 15 min"),
    (dt.timedelta(hours=1), "15 min - 1 h"),
    (dt.timedelta(days=1), "1 h - 1 day"),
    (dt.timedelta(days=7), "1 - 7 days"),
    (dt.timedelta.max, "over 7 days"),
)
NO_QUOTE = "no quote"
RANK_BINS = tuple(range(0, 101, 10))  # IV rank histogram: 0-10, 10-20, ... 90-100


@dataclass(frozen=True)
class MarketOverview:
    """The Overview page's market half. `movers_since` is None when there is not enough IV history to compare
    ranks: `movers` then holds today's highest IV ranks instead (the page says so)."""

    symbols: int
    with_chains: int
    by_sector: pd.DataFrame  # sector, symbols, with_chains, coverage_pct
    quote_ages: pd.DataFrame  # age, symbols (every bucket, in order)
    newest_quote: dt.datetime | None
    median_iv_rank: float | None
    median_iv30: float | None
    iv_rank_histogram: pd.DataFrame  # iv_rank (bin label), symbols
    movers: pd.DataFrame  # symbol, sector, iv_rank, iv_rank_before, change (before/change empty with no history)
    movers_since: dt.date | None


def _age_bucket(age: dt.timedelta | None) -> str:
    if age is None or pd.isna(age):
        return NO_QUOTE
    return next(label for bound, label in AGE_BUCKETS if age < bound)


def rank_on(points: pd.Series, day: dt.date) -> float | None:
    """IV rank (0-100) of the IV30 on `day` within the year before it (inclusive); None without two points.

    >>> s = pd.Series([0.20, 0.40, 0.30], index=[dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 3)])
    >>> round(rank_on(s, dt.date(2026, 1, 3)), 6)  # 0.30 halfway between the low 0.20 and the high 0.40
    50.0
    """
    window = points[(points.index >= day - YEAR) & (points.index <= day)]
    if day not in window.index or len(window) < 2:
        return None
    return iv_rank(window[day], window.min(), window.max())


def _movers(session: Session, stocks: pd.DataFrame) -> tuple[pd.DataFrame, dt.date | None]:
    ranked = stocks.dropna(subset=["iv_rank"])
    newest = session.scalar(select(SymbolDailyHistory.date).order_by(SymbolDailyHistory.date.desc()).limit(1))
    history = pd.DataFrame()
    if newest is not None and len(ranked):
        since = newest - dt.timedelta(days=MOVE_DAYS)
        rows = session.execute(
            select(SymbolDailyHistory.symbol, SymbolDailyHistory.date, SymbolDailyHistory.iv30).where(
                SymbolDailyHistory.date >= since - YEAR,
                SymbolDailyHistory.date <= since,
                SymbolDailyHistory.iv30.is_not(None),
            )
        ).all()
        history = pd.DataFrame(rows, columns=["symbol", "date", "iv30"])
    before = {}
    for symbol, points in history.groupby("symbol") if len(history) else ():
        series = points.set_index("date")["iv30"]
        rank = rank_on(series, series.index.max())
        if rank is not None:
            before[symbol] = rank
    columns = ["symbol", "sector", "iv_rank", "iv_rank_before", "change"]
    if not before:  # no rank a week ago to compare with: today's highest ranks
        top = ranked.sort_values(["iv_rank", "symbol"], ascending=[False, True]).head(TOP)
        return top.assign(iv_rank_before=float("nan"), change=float("nan"))[columns].reset_index(drop=True), None
    moved = ranked[ranked["symbol"].isin(before)].copy()
    moved["iv_rank_before"] = moved["symbol"].map(before)
    moved["change"] = moved["iv_rank"] - moved["iv_rank_before"]
    moved = moved.assign(size=moved["change"].abs()).sort_values(["size", "symbol"], ascending=[False, True])
    return moved.head(TOP)[columns].reset_index(drop=True), newest - dt.timedelta(days=MOVE_DAYS)


def market_overview(session: Session, now: dt.datetime) -> MarketOverview:
    """Coverage, quote ages at `now`, the IV regime and the IV-rank movers of the whole universe."""
    rows = session.execute(
        select(
            Stock.symbol, Stock.sector, StockData.contracts, StockData.quote_time, StockData.iv30, StockData.iv_rank
        ).outerjoin(StockData, StockData.symbol == Stock.symbol)
    ).all()
    stocks = pd.DataFrame(rows, columns=["symbol", "sector", "contracts", "quote_time", "iv30", "iv_rank"])
    stocks["sector"] = stocks["sector"].fillna("Unknown")
    stocks["has_chain"] = stocks["contracts"].fillna(0) > 0
    by_sector = (
        stocks.groupby("sector")
        .agg(symbols=("symbol", "size"), with_chains=("has_chain", "sum"))
        .reset_index()
        .sort_values(["symbols", "sector"], ascending=[False, True])
        .reset_index(drop=True)
    )
    by_sector["with_chains"] = by_sector["with_chains"].astype(int)
    by_sector["coverage_pct"] = 100.0 * by_sector["with_chains"] / by_sector["symbols"]

    quoted = stocks[stocks["has_chain"]]
    times = pd.to_datetime(quoted["quote_time"], utc=True)
    ages = (pd.Timestamp(now) - times).map(lambda a: _age_bucket(None if pd.isna(a) else a.to_pytimedelta()))
    order = [label for _, label in AGE_BUCKETS] + [NO_QUOTE]
    counts = ages.value_counts()
    quote_ages = pd.DataFrame({"age": order, "symbols": [int(counts.get(label, 0)) for label in order]})

    ranks = stocks["iv_rank"].dropna()
    bins = pd.cut(ranks, bins=list(RANK_BINS), include_lowest=True, right=True)
    labels = [f"{lo}-{hi}" for lo, hi in zip(RANK_BINS, RANK_BINS[1:], strict=False)]
    histogram = pd.DataFrame({"iv_rank": labels, "symbols": [int(n) for n in bins.value_counts(sort=False)]})
    movers, since = _movers(session, stocks)
    return MarketOverview(
        symbols=len(stocks),
        with_chains=int(stocks["has_chain"].sum()),
        by_sector=by_sector,
        quote_ages=quote_ages,
        newest_quote=times.max().to_pydatetime() if times.notna().any() else None,
        median_iv_rank=float(ranks.median()) if len(ranks) else None,
        median_iv30=float(stocks["iv30"].dropna().median()) if stocks["iv30"].notna().any() else None,
        iv_rank_histogram=histogram,
        movers=movers,
        movers_since=since,
    )


__all__ = ["AGE_BUCKETS", "MarketOverview", "market_overview", "rank_on"]

"""Daily history for test runs, read through `sandbox_historical_cache` (one row per symbol, data type and
window, until `expires_at`): closes from the provider's daily history (the stored `symbol_daily_history` closes
when the provider has none), implied vols from `symbol_daily_history.iv30` where they were stored.

A window that ended more than a week ago no longer changes, so it is kept for CACHE_PAST; a window reaching
into the last week is kept a day (its last bars may still be revised).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import SandboxHistoricalCache, SymbolDailyHistory
from core.lab.replay import VOL_WINDOW, Market
from core.providers.base import MarketDataProvider, ProviderError

DATA_TYPE = "daily_close"
CACHE_PAST = dt.timedelta(days=30)
CACHE_RECENT = dt.timedelta(days=1)
LOOKBACK = dt.timedelta(days=VOL_WINDOW * 2 + 5)  # calendar days before the start that feed the first vols


def cache_key(provider: str, symbol: str, start: dt.date, end: dt.date) -> str:
    return f"{DATA_TYPE}:{provider}:{symbol}:{start.isoformat()}:{end.isoformat()}"


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def load_closes(
    session: Session, provider: MarketDataProvider, provider_name: str, symbols: list[str], start: dt.date,
    end: dt.date, *, now: dt.datetime | None = None,
) -> tuple[dict[str, list[list[Any]]], dict[str, str]]:  # fmt: skip
    """Bars [[iso date, close], ...] per symbol for `start`..`end`, cached; and the symbols that failed, why."""
    now = now or utcnow()
    keys = {cache_key(provider_name, s, start, end): s for s in symbols}
    cached = {
        row.cache_key: row
        for row in session.scalars(select(SandboxHistoricalCache).where(SandboxHistoricalCache.cache_key.in_(keys)))
    }
    bars: dict[str, list[list[Any]]] = {}
    failed: dict[str, str] = {}
    fresh: list[dict[str, Any]] = []
    keep = CACHE_PAST if end < now.date() - dt.timedelta(days=7) else CACHE_RECENT
    for key, symbol in keys.items():
        row = cached.get(key)
        if row is not None and _aware(row.expires_at) > now:
            bars[symbol] = row.data
            continue
        try:
            frame = provider.history(symbol, start, end)
            data = [[d.date().isoformat(), float(c)] for d, c in frame["close"].dropna().items()]
        except ProviderError as exc:
            data, reason = [], str(exc)
        else:
            reason = "no daily history in the window"
        if not data:
            data = _stored_closes(session, symbol, start, end)
        if not data:
            failed[symbol] = reason
            continue
        bars[symbol] = data
        fresh.append({"cache_key": key, "symbol": symbol, "data_type": DATA_TYPE, "data": data,
                      "expires_at": now + keep})  # fmt: skip
    if fresh:
        session.execute(delete(SandboxHistoricalCache).where(SandboxHistoricalCache.cache_key.in_(
            [f["cache_key"] for f in fresh])))  # fmt: skip
        session.add_all(SandboxHistoricalCache(**f) for f in fresh)
        session.flush()
    return bars, failed


def _stored_closes(session: Session, symbol: str, start: dt.date, end: dt.date) -> list[list[Any]]:
    rows = session.execute(
        select(SymbolDailyHistory.date, SymbolDailyHistory.close)
        .where(SymbolDailyHistory.symbol == symbol, SymbolDailyHistory.date.between(start, end))
        .where(SymbolDailyHistory.close.is_not(None))
        .order_by(SymbolDailyHistory.date)
    ).all()
    return [[d.isoformat(), float(c)] for d, c in rows]


def stored_ivs(session: Session, symbols: list[str], start: dt.date, end: dt.date) -> pd.DataFrame:
    """iv30 as stored by syncs (a fraction), dates x symbols; empty where none was stored."""
    rows = session.execute(
        select(SymbolDailyHistory.date, SymbolDailyHistory.symbol, SymbolDailyHistory.iv30)
        .where(SymbolDailyHistory.symbol.in_(symbols), SymbolDailyHistory.date.between(start, end))
        .where(SymbolDailyHistory.iv30.is_not(None))
    ).all()
    if not rows:
        return pd.DataFrame()
    frame = pd.DataFrame(rows, columns=["date", "symbol", "iv"])
    return frame.pivot_table(index="date", columns="symbol", values="iv", aggfunc="last")


def build_market(bars: dict[str, list[list[Any]]], ivs: pd.DataFrame) -> Market:
    """Days x symbols arrays (symbols sorted; closes forward-filled across a symbol's missing days)."""
    symbols = sorted(bars)
    closes = pd.DataFrame(
        {s: pd.Series({dt.date.fromisoformat(d): c for d, c in bars[s]}, dtype=float) for s in symbols}
    ).sort_index()
    closes = closes.ffill()
    iv = ivs.reindex(index=closes.index, columns=symbols) if not ivs.empty else None
    iv_values = iv.to_numpy(float) if iv is not None else np.full(closes.shape, np.nan)
    return Market(list(closes.index), symbols, closes.to_numpy(float), iv_values)


__all__ = ["CACHE_PAST", "DATA_TYPE", "LOOKBACK", "build_market", "cache_key", "load_closes", "stored_ivs"]

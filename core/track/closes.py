"""The underlying's close on an expiration day: from `symbol_daily_history` when a row there was written after
that day's close, else the provider's daily bar, which is then cached there (docs/track-record.md).

A sync writes the day's `symbol_daily_history` row with the price at the moment it ran, so a row fetched before
the 16:00 New York close is an intraday price, not the close: only a row fetched after the close is trusted. The
provider's bar refreshes only `close` and `fetched_at` of the row (the sync's IV summary stays). A close that
cannot be had is a reason, never a guess: the provider failed, or it has no bar for that day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import Connection, select

from core.db.base import utcnow
from core.db.models import SymbolDailyHistory
from core.providers.base import MarketDataProvider, ProviderError
from core.sync.store import upsert_daily_history
from core.track.record import expiry_moment
from core.wording import shorten


def stored_closes(conn: Connection, symbol: str, days: Iterable[dt.date]) -> dict[dt.date, float]:
    """The closes of `days` that `symbol_daily_history` holds from after each day's close."""
    days = sorted(set(days))
    rows = conn.execute(
        select(SymbolDailyHistory.date, SymbolDailyHistory.close, SymbolDailyHistory.fetched_at).where(
            SymbolDailyHistory.symbol == symbol, SymbolDailyHistory.date.in_(days)
        )
    )
    return {
        day: close
        for day, close, fetched in rows
        if close is not None and close > 0 and _aware(fetched) >= expiry_moment(day)
    }


def expiry_closes(
    conn: Connection, provider: MarketDataProvider, symbol: str, days: Iterable[dt.date]
) -> dict[dt.date, float | str]:
    """Per day, the close (float) or why it is unknown (str); fetched closes are cached in the caller's
    transaction."""
    days = sorted(set(days))
    found: dict[dt.date, float | str] = dict(stored_closes(conn, symbol, days))
    missing = [day for day in days if day not in found]
    if not missing:
        return found
    try:
        bars = provider.history(symbol, missing[0], missing[-1])
    except ProviderError as exc:
        return found | {day: f"the provider failed for {symbol}: {shorten(str(exc), 200)}" for day in missing}
    closes = {stamp.date(): float(close) for stamp, close in bars["close"].items() if close == close and close > 0}
    now, fetched = utcnow(), []
    for day in missing:
        if day in closes:
            found[day] = closes[day]
            fetched.append({"symbol": symbol, "date": day, "close": closes[day], "fetched_at": now})
        else:
            found[day] = f"the provider has no daily close for {symbol} on {day.isoformat()}"
    upsert_daily_history(conn, fetched)
    return found


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


__all__ = ["expiry_closes", "stored_closes"]

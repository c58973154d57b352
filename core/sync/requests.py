"""Turning "sync all / this watchlist / these symbols" into a queued run (what the CLI and the pages call)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.db.models import JobRun, Stock, Watchlist
from core.providers import get_provider
from core.sync import queue

SYMBOL_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9.\-^=]{0,19}$")


class SyncRequestError(ValueError):
    """The request names nothing to sync, an unknown watchlist, or malformed symbols."""


@dataclass(frozen=True)
class SyncRequest:
    all_symbols: bool = False
    watchlist: str | None = None
    symbols: tuple[str, ...] = ()
    provider: str | None = None
    source: str | None = None
    as_of: dt.date | None = None
    requested_by: str | None = None


def parse_symbols(text: str) -> tuple[str, ...]:
    """'aapl, MSFT ,brk-b' -> ('AAPL', 'MSFT', 'BRK-B'); raises SyncRequestError naming bad entries."""
    symbols = [s.strip().upper() for s in text.split(",") if s.strip()]
    bad = [s for s in symbols if not SYMBOL_PATTERN.match(s)]
    if bad:
        raise SyncRequestError(f"not ticker symbols: {', '.join(bad)}")
    if not symbols:
        raise SyncRequestError("no symbols given")
    return tuple(dict.fromkeys(symbols))


def resolve_symbols(session: Session, request: SyncRequest) -> tuple[str, list[str]]:
    """The scope key and the symbol list of a request."""
    if request.all_symbols:
        symbols = list(session.scalars(select(Stock.symbol).where(Stock.is_active).order_by(Stock.symbol)))
        if not symbols:
            symbols = get_provider(request.provider, source=request.source, as_of=request.as_of).universe()
        if not symbols:
            raise SyncRequestError(
                "nothing to sync: the database has no stocks and the provider lists none "
                "(run `python -m core demo`, or sync --symbols A,B)"
            )
        return queue.sync_scope(all_symbols=True), symbols
    if request.watchlist is not None:
        watchlist = session.scalar(select(Watchlist).where(Watchlist.name == request.watchlist))
        if watchlist is None:
            raise SyncRequestError(f"no watchlist named {request.watchlist!r}")
        return queue.sync_scope(watchlist=request.watchlist), [str(s).upper() for s in watchlist.symbols]
    if request.symbols:
        return queue.sync_scope(symbols=list(request.symbols)), list(request.symbols)
    raise SyncRequestError("say what to sync: --all, --watchlist NAME or --symbols A,B")


def enqueue_sync(session: Session, request: SyncRequest) -> tuple[JobRun, bool]:
    """Queue a sync run for `request` (or return the one of the same scope already queued or running)."""
    from core.config import get_settings

    scope, symbols = resolve_symbols(session, request)
    provider = request.provider or get_settings().market_data_provider
    params = {"source": request.source, "as_of": request.as_of.isoformat() if request.as_of else None}
    return queue.enqueue_run(
        session,
        kind="sync",
        scope=scope,
        symbols=symbols,
        provider=provider,
        params=params,
        requested_by=request.requested_by,
    )

"""Resolving snapshots past expiry: the underlying's close on the expiration day decides expired, assigned or
called away, and the P&L and realised returns (core.track.outcome). One provider call per symbol and pass, in
one transaction per symbol; a snapshot whose close is unknown keeps `outcome` NULL, says why in
`unresolved_reason`, and is tried again at the next pass (docs/track-record.md)."""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, select, update

from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import OpportunitySnapshot
from core.jobs.logs import fields
from core.providers import UnknownProvider, get_provider
from core.providers.base import MarketDataProvider, ProviderError
from core.track.closes import expiry_closes
from core.track.outcome import CannotResolve, resolve

log = logging.getLogger("wheelhouse.track")

ProviderFactory = Callable[..., MarketDataProvider]
MAX_SYMBOLS = 200  # symbols asked of the provider per pass: a long backlog is worked off over several passes


@dataclass(frozen=True)
class ResolvePass:
    """What one pass did: snapshots resolved, and still unresolved (with a reason)."""

    resolved: int = 0
    unresolved: int = 0


def resolve_due(
    engine: Engine,
    provider_factory: ProviderFactory = get_provider,
    now: dt.datetime | None = None,
    max_symbols: int = MAX_SYMBOLS,
) -> ResolvePass:
    """Resolve every unresolved snapshot whose contract expired before `now` (default: now)."""
    now = now or utcnow()
    with unit_of_work(engine) as session:
        due = session.execute(
            select(OpportunitySnapshot.id, OpportunitySnapshot.symbol, OpportunitySnapshot.data)
            .where(OpportunitySnapshot.outcome.is_(None), OpportunitySnapshot.expires_at <= now)
            # never tried first: snapshots whose close stays unknown must not starve the new ones of the budget
            .order_by(
                OpportunitySnapshot.unresolved_reason.is_not(None),
                OpportunitySnapshot.expires_at,
                OpportunitySnapshot.id,
            )
        ).all()
    groups: dict[tuple[str | None, str | None, str], list[tuple[int, dict]]] = defaultdict(list)
    for snapshot_id, symbol, data in due:
        groups[(data.get("provider"), data.get("source"), symbol)].append((snapshot_id, data))
    providers: dict[tuple[str | None, str | None], MarketDataProvider | str] = {}
    resolved = unresolved = 0
    for (name, source, symbol), snapshots in list(groups.items())[:max_symbols]:
        if (name, source) not in providers:
            providers[(name, source)] = _provider(provider_factory, name, source)
        provider = providers[(name, source)]
        with unit_of_work(engine, write=True) as session:
            if isinstance(provider, str):
                closes: dict[dt.date, float | str] = {}
            else:
                days = [dt.date.fromisoformat(data["expiration_date"]) for _, data in snapshots]
                closes = expiry_closes(session.connection(), provider, symbol, days)
            for snapshot_id, data in snapshots:
                close = (
                    provider if isinstance(provider, str) else closes[dt.date.fromisoformat(data["expiration_date"])]
                )
                values = _resolution(data, close, now)
                session.execute(update(OpportunitySnapshot).where(OpportunitySnapshot.id == snapshot_id).values(values))
                resolved += values["outcome"] is not None
                unresolved += values["outcome"] is None
    if resolved or unresolved:
        log.info("track record resolved", extra=fields(resolved=resolved, unresolved=unresolved))
    return ResolvePass(resolved, unresolved)


def _resolution(data: dict, close: float | str, now: dt.datetime) -> dict:
    """The snapshot's new resolution columns for this close (or reason)."""
    if isinstance(close, str):
        return {"outcome": None, "unresolved_reason": close}
    try:
        result = resolve(data["option_type"], data["strike"], data["premium"], data["capital"], data["dte"], close)
    except (CannotResolve, KeyError, TypeError) as exc:
        return {"outcome": None, "unresolved_reason": f"the snapshot cannot be resolved: {exc}"}
    return {
        "outcome": result.outcome,
        "resolved_at": now,
        "underlying_close": result.close,
        "pnl": result.pnl,
        "realized_return": result.realized_return,
        "realized_annualized_return": result.realized_annualized_return,
        "unresolved_reason": None,
    }


def _provider(factory: ProviderFactory, name: str | None, source: str | None) -> MarketDataProvider | str:
    """The provider the snapshot's sync used, or why it cannot be built."""
    try:
        return factory(name, source=source)
    except (UnknownProvider, ProviderError, OSError) as exc:  # every snapshot of it says so
        return f"the provider {name!r} cannot be used: {exc}"


__all__ = ["MAX_SYMBOLS", "ResolvePass", "resolve_due"]

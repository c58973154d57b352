"""Recording a tracked screen after a completed universe sync: one `scan_sessions` row per screen and quote date,
one `opportunity_snapshots` row per result, with the numbers as screened (docs/track-record.md).

The quote date is the New York date the sync's quotes are for: its `as_of` when it was asked for one, else the
day it finished. The screen runs as of that date, so DTE and every return are what the screen showed then. The
unique key on (screen_name, quote_date) makes a second sync the same day, or a second sidecar doing the same at
the same moment, record nothing more. A screen that cannot run (its watchlist was deleted) still gets its
session, status FAILED, so it is not retried on every poll.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.clock import MARKET_CLOSE, NEW_YORK, new_york_date
from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import JobRun, OpportunitySnapshot, ScanSession
from core.jobs.logs import fields
from core.premiums.export import json_rows
from core.premiums.filters import PremiumFilters
from core.premiums.saved_screens import tracked_screens
from core.premiums.screen import DatabaseScanner, InvalidFilters
from core.sync.requests import sync_scope

log = logging.getLogger("wheelhouse.track")

UNIVERSE = sync_scope(all_symbols=True)


@dataclass(frozen=True)
class Recorded:
    """One tracked screen's session after a sync: its quote date, status and how many snapshots it stored."""

    screen: str
    quote_date: dt.date
    status: str  # COMPLETED | FAILED
    opportunities: int


def expiry_moment(expiration: dt.date) -> dt.datetime:
    """When a contract expires: the 16:00 New York close of its expiration day, in UTC."""
    return dt.datetime.combine(expiration, MARKET_CLOSE, NEW_YORK).astimezone(dt.UTC)


def quote_date(run: JobRun) -> dt.date:
    """The New York date of a sync's quotes: the `as_of` it was asked for, else the day it finished."""
    as_of = (run.params or {}).get("as_of")
    return dt.date.fromisoformat(as_of) if as_of else new_york_date(run.finished_at or run.created_at)


def latest_universe_sync(session: Session) -> JobRun | None:
    """The newest universe sync (Sync All) that completed."""
    return session.scalars(
        select(JobRun)
        .where(JobRun.scope == UNIVERSE, JobRun.status == "completed", JobRun.finished_at.is_not(None))
        .order_by(JobRun.finished_at.desc(), JobRun.id.desc())
        .limit(1)
    ).first()


def record_after_sync(engine: Engine) -> list[Recorded]:
    """Record every tracked screen not yet recorded for the newest completed universe sync's quote date."""
    with unit_of_work(engine) as session:
        run = latest_universe_sync(session)
        screens = tracked_screens(session) if run is not None else {}
        if not screens:
            return []
        day = quote_date(run)
        done = set(
            session.scalars(
                select(ScanSession.screen_name).where(
                    ScanSession.quote_date == day, ScanSession.screen_name.in_(list(screens))
                )
            )
        )
        source = {"run_id": run.id, "provider": run.provider, "source": (run.params or {}).get("source")}
    recorded = []
    for name, filters in screens.items():
        if name in done:
            continue
        try:
            with unit_of_work(engine, write=True) as session:
                recorded.append(record_screen(session, name, filters, day, **source))
        except IntegrityError:  # another sidecar recorded it a moment ago
            log.info("tracked screen already recorded", extra=fields(screen=name, quote_date=str(day)))
    return recorded


def record_screen(
    session: Session,
    name: str,
    filters: PremiumFilters,
    day: dt.date,
    *,
    run_id: int | None = None,
    provider: str | None = None,
    source: str | None = None,
) -> Recorded:
    """Run `filters` as of `day` and store its session and snapshots in the caller's transaction."""
    row = ScanSession(strategy=filters.strategy, screen_name=name, quote_date=day, job_run_id=run_id)
    session.add(row)
    session.flush()  # the unique key on (screen_name, quote_date) answers here
    try:
        frame = DatabaseScanner(session).best_per_symbol(replace(filters, as_of=day))
    except InvalidFilters as exc:
        log.warning("tracked screen %r cannot run: %s", name, exc)
        row.status, row.completed_at = "FAILED", utcnow()
        return Recorded(name, day, "FAILED", 0)
    basis = {"screen": name, "quote_date": day.isoformat(), "price_basis": filters.price_basis}
    basis |= {"provider": provider, "source": source}
    snapshots = []
    for doc in json_rows(frame):
        contract = doc.get("contract_symbol") or (
            f"{doc['symbol']} {doc['expiration_date']} {doc['option_type']} {doc['strike']}"
        )
        snapshots.append(
            {
                "opportunity_id": f"{name}|{day.isoformat()}|{contract}",
                "symbol": doc["symbol"],
                "strategy_type": filters.strategy,
                "data": {**doc, **basis},
                "expires_at": expiry_moment(dt.date.fromisoformat(doc["expiration_date"])),
                "scan_session_id": row.id,
                "created_at": utcnow(),
            }
        )
    if snapshots:
        session.execute(insert(OpportunitySnapshot), snapshots)
    row.status, row.opportunities_found, row.completed_at = "COMPLETED", len(snapshots), utcnow()
    log.info("tracked screen recorded", extra=fields(screen=name, quote_date=str(day), found=len(snapshots)))
    return Recorded(name, day, "COMPLETED", len(snapshots))


__all__ = ["UNIVERSE", "Recorded", "expiry_moment", "latest_universe_sync", "quote_date", "record_after_sync"]

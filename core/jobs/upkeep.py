"""What keeps a sidecar's world in order: waiting for the database at start, filling the market calendars on
first start, and the leader's housekeeping (rows past retention; calendars topped up for this year and next).

Housekeeping reads the retention each time it runs: the RETENTION_* settings the sidecar started with, under the
overrides an admin stored (core.jobs.retention), and records what it removed. Besides its periodic timer it runs
when an admin asked for it ("Run housekeeping now" on the Operations page): `housekeep_if_requested`, a leader
timer, looks for such a request every minute or so."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from core.calendars import DEFAULT_EXCHANGES, fill_calendars
from core.db.base import utcnow
from core.db.engine import DatabaseError, check_connection, unit_of_work
from core.db.models import TradingHoursTemplate
from core.jobs import health
from core.jobs import retention as policy
from core.jobs.backoff import Backoff, is_database_down
from core.jobs.logs import fields

log = logging.getLogger("wheelhouse.sidecar")


def wait_for_database(engine: Engine, stop: threading.Event, backoff: Backoff) -> bool:
    """Wait (backing off) until the database answers; False if `stop` was set first."""
    while not stop.is_set():
        try:
            check_connection(engine)
            break
        except DatabaseError as exc:
            delay = backoff.failed()
            log.warning(
                "database unavailable at start; retrying", extra=fields(retry_in=f"{delay:.0f}s", error=str(exc))
            )
            stop.wait(delay)
    if stop.is_set():
        return False
    backoff.succeeded()
    return True


def ensure_calendars(engine: Engine) -> None:
    """Fill the calendar tables on first start (when no exchange template exists yet)."""
    with unit_of_work(engine) as session:
        have = set(
            session.scalars(
                select(TradingHoursTemplate.exchange_code).where(
                    TradingHoursTemplate.exchange_code.in_(DEFAULT_EXCHANGES)
                )
            )
        )
    missing = [code for code in DEFAULT_EXCHANGES if code not in have]
    if not missing:
        return
    try:
        with unit_of_work(engine, write=True) as session:
            reports = fill_calendars(session, missing)
    except IntegrityError:  # another sidecar filled it at the same moment
        log.info("calendar filled by another sidecar")
        return
    except Exception as exc:
        if is_database_down(exc):
            raise
        log.exception("could not fill the market calendars; market-hours rules treat markets as always open")
        return
    for report in reports:
        log.info(
            "calendar filled",
            extra=fields(exchange=report.exchange_code, sessions=report.sessions_added, holidays=report.holidays_added),
        )


def housekeep(engine: Engine, defaults: health.Retention) -> dict[str, int]:
    """Delete rows past retention (`defaults` under the stored overrides), record what went, top up calendars."""
    started = utcnow()  # recorded as the run's time: a request made while it runs is not taken as served
    with unit_of_work(engine) as session:
        retention = policy.effective(session, defaults)
    removed = health.housekeeping(engine, retention, started)
    with unit_of_work(engine, write=True) as session:
        policy.record_run(session, removed, retention, started)
    log.info("housekeeping", extra=fields(**{k: v for k, v in removed.items() if v}))
    with unit_of_work(engine, write=True) as session:
        for report in fill_calendars(session):
            if report.holidays_added or report.sessions_added:
                log.info(
                    "calendar topped up", extra=fields(exchange=report.exchange_code, holidays=report.holidays_added)
                )
    return removed


def housekeep_if_requested(engine: Engine, defaults: health.Retention) -> bool:
    """Run housekeeping if an admin asked for it since the last run; True when it ran."""
    with unit_of_work(engine) as session:
        requested = policy.pending_request(session)
    if requested is None:
        return False
    log.info("housekeeping requested", extra=fields(requested_at=requested.isoformat()))
    housekeep(engine, defaults)
    return True


__all__ = ["ensure_calendars", "housekeep", "housekeep_if_requested", "wait_for_database"]

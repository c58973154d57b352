"""What the sidecar's jobs do (core.sync.sidecar wires them into APScheduler and guards them)."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import logging
import time
import traceback
from typing import TYPE_CHECKING

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from core.calendars import DEFAULT_EXCHANGES, CalendarNotFound, fill_calendars, is_market_open
from core.db.base import utcnow
from core.db.engine import DatabaseError, check_connection, unit_of_work
from core.db.migrate import require_current_schema
from core.db.models import JobItem, JobRun, TradingHoursTemplate
from core.sync import health, queue
from core.sync.backoff import is_database_down
from core.sync.logs import fields
from core.sync.requests import SyncRequest, SyncRequestError, enqueue_sync

if TYPE_CHECKING:
    from core.sync.sidecar import Sidecar

log = logging.getLogger("wheelhouse.sidecar")
SCAN_HOOK_MODULE = "core.scanner.jobs"


def load_scan_hook(module_name: str = SCAN_HOOK_MODULE):
    """`run_scan_run(engine, run_id)` from the scanner engine if it is installed, else None (scan runs wait)."""
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None
        log.exception("scanner engine %s failed to import; scan runs stay queued", module_name)
        return None
    except Exception:
        log.exception("scanner engine %s failed to import; scan runs stay queued", module_name)
        return None
    return getattr(module, "run_scan_run", None)


def startup(sidecar: Sidecar) -> bool:
    """Wait for the database (backing off), insist on the current schema, fill empty calendars; False if stopped."""
    while not sidecar.stop.is_set():
        try:
            check_connection(sidecar.engine)
            break
        except DatabaseError as exc:
            delay = sidecar.backoff.failed()
            log.warning(
                "database unavailable at start; retrying", extra=fields(retry_in=f"{delay:.0f}s", error=str(exc))
            )
            sidecar.stop.wait(delay)
    if sidecar.stop.is_set():
        return False
    sidecar.backoff.succeeded()
    require_current_schema(sidecar.engine)  # a wrong schema is not worth retrying: exit with one line
    ensure_calendars(sidecar.engine)
    return True


def ensure_calendars(engine) -> None:
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
        with unit_of_work(engine) as session:
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


def work_queue(sidecar: Sidecar) -> int:
    """Claim and work sync items until none is claimable, then hand scan runs to the scanner engine."""
    with sidecar.engine.begin() as conn:  # anything this worker still holds is from a failed pass: requeue it
        queue.release_items(conn, sidecar.worker_id)
    started, progress = time.monotonic(), {"items": 0, "failed": 0, "contracts": 0, "logged": time.monotonic()}

    def on_batch(result) -> None:
        progress["items"] += len(result.outcomes)
        progress["failed"] += sum(o.status == "failed" for o in result.outcomes)
        progress["contracts"] += sum(o.contracts for o in result.outcomes)
        if time.monotonic() - progress["logged"] >= 10:
            progress["logged"] = time.monotonic()
            log.info(
                "sync progress",
                extra=fields(items=progress["items"], contracts=progress["contracts"], failed=progress["failed"]),
            )

    done = sidecar.worker.run_until_idle(on_batch=on_batch)
    if done:
        log.info(
            "queue idle",
            extra=fields(
                items=done,
                contracts=progress["contracts"],
                failed=progress["failed"],
                seconds=round(time.monotonic() - started, 1),
            ),
        )
    if sidecar.scan_hook is not None and not sidecar.stop.is_set():
        extras = scan_hook_options(sidecar)
        for run_id in _scan_runs(sidecar.engine):
            sidecar.scan_hook(sidecar.engine, run_id, **extras)
    return done


def scan_hook_options(sidecar: Sidecar) -> dict:
    """The keyword arguments the scanner engine's hook accepts of: worker_id, stop (SIGTERM), lease."""
    try:
        accepted = inspect.signature(sidecar.scan_hook).parameters
    except (TypeError, ValueError):
        return {}
    offered = {"worker_id": sidecar.worker_id, "stop": sidecar.stop, "lease": sidecar.settings.lease}
    return {name: value for name, value in offered.items() if name in accepted}


def _scan_runs(engine) -> list[int]:
    """Scan runs with an item to claim now (queued, or leased by a worker whose lease lapsed)."""
    claimable = (JobItem.status == "queued") | ((JobItem.status == "running") & (JobItem.lease_expires_at < utcnow()))
    with engine.connect() as conn:
        return list(
            conn.scalars(
                select(JobRun.id)
                .where(
                    JobRun.kind == "scan",
                    JobRun.status.in_(("queued", "running")),
                    exists().where(JobItem.run_id == JobRun.id, claimable),
                )
                .order_by(JobRun.id)
            )
        )


def outstanding_items(sidecar: Sidecar) -> int:
    """Items not yet final in runs this sidecar can work (scan runs only when the scanner engine is installed)."""
    kinds = ("sync", "scan") if sidecar.scan_hook is not None else ("sync",)
    with sidecar.engine.connect() as conn:
        return conn.execute(
            select(func.count())
            .select_from(JobItem)
            .join(JobRun, JobRun.id == JobItem.run_id)
            .where(
                JobRun.kind.in_(kinds),
                JobRun.status.in_(("queued", "running")),
                JobItem.status.in_(("queued", "running")),
            )
        ).scalar_one()


def universe_sync(sidecar: Sidecar) -> None:
    """The periodic Sync All (skipped outside market hours when SYNC_MARKET_HOURS_ONLY)."""
    settings = sidecar.settings
    if settings.sync_market_hours_only:
        try:
            with sidecar.engine.connect() as conn:
                if not is_market_open(conn, settings.market_exchange):
                    log.info("universe sync skipped: market closed", extra=fields(exchange=settings.market_exchange))
                    return
        except CalendarNotFound as exc:
            log.warning("universe sync runs without market hours: %s", exc)
    try:
        with unit_of_work(sidecar.engine) as session:
            run, created = enqueue_sync(session, SyncRequest(all_symbols=True, requested_by="sidecar"))
            run_id, total = run.id, run.total_items
    except SyncRequestError as exc:
        log.warning("universe sync not enqueued: %s", exc)
        return
    log.info(
        "universe sync enqueued" if created else "universe sync already queued or running",
        extra=fields(run_id=run_id, symbols=total),
    )


def first_universe_sync(sidecar: Sidecar) -> dt.datetime:
    """When the periodic Sync All is next due: an interval after the last one requested, or after now.

    Counting from the last request rather than from start-up means a sidecar restarted more often than the
    interval (deploys, a crash loop) still syncs on time instead of putting it off again at every start.
    """
    interval = dt.timedelta(minutes=sidecar.settings.sync_interval_minutes)
    now = utcnow()
    with sidecar.engine.connect() as conn:
        last = conn.execute(select(func.max(JobRun.created_at)).where(JobRun.scope == "sync:all")).scalar()
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=dt.UTC)
    return max(now, (last or now) + interval)


def housekeep(sidecar: Sidecar) -> None:
    """Delete rows past retention and top up calendars for this year and next."""
    removed = health.housekeeping(sidecar.engine, sidecar.settings.retention)
    log.info("housekeeping", extra=fields(**{k: v for k, v in removed.items() if v}))
    with unit_of_work(sidecar.engine) as session:
        for report in fill_calendars(session):
            if report.holidays_added or report.sessions_added:
                log.info(
                    "calendar topped up", extra=fields(exchange=report.exchange_code, holidays=report.holidays_added)
                )


def record_failure(sidecar: Sidecar, job: str, exc: BaseException) -> None:
    """Write a failed job to critical_error_logs (best effort: the database may be why it failed)."""
    try:
        health.record_error(
            sidecar.engine,
            "sidecar_job_failed",
            f"{job}: {type(exc).__name__}: {exc}",
            {"job": job, "worker_id": sidecar.worker_id, "traceback": "".join(traceback.format_exception(exc))[-4000:]},
        )
    except Exception:  # already logged above; never fail the failure path
        log.debug("could not record the failure", exc_info=True)


def database_recovered(sidecar: Sidecar, seconds: float, failures: int) -> None:
    """Log and record an outage once the database answers again."""
    log.warning("database reachable again", extra=fields(outage_seconds=round(seconds, 1), failures=failures))
    error = sidecar.last_error[1] if sidecar.last_error else "database unreachable"
    try:
        health.record_error(
            sidecar.engine,
            "database_unavailable",
            f"sidecar lost the database for {seconds:.0f} s ({failures} failed attempts): {error}",
            {"worker_id": sidecar.worker_id, "seconds": round(seconds, 1), "failures": failures},
        )
    except Exception:  # it may be gone again; the next recovery records it
        log.debug("could not record the outage", exc_info=True)


__all__ = [
    "database_recovered",
    "ensure_calendars",
    "first_universe_sync",
    "housekeep",
    "load_scan_hook",
    "outstanding_items",
    "record_failure",
    "startup",
    "universe_sync",
    "work_queue",
]

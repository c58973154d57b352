"""Queued scanner runs: `enqueue_scan` (the page, schedules) and `run_scan_run` (the sidecar's `scan` job kind).

A scan run is a `job_runs` row of kind 'scan' with one item per symbol, like a sync. `run_scan_run` claims
the run's items in chunks under a lease, gathers their bars through the cache, runs the chunk in ONE sandbox
worker (started once per run, children forked per batch) and writes, in one transaction per chunk, the
chunk's `scan_results` (linked to the run's `scan_history` row) together with the items' outcomes -- 'synced'
meaning scanned, 'failed' with the reason -- so a crash repeats at most the chunk in flight and duplicates
nothing. When the run closes, its `scan_history` gets its final status, counts, time and errors.

No run can jam the queue. A result the database refuses (whatever passed the sandbox's cleaning) fails its own
symbol with the reason; the chunk is then written symbol by symbol and its other results are kept. Anything
else that breaks a run gives its items back with the reason -- each claim counted as an attempt, so after
queue.MAX_ATTEMPTS they fail and the run closes -- and `work_scan_runs` goes on to the next run. Only a lost
database stops the pass: that is no run's fault, and the sidecar backs off.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session

from core.config import get_settings
from core.db.base import utcnow
from core.db.engine import first_line
from core.db.models import FINAL_RUN_STATUSES, JobItem, JobRun, ScanHistory, Scanner, ScanResult, Watchlist
from core.jobs import health, queue
from core.jobs.backoff import is_database_down
from core.jobs.fires import scan_scope
from core.jobs.kinds import JobContext, JobKind
from core.providers import get_provider
from core.scanner.box import clean
from core.scanner.box.validate import validate
from core.scanner.engine import gather_inputs
from core.scanner.market import MarketData
from core.scanner.params import ParamError, typed_params
from core.scanner.sandbox import Limits, Sandbox, SandboxFailed, SandboxUnavailable
from core.symbols import SymbolListError, parse_ticker_list, plain_tickers
from core.wording import shorten

log = logging.getLogger("wheelhouse.scanner")

KIND = "scan"  # the job_runs.kind of a scanner run
CHUNK = 500
SCANNED, FAILED = "synced", "failed"  # job_items statuses: a scanned item reuses the sync vocabulary


class ScanRequestError(ValueError):
    """The request names an unknown scanner or watchlist, or no symbols."""


def enqueue_scan(
    session: Session,
    scanner_id: int,
    watchlist_id: int | None = None,
    symbols: list[str] | None = None,
    requested_by: str | None = None,
    params: dict[str, Any] | None = None,
    provider: str | None = None,
    as_of: dt.date | None = None,
) -> tuple[JobRun, bool]:
    """Queue a run of a scanner over a watchlist or symbols; returns (run, created) like a sync.

    A second request for the same scanner and scope while one is queued or running returns that one (a run as
    of a past day is a scope of its own). A draft (a scanner saved with validation problems) is refused: its run
    could only fail. `as_of` is the day the run's bars end (default: the day it runs).
    """
    scanner = session.get(Scanner, scanner_id)
    if scanner is None:
        raise ScanRequestError(f"no scanner with id {scanner_id}")
    if scanner.draft:
        raise ScanRequestError(
            f"scanner {scanner.name!r} is a draft (saved with validation problems): fix them and save it first"
        )
    if watchlist_id is not None:
        watchlist = session.get(Watchlist, watchlist_id)
        if watchlist is None:
            raise ScanRequestError(f"no watchlist with id {watchlist_id}")
        names = list(plain_tickers(watchlist.symbols or []))
        scope = scan_scope(scanner_id, watchlist_id)
    elif symbols:
        try:
            names = list(parse_ticker_list(symbols))
        except SymbolListError as exc:
            raise ScanRequestError(str(exc)) from None
        scope = f"scan:{scanner_id}:symbols:{hashlib.sha1(','.join(sorted(names)).encode()).hexdigest()[:16]}"
    else:
        raise ScanRequestError("say what to scan: a watchlist or some symbols")
    run_params = {"scanner_id": scanner_id, "watchlist_id": watchlist_id, "params": params or {}}
    if as_of is not None:
        scope, run_params["as_of"] = f"{scope}:as-of:{as_of.isoformat()}", as_of.isoformat()
    return queue.enqueue_run(
        session,
        kind=KIND,
        scope=scope,
        symbols=names,
        provider=provider or get_settings().market_data_provider,
        params=run_params,
        requested_by=requested_by,
    )


def run_scan_run(
    engine: Engine,
    run_id: int,
    *,
    worker_id: str | None = None,
    chunk: int = CHUNK,
    lease: dt.timedelta = queue.DEFAULT_LEASE,
    stop: threading.Event | None = None,
    limits: Limits | None = None,
    provider_factory: Callable[..., Any] = get_provider,
) -> int:
    """Execute the queued scan run `run_id` until none of its items is left to claim (see the module docstring).

    Returns how many of the run's items this worker finished (scanned or failed).
    """
    worker = worker_id or queue.new_worker_id()
    stop = stop or threading.Event()
    started = time.monotonic()
    with engine.begin() as conn:
        run = conn.execute(select(JobRun).where(JobRun.id == run_id)).one_or_none()
    if run is None or run.kind != KIND:
        raise ValueError(f"job run {run_id} is not a scan run")
    if run.status in FINAL_RUN_STATUSES:
        _finish_history(engine, run_id)
        return 0
    params = run.params or {}
    history_id, scanner = _start_history(engine, run_id, params)
    if scanner is None:
        return _fail_everything(engine, worker, run_id, "the scanner was deleted", lease)
    problem = None
    issues = validate(scanner.code)
    if issues:
        problem = "rejected: " + "; ".join(str(i) for i in issues[:5])
    try:
        typed = typed_params(scanner.parameters, params.get("params"))
    except ParamError as exc:
        problem = problem or str(exc)
    if problem:
        return _fail_everything(engine, worker, run_id, problem, lease)
    claims = _claim(engine, worker, chunk, lease, run_id)  # first: whatever breaks from here on spends an attempt
    as_of = dt.date.fromisoformat(params["as_of"]) if params.get("as_of") else None
    market = MarketData(
        engine, run.provider, source=params.get("source"), as_of=as_of, provider_factory=provider_factory
    )
    exchange = _exchange(engine, params.get("watchlist_id"))
    done = 0
    try:
        if claims:  # the worker starts only when there is work: another sidecar may hold every item
            with Sandbox(limits=limits) as sandbox:
                while claims and not stop.is_set():
                    done += _scan_chunk(
                        engine, worker, sandbox, market, scanner, typed, claims, history_id, exchange, lease
                    )
                    claims = [] if stop.is_set() else _claim(engine, worker, chunk, lease, run_id)
    except SandboxUnavailable as exc:
        return done + _fail_everything(engine, worker, run_id, str(exc), lease, claims)
    finally:
        if stop.is_set():
            with engine.begin() as conn:
                queue.release_items(conn, worker, reason="its worker was stopped while working on it")
    log.info("scan run %s: worked %.1f s", run_id, time.monotonic() - started)
    _finish_history(engine, run_id)
    return done


def work_scan_runs(ctx: JobContext) -> int:
    """The `scan` job kind's work: every scan run with a claimable item, oldest first, until `ctx.stop`.

    A run that breaks is given back (see the module docstring) and the next one is served; a lost database
    propagates, for the sidecar's back-off.
    """
    with ctx.engine.connect() as conn:
        run_ids = queue.claimable_runs(conn, KIND)
    done = 0
    for run_id in run_ids:
        if ctx.stop.is_set():
            break
        try:
            done += run_scan_run(ctx.engine, run_id, worker_id=ctx.worker_id, lease=ctx.lease, stop=ctx.stop)
        except Exception as exc:
            if is_database_down(exc):
                raise
            _give_back(ctx, run_id, exc)
    return done


def _give_back(ctx: JobContext, run_id: int, exc: Exception) -> None:
    """Release what a broken run left claimed, with the reason (an attempt spent), and record the failure once.

    A run that broke before claiming anything has its items claimed and released here: every failing pass
    spends an attempt of the run's items, so even a run that cannot start ends after MAX_ATTEMPTS passes.
    """
    reason = clean.error(f"{type(exc).__name__}: {first_line(exc)}")
    log.exception("scan run %s failed; its items go back to the queue", run_id)
    with ctx.engine.begin() as conn:
        if not queue.release_items(conn, ctx.worker_id, reason=reason):
            claims = queue.claim_items(conn, ctx.worker_id, 1_000_000, ctx.lease, run_id=run_id, kind=KIND)
            queue.release_items(conn, ctx.worker_id, [c.item_id for c in claims], reason=reason)
    health.record_error(
        ctx.engine, "scan_run_failed", f"scan run {run_id}: {reason}", {"run_id": run_id, "worker": ctx.worker_id}
    )


def scan_run_kind() -> JobKind:
    """Scanner runs as a job kind of the sidecar (registered in core.sidecar)."""
    return JobKind(KIND, work_scan_runs)


def _claim(engine: Engine, worker: str, chunk: int, lease: dt.timedelta, run_id: int) -> list[queue.Claim]:
    with engine.begin() as conn:
        return queue.claim_items(conn, worker, chunk, lease, run_id=run_id, kind=KIND)


def _scan_chunk(engine, worker, sandbox, market, scanner, typed, claims, history_id, exchange, lease) -> int:
    """Scan one chunk of claimed items in the sandbox and record it; returns how many items were recorded."""
    by_symbol = {c.symbol: c for c in claims}
    inputs, missing = gather_inputs(scanner.code, list(by_symbol), market)
    beat = [time.monotonic()]

    def heartbeat(_done: int) -> None:
        if time.monotonic() - beat[0] > lease.total_seconds() / 3:
            with engine.begin() as conn:
                queue.extend_leases(conn, worker, [c.item_id for c in claims], lease)
            beat[0] = time.monotonic()

    try:
        outcomes = sandbox.run(scanner.code, inputs, typed, on_progress=heartbeat)
    except SandboxFailed as exc:
        outcomes = []
        missing.update({i.symbol: f"sandbox failure: {exc}" for i in inputs})
    now = utcnow()
    rows: list[tuple[queue.ItemOutcome, dict[str, Any] | None]] = []
    for outcome in outcomes:
        claim = by_symbol[outcome.symbol]
        if outcome.error is not None:
            rows.append((queue.ItemOutcome(claim.item_id, FAILED, error=outcome.error[:1000]), None))
            continue
        result = None
        if outcome.result is not None:
            result = {
                "scanner_id": scanner.id,
                "scan_history_id": history_id,
                "symbol": outcome.symbol,
                "exchange": exchange,
                "signal": outcome.result["signal"],
                "metrics": outcome.result["metrics"],
                "timestamp": now,
            }
        rows.append((queue.ItemOutcome(claim.item_id, SCANNED), result))
    rows += [(queue.ItemOutcome(by_symbol[s].item_id, FAILED, error=clean.error(e)), None) for s, e in missing.items()]
    _store(engine, worker, history_id, rows)
    return len(rows)


def _store(engine: Engine, worker: str, history_id: int, rows: list[tuple[queue.ItemOutcome, dict | None]]) -> None:
    """Write a chunk's results and outcomes in one transaction; if the database refuses that, symbol by symbol.

    A refused result (a string the driver cannot store, a value over a column's size, a constraint: the data's
    fault, not the database's) then fails its own symbol with the reason, and every other result is kept.
    """
    try:
        _write(engine, worker, history_id, rows)
        return
    except Exception as exc:
        if is_database_down(exc):
            raise
        log.warning("a chunk's results were refused (%s); storing its %d symbols one at a time", exc, len(rows))
    for outcome, result in rows:
        try:
            _write(engine, worker, history_id, [(outcome, result)])
        except Exception as exc:
            if is_database_down(exc):
                raise
            reason = clean.error(f"the database refused its result: {type(exc).__name__}: {first_line(exc)}")
            _write(engine, worker, history_id, [(queue.ItemOutcome(outcome.item_id, FAILED, error=reason), None)])


def _write(engine: Engine, worker: str, history_id: int, rows: list[tuple[queue.ItemOutcome, dict | None]]) -> None:
    """One transaction: the rows' results, their items' outcomes and the history's running counts."""
    results = [result for _, result in rows if result is not None]
    scanned = sum(outcome.status == SCANNED for outcome, _ in rows)
    with engine.begin() as conn:
        if results:
            conn.execute(insert(ScanResult), results)
        queue.record_outcomes(conn, worker, [outcome for outcome, _ in rows])
        conn.execute(
            update(ScanHistory)
            .where(ScanHistory.id == history_id)
            .values(
                symbols_scanned=func.coalesce(ScanHistory.symbols_scanned, 0) + scanned,
                signals_found=func.coalesce(ScanHistory.signals_found, 0) + len(results),
            )
        )


def _start_history(engine: Engine, run_id: int, params: dict[str, Any]) -> tuple[int | None, Any]:
    """The run's scan_history id (created on its first start) and its scanner's row (None if deleted)."""
    with engine.begin() as conn:
        scanner = conn.execute(
            select(Scanner.id, Scanner.code, Scanner.parameters).where(Scanner.id == params.get("scanner_id"))
        ).one_or_none()
        history_id = conn.execute(select(JobRun.scan_history_id).where(JobRun.id == run_id)).scalar_one()
        if scanner is None or history_id is not None:
            return history_id, scanner
        history_id = conn.execute(
            insert(ScanHistory)
            .values(
                scanner_id=scanner.id,
                watchlist_id=params.get("watchlist_id"),
                status="running",
                symbols_scanned=0,
                signals_found=0,
                started_at=utcnow(),
            )
            .returning(ScanHistory.id)
        ).scalar_one()
        claimed = conn.execute(
            update(JobRun)
            .where(JobRun.id == run_id, JobRun.scan_history_id.is_(None))
            .values(scan_history_id=history_id)
        ).rowcount
        if not claimed:  # another worker linked its own row first: use that one
            conn.execute(ScanHistory.__table__.delete().where(ScanHistory.id == history_id))
            history_id = conn.execute(select(JobRun.scan_history_id).where(JobRun.id == run_id)).scalar_one()
    return history_id, scanner


def _fail_everything(
    engine: Engine, worker: str, run_id: int, reason: str, lease: dt.timedelta, held: list[queue.Claim] | None = None
) -> int:
    """Mark every remaining item of the run (and the `held` ones) failed with `reason`: rejected, no sandbox.

    Returns how many items were failed.
    """
    claims, failed = list(held or []), 0
    while True:
        with engine.begin() as conn:
            claims += queue.claim_items(conn, worker, 5000, lease, run_id=run_id, kind=KIND)
            if not claims:
                break
            queue.record_outcomes(
                conn, worker, [queue.ItemOutcome(c.item_id, FAILED, error=reason[:1000]) for c in claims]
            )
        failed += len(claims)
        claims = []
    with engine.begin() as conn:
        history_id = conn.execute(select(JobRun.scan_history_id).where(JobRun.id == run_id)).scalar_one()
        if history_id is not None:
            conn.execute(update(ScanHistory).where(ScanHistory.id == history_id).values(error_message=reason))
    _finish_history(engine, run_id)
    return failed


def _finish_history(engine: Engine, run_id: int) -> None:
    """Once the run is closed, give its scan_history row the final status, counts, time and errors."""
    with engine.begin() as conn:
        run = conn.execute(
            select(
                JobRun.status,
                JobRun.scan_history_id,
                JobRun.started_at,
                JobRun.finished_at,
                JobRun.total_items,
                JobRun.failed_items,
            ).where(JobRun.id == run_id)
        ).one()
        if run.scan_history_id is None or run.status not in FINAL_RUN_STATUSES:
            return
        history = conn.execute(
            select(ScanHistory.completed_at, ScanHistory.started_at, ScanHistory.error_message).where(
                ScanHistory.id == run.scan_history_id
            )
        ).one_or_none()
        if history is None or history.completed_at is not None:
            return
        errors = conn.execute(
            select(JobItem.symbol, JobItem.error_message)
            .where(JobItem.run_id == run_id, JobItem.status == FAILED)
            .limit(5)
        ).all()
        summary = history.error_message
        if errors and not summary:
            summary = "; ".join(f"{s}: {e}" for s, e in errors)
            if run.failed_items > len(errors):
                summary += f" (and {run.failed_items - len(errors)} more)"
        started = history.started_at or run.started_at or utcnow()
        finished = run.finished_at or utcnow()
        results = conn.execute(
            select(func.count()).select_from(ScanResult).where(ScanResult.scan_history_id == run.scan_history_id)
        ).scalar_one()
        conn.execute(
            update(ScanHistory)
            .where(ScanHistory.id == run.scan_history_id)
            .values(
                status=run.status,
                completed_at=finished,
                signals_found=results,
                execution_time_ms=max(0, int((finished - started).total_seconds() * 1000)),
                error_message=shorten(summary, 4000) if summary else None,
            )
        )


def _exchange(engine: Engine, watchlist_id: int | None) -> str | None:
    if watchlist_id is None:
        return None
    with engine.connect() as conn:
        return conn.execute(select(Watchlist.exchange).where(Watchlist.id == watchlist_id)).scalar_one_or_none()

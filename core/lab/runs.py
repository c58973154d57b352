"""Test runs (`sandbox_test_runs`) as queued jobs of kind 'lab' (DESIGN section 6 and 12).

`enqueue_test_run` stores the run's parameters and queues a `job_runs` row with one item per symbol of the
config's universe. `run_test_run` (the sidecar's `lab` kind, or `--inline`) claims them all -- a replay needs
the whole universe at once, so one worker owns a run -- loads each chunk's history through the cache, recording
the chunk's items as it goes (the progress bar), then replays the config and stores the results with the last
chunk's items, so a run that says completed has its results. A run cancelled (core.jobs.queue.cancel_run) is
seen between chunks and every few replayed days: it stops, and its test run says where it stopped.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.config import get_settings
from core.db.base import utcnow
from core.db.models import (
    JobItem,
    JobRun,
    OpportunitySnapshot,
    SandboxTestRun,
    ScanSession,
    Stock,
    SymbolDailyHistory,
    Watchlist,
)
from core.jobs import queue
from core.jobs.kinds import JobContext, JobKind
from core.lab.configs import LabConfig, plain_config
from core.lab.history import LOOKBACK, build_market, load_closes, stored_ivs
from core.lab.replay import ReplayStopped, replay
from core.lab.rules import Rules
from core.premiums.filters import PremiumFilters
from core.providers import get_provider
from core.symbols import plain_tickers

log = logging.getLogger("wheelhouse.lab")
KIND = "lab"
CHUNK = 25
DONE, FAILED, CANCELLED = "synced", "failed", "cancelled"  # job_items statuses (the queue's vocabulary)
MAX_DAYS = 366 * 5


class RunRequestError(ValueError):
    """A test run that cannot start: bad dates, no symbols."""


def universe(session: Session, config: LabConfig, provider_factory=get_provider) -> list[str]:
    """The symbols a config's screen covers: its watchlist, else every symbol with stored daily history, else the
    provider's universe; narrowed to the screen's sectors."""
    flt = config.filters
    if flt.watchlist:
        row = session.scalar(select(Watchlist).where(Watchlist.name == flt.watchlist))
        if row is None:
            raise RunRequestError(f"the config's watchlist {flt.watchlist!r} does not exist")
        symbols = list(plain_tickers(row.symbols or []))
    else:
        symbols = list(session.scalars(select(SymbolDailyHistory.symbol).distinct()))
        if not symbols:
            symbols = provider_factory().universe()
    if flt.sectors:
        in_sectors = set(session.scalars(select(Stock.symbol).where(Stock.sector.in_(flt.sectors))))
        symbols = [s for s in symbols if s in in_sectors]
    return sorted(set(symbols))


def enqueue_test_run(
    session: Session, config: LabConfig, start: dt.date, end: dt.date, *, requested_by: str | None = None,
    symbols: list[str] | None = None, provider: str | None = None,
) -> tuple[SandboxTestRun, JobRun]:  # fmt: skip
    """Store a test run's parameters and queue its job; returns both rows (flushed, not committed)."""
    if end <= start:
        raise RunRequestError(f"the end ({end}) must be after the start ({start})")
    if (end - start).days > MAX_DAYS:
        raise RunRequestError("a test run covers at most five years")
    names = sorted(set(symbols)) if symbols else universe(session, config)
    if not names:
        raise RunRequestError("the config's screen covers no symbols (check its watchlist and sectors)")
    provider = provider or get_settings().market_data_provider
    test = SandboxTestRun(
        config_id=config.id,
        test_parameters={
            "config": config.name,
            "screen": config.screen,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "rules": config.rules.to_json(),
            "filters": config.filters.to_json(),
            "provider": provider,
            "symbols": len(names),
            "requested_by": requested_by,
            "requested_at": utcnow().isoformat(),
        },  # fmt: skip
        test_results={"status": "queued"},
    )
    session.add(test)
    session.flush()
    run, _ = queue.enqueue_run(session, kind=KIND, scope=f"lab:{test.id}", symbols=names, provider=provider,
                               params={"test_run_id": test.id}, requested_by=requested_by)  # fmt: skip
    session.flush()
    test.test_parameters = {**test.test_parameters, "job_run_id": run.id}
    session.flush()
    return test, run


def _status(engine: Engine, run_id: int) -> str:
    with engine.connect() as conn:
        return conn.execute(select(JobRun.status).where(JobRun.id == run_id)).scalar_one()


def _store(engine: Engine, test_id: str, results: dict[str, Any], found: int = 0) -> None:
    with engine.begin() as conn:
        conn.execute(
            SandboxTestRun.__table__.update()
            .where(SandboxTestRun.id == test_id)
            .values(test_results=results, opportunities_found=found)
        )


def _snapshots(engine: Engine, config: LabConfig, start: dt.date, end: dt.date) -> dict[dt.date, list[dict]]:
    """The config's screen's stored snapshots by quote date, in the order they were stored (the screen's rank)."""
    if not config.screen:
        return {}
    by_day: dict[dt.date, list[dict]] = {}
    with Session(engine) as session:
        # by the quotes' date, not the day the row was written: a chain imported today for 2023 is 2023's
        rows = session.execute(
            select(ScanSession.quote_date, OpportunitySnapshot.data)
            .join(ScanSession, OpportunitySnapshot.scan_session_id == ScanSession.id)
            .where(func.lower(ScanSession.screen_name) == config.screen.lower())
            .where(ScanSession.quote_date.between(start, end))
            .where(OpportunitySnapshot.strategy_type == config.filters.strategy)
            .order_by(ScanSession.quote_date, OpportunitySnapshot.id)
        ).all()
        for day, doc in rows:
            if isinstance(doc, dict):
                by_day.setdefault(day, []).append(doc)
    return by_day


def run_test_run(
    engine: Engine, job_run_id: int, *, worker_id: str | None = None, stop: threading.Event | None = None,
    lease: dt.timedelta = queue.DEFAULT_LEASE, provider_factory: Callable[..., Any] = get_provider,
    on_chunk: Callable[[int, int], None] | None = None,
) -> int:  # fmt: skip
    """Work the queued lab run `job_run_id` to its end (see the module docstring); returns the items finished."""
    worker = worker_id or queue.new_worker_id()
    stop = stop or threading.Event()
    with engine.connect() as conn:
        run = conn.execute(select(JobRun).where(JobRun.id == job_run_id)).one_or_none()
    if run is None or run.kind != KIND:
        raise ValueError(f"job run {job_run_id} is not a lab run")
    test_id = (run.params or {})["test_run_id"]
    with engine.begin() as conn:
        claims = queue.claim_items(conn, worker, run.total_items, lease, job_run_id, kind=KIND)
    if not claims:
        return 0
    with Session(engine) as session:
        test = session.get(SandboxTestRun, test_id)
        params = dict(test.test_parameters) if test is not None else None
        config = _config_of(test) if test is not None else None
    if params is None or config is None:
        with engine.begin() as conn:
            queue.record_outcomes(conn, worker, [queue.ItemOutcome(c.item_id, FAILED, error="the test run was deleted")
                                                 for c in claims])  # fmt: skip
        return len(claims)
    start, end = dt.date.fromisoformat(params["start"]), dt.date.fromisoformat(params["end"])
    provider = provider_factory(run.provider, as_of=end) if run.provider else provider_factory(as_of=end)
    _store(engine, test_id, {"status": "running"})
    bars: dict[str, list] = {}
    chunks = [claims[i : i + CHUNK] for i in range(0, len(claims), CHUNK)]
    held: list[queue.ItemOutcome] = []
    for n, chunk in enumerate(chunks):
        if stop.is_set():
            return _released(engine, worker, test_id)
        if _status(engine, job_run_id) == "cancelled":
            return _cancelled(engine, worker, test_id, claims, f"after loading {n * CHUNK} of {len(claims)} symbols")
        with Session(engine) as session, session.begin():
            got, failed = load_closes(session, provider, run.provider or "", [c.symbol for c in chunk],
                                      start - LOOKBACK, end)  # fmt: skip
        bars.update(got)
        outcomes = [queue.ItemOutcome(c.item_id, FAILED if c.symbol in failed else DONE, error=failed.get(c.symbol))
                    for c in chunk]  # fmt: skip
        if n < len(chunks) - 1:
            with engine.begin() as conn:
                queue.record_outcomes(conn, worker, outcomes)
                queue.extend_leases(conn, worker, [c.item_id for c in claims], lease)
        else:
            held = outcomes
        if on_chunk is not None:
            on_chunk(n + 1, len(chunks))
    if not bars:  # nothing to replay: say so instead of an empty success
        _store(engine, test_id, {"status": "failed", "message": "no daily history for any symbol in the window"})
        with engine.begin() as conn:
            queue.record_outcomes(conn, worker, held)
        return len(claims)
    with Session(engine) as session:
        ivs = stored_ivs(session, sorted(bars), start - LOOKBACK, end)
    market = build_market(bars, ivs)
    settings = get_settings()

    def should_stop(_done: int, _total: int) -> bool:
        return stop.is_set() or _status(engine, job_run_id) == "cancelled"

    try:
        result = replay(market, config.filters, config.rules, start=start, rate=settings.risk_free_rate,
                        snapshots=_snapshots(engine, config, start, end), should_stop=should_stop)  # fmt: skip
    except ReplayStopped as exc:
        if stop.is_set() and _status(engine, job_run_id) != "cancelled":
            return _released(engine, worker, test_id)
        return _cancelled(engine, worker, test_id, claims, f"while replaying: {exc}")
    results = {"status": "completed", "summary": result.summary, "buy_and_hold": result.buy_and_hold,
               "equity": result.equity, "trades": result.trades, "symbols_without_history": sorted(
                   c.symbol for c in claims if c.symbol not in bars)}  # fmt: skip
    with engine.begin() as conn:
        conn.execute(
            SandboxTestRun.__table__.update()
            .where(SandboxTestRun.id == test_id)
            .values(test_results=results, opportunities_found=len(result.trades))
        )
        queue.record_outcomes(conn, worker, held)
    log.info("lab run %s: %d trades over %d symbols", job_run_id, len(result.trades), len(bars))
    return len(claims)


def _config_of(test: SandboxTestRun) -> LabConfig | None:
    """The config as the run was queued: the rules and filters of its parameters, even if edited since."""
    if test.config is None:
        return None
    params = test.test_parameters or {}
    filters = PremiumFilters.from_json(params.get("filters") or {})
    rules = Rules.from_json(params.get("rules") or {})
    return dataclasses.replace(plain_config(test.config), filters=filters, rules=rules)


def _cancelled(engine: Engine, worker: str, test_id: str, claims: list[queue.Claim], where: str) -> int:
    """Stop: the items in hand are cancelled, the run closed, and the test run says where it stopped."""
    message = f"cancelled {where}"
    _store(engine, test_id, {"status": "cancelled", "message": message})
    with engine.begin() as conn:
        held = conn.execute(
            select(JobItem.id).where(JobItem.lease_owner == worker, JobItem.status == "running")
        ).scalars().all()  # fmt: skip
        mine = sorted({c.item_id for c in claims} & set(held))
        if mine:
            queue.record_outcomes(conn, worker, [queue.ItemOutcome(i, CANCELLED, error=message) for i in mine])
        queue.cancel_run(conn, claims[0].run_id)
    log.info("lab test run %s %s", test_id, message)
    return len(claims)


def _released(engine: Engine, worker: str, test_id: str) -> int:
    """The sidecar is stopping: give the items back (the next sidecar starts the run again)."""
    _store(engine, test_id, {"status": "queued", "message": "its sidecar stopped; it starts again"})
    with engine.begin() as conn:
        queue.release_items(conn, worker, reason="its worker was stopped while working on it")
    return 0


def work_lab_runs(ctx: JobContext) -> int:
    """The `lab` job kind's work: every lab run with a claimable item, oldest first, until `ctx.stop`."""
    with ctx.engine.connect() as conn:
        run_ids = queue.claimable_runs(conn, KIND)
    done = 0
    for run_id in run_ids:
        if ctx.stop.is_set():
            break
        done += run_test_run(ctx.engine, run_id, worker_id=ctx.worker_id, stop=ctx.stop, lease=ctx.lease)
    return done


def lab_kind() -> JobKind:
    """The `lab` job kind (registered in core.sidecar)."""
    return JobKind(KIND, work_lab_runs)


__all__ = ["KIND", "RunRequestError", "enqueue_test_run", "lab_kind", "run_test_run", "universe", "work_lab_runs"]

"""Chain sync as a job kind of the sidecar: `SyncWorker` works the queued sync items, and the leader's periodic
universe Sync All is this kind's timer (registered in core.sidecar)."""

from __future__ import annotations

import datetime as dt
import logging
import time

from sqlalchemy import Engine, func, select

from core.calendars import CalendarNotFound, is_market_open
from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import JobRun
from core.jobs.kinds import JobContext, JobKind, LeaderTimer
from core.jobs.logs import fields
from core.providers import get_provider
from core.sync.requests import KIND, SyncRequest, SyncRequestError, enqueue_sync, sync_scope
from core.sync.worker import BatchResult, ProviderFactory, SyncWorker

log = logging.getLogger("wheelhouse.sidecar")
PROGRESS_EVERY = 10.0  # seconds between "sync progress" log lines during a long run


class ChainSync:
    """The kind's work: one `SyncWorker` per sidecar, kept between polls so providers (and their rate limits) are
    built once."""

    def __init__(self, provider_factory: ProviderFactory = get_provider):
        self._provider_factory = provider_factory
        self._worker: SyncWorker | None = None

    def work(self, ctx: JobContext) -> int:
        """Claim and work sync items until none is claimable (or `ctx.stop`); returns how many were done."""
        if self._worker is None:
            self._worker = SyncWorker(
                ctx.engine,
                worker_id=ctx.worker_id,
                batch_size=ctx.batch_size,
                lease=ctx.lease,
                stop=ctx.stop,
                provider_factory=self._provider_factory,
            )
        progress = _Progress()
        done = self._worker.run_until_idle(on_batch=progress.batch)
        if done:
            progress.idle(done)
        return done


class _Progress:
    """A log line every PROGRESS_EVERY seconds while a long sync runs, and one when the queue is idle."""

    def __init__(self):
        self.started = self.logged = time.monotonic()
        self.items = self.failed = self.contracts = 0

    def batch(self, result: BatchResult) -> None:
        self.items += len(result.outcomes)
        self.failed += sum(o.status == "failed" for o in result.outcomes)
        self.contracts += sum(o.contracts for o in result.outcomes)
        if time.monotonic() - self.logged >= PROGRESS_EVERY:
            self.logged = time.monotonic()
            log.info("sync progress", extra=fields(items=self.items, contracts=self.contracts, failed=self.failed))

    def idle(self, done: int) -> None:
        seconds = round(time.monotonic() - self.started, 1)
        log.info("queue idle", extra=fields(items=done, contracts=self.contracts, failed=self.failed, seconds=seconds))


class UniverseSync:
    """The leader's periodic Sync All (skipped outside market hours when `market_hours_only`)."""

    def __init__(self, interval_minutes: int, market_hours_only: bool, exchange: str):
        self.interval = dt.timedelta(minutes=interval_minutes)
        self.market_hours_only, self.exchange = market_hours_only, exchange

    def first_run(self, engine: Engine) -> dt.datetime:
        """When the periodic Sync All is next due: an interval after the last one requested, or after now.

        Counting from the last request rather than from start-up means a sidecar restarted more often than the
        interval (deploys, a crash loop) still syncs on time instead of putting it off again at every start.
        """
        now = utcnow()
        with engine.connect() as conn:
            last = conn.execute(
                select(func.max(JobRun.created_at)).where(JobRun.scope == sync_scope(all_symbols=True))
            ).scalar()
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=dt.UTC)
        return max(now, (last or now) + self.interval)

    def run(self, engine: Engine) -> None:
        """Enqueue a Sync All (one run: a second request while one is queued or running returns it)."""
        if self.market_hours_only:
            try:
                with engine.connect() as conn:
                    if not is_market_open(conn, self.exchange):
                        log.info("universe sync skipped: market closed", extra=fields(exchange=self.exchange))
                        return
            except CalendarNotFound as exc:
                log.warning("universe sync runs without market hours: %s", exc)
        try:
            with unit_of_work(engine, write=True) as session:
                run, created = enqueue_sync(session, SyncRequest(all_symbols=True, requested_by="sidecar"))
                run_id, total = run.id, run.total_items
        except SyncRequestError as exc:
            log.warning("universe sync not enqueued: %s", exc)
            return
        log.info(
            "universe sync enqueued" if created else "universe sync already queued or running",
            extra=fields(run_id=run_id, symbols=total),
        )


def chain_sync_kind(
    *,
    interval_minutes: int,
    market_hours_only: bool,
    exchange: str,
    provider_factory: ProviderFactory = get_provider,
) -> JobKind:
    """The `sync` job kind, with the universe Sync All every `interval_minutes` as its leader timer."""
    universe = UniverseSync(interval_minutes, market_hours_only, exchange)
    timer = LeaderTimer("universe-sync", interval_minutes * 60, universe.first_run, universe.run)
    return JobKind(KIND, ChainSync(provider_factory).work, (timer,))


__all__ = ["ChainSync", "UniverseSync", "chain_sync_kind"]

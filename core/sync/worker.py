"""The sync worker: claim a batch of queued symbols, fetch their chains, write them, record the outcomes.

The same code runs inside the sidecar and inside `python -m core sync --inline`. A batch of symbols is
written in one transaction, and the items' outcomes in the next one; a crash between the two only means the
batch is claimed again once its leases lapse and rewritten by the idempotent upsert, so nothing is lost or
duplicated. A symbol that fails (provider error, garbage, a database error of its own) is recorded as
failed with its reason and the rest of the batch goes on. A lost or busy database (OperationalError) fails no
symbol: it propagates, and the batch's items are released or their leases lapse, so they are simply redone.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace

from sqlalchemy import Engine, insert, select
from sqlalchemy.exc import InterfaceError, OperationalError

from core.config import get_settings
from core.db.base import utcnow
from core.db.models import CriticalErrorLog, JobRun
from core.jobs import queue
from core.providers import UnknownProvider, get_provider
from core.providers.base import ChainSnapshot, MarketDataProvider, NoOptions, ProviderError, SymbolNotFound
from core.sync import prepare, store
from core.sync.requests import KIND

log = logging.getLogger("wheelhouse.sync")

ProviderFactory = Callable[..., MarketDataProvider]


@dataclass
class BatchResult:
    claimed: int = 0
    outcomes: list[queue.ItemOutcome] = field(default_factory=list)


class SyncWorker:
    """Works the `sync` items of the queue; see the module docstring."""

    def __init__(
        self,
        engine: Engine,
        *,
        worker_id: str | None = None,
        batch_size: int = 100,
        lease: dt.timedelta = queue.DEFAULT_LEASE,
        stop: threading.Event | None = None,
        provider_factory: ProviderFactory = get_provider,
        fetchers: int | None = None,
    ):
        self.engine = engine
        self.worker_id = worker_id or queue.new_worker_id()
        self.batch_size = batch_size
        self.lease = lease
        self.stop = stop or threading.Event()
        self._provider_factory = provider_factory
        self._providers: dict[tuple, MarketDataProvider] = {}
        self._usage: dict[int, dict[str, float]] = {}  # item id -> request accounting, until its outcome is recorded
        settings = get_settings()
        self._risk_free_rate = settings.risk_free_rate
        self._default_max_dte = settings.sync_max_dte
        # Symbols fetched at once when the provider allows it: with network latency one fetcher leaves the rate
        # limit idle between its requests; a few share the process-wide bucket and keep it busy.
        self.fetchers = fetchers or settings.sync_fetchers

    def run_until_idle(self, run_id: int | None = None, on_batch: Callable[[BatchResult], None] | None = None) -> int:
        """Work batches until nothing is claimable (or `stop` is set); returns how many items were done.

        Two stages overlap: while a background thread writes batch N (the database works on the other core),
        this thread fetches and prepares batch N+1. At most one batch waits, so memory stays bounded.
        """
        done = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sync-writer") as writer:
            pending: Future[BatchResult] | None = None
            while not self.stop.is_set():
                batch = self._claim_and_fetch(run_id)
                if pending is not None:
                    done += self._finished(pending, on_batch)
                    pending = None
                if batch is None:
                    break
                pending = writer.submit(self._write_and_record, *batch)
            if pending is not None:
                done += self._finished(pending, on_batch)
        return done

    @staticmethod
    def _finished(pending: Future[BatchResult], on_batch) -> int:
        result = pending.result()
        if on_batch:
            on_batch(result)
        return len(result.outcomes)

    def _claim_and_fetch(self, run_id: int | None):
        with self.engine.begin() as conn:
            claims = queue.claim_items(conn, self.worker_id, self.batch_size, self.lease, run_id=run_id, kind=KIND)
        if not claims:
            return None
        runs = self._runs({c.run_id for c in claims})
        fetched_at = utcnow()
        fetched: list[tuple[queue.Claim, ChainSnapshot]] = []
        no_options: list[queue.Claim] = []
        outcomes: list[queue.ItemOutcome] = []
        usage: dict[int, dict[str, float]] = {}
        last_beat = time.monotonic()
        providers, unusable = {}, {}
        for run_id, run in runs.items():
            try:
                providers[run_id] = self.provider_for(run)
            except UnknownProvider as exc:  # e.g. an openalgo run whose account or key is gone: its items fail
                unusable[run_id] = f"provider {run.provider}: {exc}"
        for claim in claims:
            if claim.run_id in unusable:
                outcomes.append(queue.ItemOutcome(claim.item_id, "failed", error=unusable[claim.run_id]))
        working = [c for c in claims if c.run_id not in unusable]
        # A provider that is not `concurrent` is called from one thread at a time (a pool of one).
        width = self.fetchers if all(p.concurrent for p in providers.values()) else 1
        pool = ThreadPoolExecutor(max_workers=width, thread_name_prefix="sync-fetch")
        try:
            pending = [(c, pool.submit(self._fetch, c, runs[c.run_id])) for c in working]
            for claim, future in pending:
                if self.stop.is_set() and future.cancel():
                    continue  # never started: released below
                while True:
                    try:
                        result = future.result(timeout=self.lease.total_seconds() / 6)
                        break
                    except FutureTimeout:
                        pass
                    finally:
                        if time.monotonic() - last_beat > self.lease.total_seconds() / 3:
                            with self.engine.begin() as conn:
                                # every claimed item, fetched ones too: they are not written until the batch is
                                queue.extend_leases(conn, self.worker_id, [c.item_id for c in claims], self.lease)
                            last_beat = time.monotonic()
                self._collect(claim, result, fetched, no_options, outcomes, usage)
                if self.stop.is_set():
                    for _, later in pending:
                        later.cancel()
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        unstarted = [c for c, f in pending if f.cancelled()]
        if unstarted:
            self._release([c.item_id for c in unstarted])
            released = {c.item_id for c in unstarted}
            claims = [c for c in claims if c.item_id not in released]
        self._usage.update(usage)
        prepared, failures = self._prepare(fetched, fetched_at)
        return claims, prepared, no_options, outcomes + failures, fetched_at

    def _prepare(self, fetched, fetched_at):
        """Prepare the batch in one vectorised pass; if that fails, symbol by symbol so garbage fails alone."""
        try:
            batch = prepare.prepare_batch(
                [s for _, s in fetched], fetched_at=fetched_at, risk_free_rate=self._risk_free_rate
            )
            return list(zip([c for c, _ in fetched], batch, strict=True)), []
        except Exception as exc:
            log.warning("batch preparation failed (%s); preparing its %d symbols one at a time", exc, len(fetched))
        prepared, failures = [], []
        for claim, snapshot in fetched:
            try:
                prepared.append(
                    (claim, prepare.prepare(snapshot, fetched_at=fetched_at, risk_free_rate=self._risk_free_rate))
                )
            except Exception as exc:  # garbage from a provider must fail the symbol, not the run
                log.warning("symbol %s failed: %s: %s", claim.symbol, type(exc).__name__, exc)
                failures.append(queue.ItemOutcome(claim.item_id, "failed", error=f"{type(exc).__name__}: {exc}"))
        return prepared, failures

    def _write_and_record(self, claims, prepared, no_options, outcomes, fetched_at) -> BatchResult:
        result = BatchResult(claimed=len(claims), outcomes=list(outcomes))
        result.outcomes.extend(self._write(prepared, no_options, fetched_at))
        result.outcomes = [
            replace(o, usage=self._usage.pop(o.item_id, None)) if o.usage is None else o for o in result.outcomes
        ]
        self._record(result.outcomes, {c.item_id: c for c in claims})
        return result

    def _runs(self, run_ids: set[int]) -> dict[int, JobRun]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(JobRun.id, JobRun.provider, JobRun.params).where(JobRun.id.in_(run_ids)))
            return {row.id: row for row in rows}

    def provider_for(self, run) -> MarketDataProvider:
        params = run.params or {}
        as_of = dt.date.fromisoformat(params["as_of"]) if params.get("as_of") else None
        account = params.get("account_id")  # openalgo: the broker account it reads through (its key stays in the db)
        key = (run.provider, params.get("source"), as_of, account)
        if key not in self._providers:
            extra = {"account": account, "engine": self.engine} if account is not None else {}
            self._providers[key] = self._provider_factory(
                run.provider, source=params.get("source"), as_of=as_of, **extra
            )
        return self._providers[key]

    def max_dte_for(self, run) -> int:
        """The run's expiry window: what the request asked (params max_dte), else SYNC_MAX_DTE."""
        value = (run.params or {}).get("max_dte")
        return self._default_max_dte if value is None else int(value)

    def _fetch(self, claim, run) -> tuple[ChainSnapshot | queue.ItemOutcome | None, dict[str, float]]:
        """One symbol's snapshot (None: no options) or its failure, and what fetching it cost. Runs in a pool."""
        provider = self.provider_for(run)
        with provider.metering() as usage:
            outcome = self._snapshot(provider, claim, self.max_dte_for(run))
        return outcome, usage.as_dict()

    @staticmethod
    def _snapshot(provider, claim, max_dte: int) -> ChainSnapshot | queue.ItemOutcome | None:
        try:
            return provider.snapshot(claim.symbol, max_dte=max_dte)
        except NoOptions:
            return None
        except SymbolNotFound as exc:
            return queue.ItemOutcome(claim.item_id, "failed", error=f"unknown symbol: {exc}")
        except ProviderError as exc:
            return queue.ItemOutcome(claim.item_id, "failed", error=str(exc) or type(exc).__name__)
        except Exception as exc:  # garbage from a provider must fail the symbol, not the run
            log.warning("symbol %s failed: %s: %s", claim.symbol, type(exc).__name__, exc)
            return queue.ItemOutcome(claim.item_id, "failed", error=f"{type(exc).__name__}: {exc}")

    @staticmethod
    def _collect(claim, result, fetched, no_options, outcomes, usage) -> None:
        outcome, cost = result
        if cost.get("requests"):
            usage[claim.item_id] = cost
        if outcome is None:
            no_options.append(claim)
        elif isinstance(outcome, queue.ItemOutcome):
            outcomes.append(replace(outcome, usage=usage.get(claim.item_id)))
        else:
            fetched.append((claim, outcome))

    def _write(self, prepared, no_options, fetched_at) -> list[queue.ItemOutcome]:
        try:
            with self.engine.begin() as conn:
                store.write(conn, [p for _, p in prepared], [c.symbol for c in no_options], fetched_at)
        except (OperationalError, InterfaceError):
            raise  # the database is unreachable or busy, not this batch's fault: its items are retried later
        except Exception as exc:
            if len(prepared) + len(no_options) <= 1:
                claims = [c for c, _ in prepared] + no_options
                return [queue.ItemOutcome(c.item_id, "failed", error=f"database: {exc}") for c in claims]
            log.warning("batch write failed (%s); writing its symbols one at a time", exc)
            outcomes = []
            for pair in prepared:
                outcomes.extend(self._write([pair], [], fetched_at))
            for claim in no_options:
                outcomes.extend(self._write([], [claim], fetched_at))
            return outcomes
        outcomes = [
            queue.ItemOutcome(c.item_id, "synced", contracts=p.stored, quarantined=dict(p.quarantined))
            for c, p in prepared
        ]
        return outcomes + [queue.ItemOutcome(c.item_id, "no_options") for c in no_options]

    def _record(self, outcomes: list[queue.ItemOutcome], claims: dict[int, queue.Claim]) -> None:
        if not outcomes:
            return
        with self.engine.begin() as conn:
            queue.record_outcomes(conn, self.worker_id, outcomes)
            failures = [o for o in outcomes if o.status == "failed"]
            if failures:
                conn.execute(
                    insert(CriticalErrorLog),
                    [
                        {
                            "error_type": "sync_item_failed",
                            "severity": "MEDIUM",
                            "message": o.error or "failed",
                            "details": {
                                "symbol": claims[o.item_id].symbol,
                                "run_id": claims[o.item_id].run_id,
                                "item_id": o.item_id,
                                "worker": self.worker_id,
                            },
                        }
                        for o in failures
                    ],
                )

    def _release(self, item_ids: list[int]) -> None:
        with self.engine.begin() as conn:
            queue.release_items(conn, self.worker_id, item_ids, reason="its worker was stopped before starting it")

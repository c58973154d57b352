"""Account syncs and health checks in the sidecar: the `accounts_sync` job kind and its two leader timers.

The kind's work claims queued account ids, syncs them with `core.accounts.sync.sync_accounts` (concurrently,
each account under its own time budget) and records each account's outcome as soon as it is stored, so a
progress bar moves account by account and one failing account is one failed item, never a failed batch. The
leader's timers ping every active account (health and failover, core.accounts.health) and queue a sync of every
active account; both intervals are settings (ACCOUNT_PING_INTERVAL_SECONDS, ACCOUNT_SYNC_INTERVAL_MINUTES). The
leader also runs the accounts' live price feeds (core.accounts.live), ticked every ACCOUNT_FEED_FLUSH_SECONDS.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Engine, func, select

from core.accounts.feed import Backoff
from core.accounts.health import ping_accounts
from core.accounts.live import LiveFeeds
from core.accounts.queueing import ALL_SCOPE, KIND, NothingToSync, queue_account_sync
from core.accounts.sync import AccountSyncResult, sync_accounts
from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import JobRun
from core.jobs import queue
from core.jobs.kinds import JobContext, JobKind, LeaderTimer
from core.jobs.logs import fields

log = logging.getLogger("wheelhouse.sidecar")
CLAIM = 16  # accounts claimed at a time: two rounds of the sync's eight fetch threads, well inside a lease
SYNCED, FAILED = "synced", "failed"  # job_items statuses (the sync vocabulary)


def work_account_syncs(ctx: JobContext) -> int:
    """Claim queued account ids and sync them until none is left to claim (or `ctx.stop`); returns how many."""
    done = 0
    while not ctx.stop.is_set():
        with ctx.engine.begin() as conn:
            claims = queue.claim_items(conn, ctx.worker_id, min(CLAIM, ctx.batch_size), ctx.lease, kind=KIND)
        if not claims:
            break
        done += _sync_claims(ctx, claims)
    return done


def _sync_claims(ctx: JobContext, claims: list[queue.Claim]) -> int:
    """Sync the claimed accounts, recording each one's items as its result arrives; returns the items recorded."""
    by_account: dict[int, list[queue.Claim]] = {}
    outcomes: list[queue.ItemOutcome] = []
    for claim in claims:
        if claim.symbol.isdigit():
            by_account.setdefault(int(claim.symbol), []).append(claim)  # one account may be in two runs at once
        else:
            outcomes.append(queue.ItemOutcome(claim.item_id, FAILED, error=f"not an account id: {claim.symbol!r}"))
    pending = {c.item_id for c in claims}

    def record(items: list[queue.ItemOutcome]) -> None:
        pending.difference_update(o.item_id for o in items)
        with ctx.engine.begin() as conn:
            queue.record_outcomes(conn, ctx.worker_id, items)
            queue.extend_leases(conn, ctx.worker_id, sorted(pending), ctx.lease)  # the rest are still in hand

    def stored(result: AccountSyncResult) -> None:
        status, error = (SYNCED, None) if result.ok else (FAILED, (result.error or "")[:1000])
        record([queue.ItemOutcome(c.item_id, status, error=error) for c in by_account.pop(result.account_id, [])])

    if outcomes:
        record(outcomes)
    if by_account:
        report = sync_accounts(ctx.engine, sorted(by_account), progress=stored)
        log.info("accounts synced", extra=fields(synced=report.synced, failed=report.failed))
    gone = [c for held in by_account.values() for c in held]  # removed or deactivated since it was queued
    if gone:
        record([queue.ItemOutcome(c.item_id, FAILED, error="the account was removed or deactivated") for c in gone])
    return len(claims)


class AccountTimers:
    """The leader's periodic jobs: ping every active account, and queue a sync of every active account."""

    def __init__(self, sync_minutes: float):
        self.sync_interval = dt.timedelta(minutes=sync_minutes)

    def first_sync(self, engine: Engine) -> dt.datetime:
        """An interval after the last scheduled sync was requested (never requested: now), so restarts do not put
        it off and a new installation syncs at once."""
        now = utcnow()
        with engine.connect() as conn:
            last = conn.execute(select(func.max(JobRun.created_at)).where(JobRun.scope == ALL_SCOPE)).scalar()
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=dt.UTC)
        return now if last is None else max(now, last + self.sync_interval)

    @staticmethod
    def first_ping(_engine: Engine) -> dt.datetime:
        return utcnow()

    @staticmethod
    def sync_all(engine: Engine) -> None:
        """Queue a sync of every active account (one run: a second one while it waits returns it)."""
        try:
            with unit_of_work(engine, write=True) as session:
                run, created = queue_account_sync(session, None, requested_by="sidecar")
                session.flush()
                run_id, total = run.id, run.total_items
        except NothingToSync:
            return
        message = "account sync enqueued" if created else "account sync already queued or running"
        log.info(message, extra=fields(run_id=run_id, accounts=total))

    @staticmethod
    def ping(engine: Engine) -> None:
        """Ping every active account; log the ones failing and every failover switch (never a key)."""
        report = ping_accounts(engine)
        for result in report.results:
            if not result.ok:
                log.warning("account ping failed", extra=fields(account=result.name, status=result.status))
        for switch in report.switches:
            log.warning(
                "account failover",
                extra=fields(user_id=switch.user_id, moved_from=switch.from_account, moved_to=switch.to_account),
            )


def accounts_sync_kind(
    *, ping_seconds: float, sync_minutes: float, feed_seconds: float = 5.0, feed_backoff: Backoff | None = None
) -> JobKind:
    """The `accounts_sync` job kind with its leader timers and the leader's live feeds (registered in core.sidecar)."""
    timers = AccountTimers(sync_minutes)
    feeds = LiveFeeds(feed_backoff)
    return JobKind(
        KIND,
        work_account_syncs,
        (
            LeaderTimer("accounts-ping", ping_seconds, timers.first_ping, timers.ping),
            LeaderTimer("accounts-sync", sync_minutes * 60, timers.first_sync, timers.sync_all),
            feeds.timer(feed_seconds),
        ),
        (feeds.service(),),
    )


__all__ = ["AccountTimers", "accounts_sync_kind", "work_account_syncs"]

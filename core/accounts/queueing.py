"""Asking the sidecar to sync accounts: a queued run of kind `accounts_sync` whose items are account ids.

The page's Sync button, `accounts sync` without `--inline` and the sidecar's own schedule all come here; the
sidecar's `accounts_sync` job kind (core.accounts.kind) works the items. Like Sync All, a scope has at most one
queued or running run: asking again while one is waiting returns that run (`job_runs.active_scope`).
"""

from __future__ import annotations

import hashlib

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.accounts.errors import AccountError
from core.db.engine import unit_of_work
from core.db.models import JobRun, TradingAccount
from core.jobs import queue

KIND = "accounts_sync"  # the job_runs.kind of an account sync
ALL_SCOPE = "accounts_sync:all"


class NothingToSync(AccountError):
    """No active account with an OpenAlgo host and key, so there is nothing to queue."""


def account_sync_scope(account_ids: list[int] | None) -> str:
    """`accounts_sync:all`, or the sorted ids (hashed when long): one queued run per set of accounts."""
    if account_ids is None:
        return ALL_SCOPE
    ids = ",".join(str(i) for i in sorted(set(account_ids)))
    if len(ids) > 150:
        ids = "sha1:" + hashlib.sha1(ids.encode()).hexdigest()
    return f"{KIND}:{ids}"


def queue_account_sync(
    session: Session, account_ids: list[int] | None, *, requested_by: str | None = None
) -> tuple[JobRun, bool]:
    """Queue a sync of these accounts (None: every active one with a host and key); returns (run, created)."""
    ids = account_ids
    if ids is None:
        ids = list(
            session.scalars(
                select(TradingAccount.id)
                .where(TradingAccount.is_active.is_(True), TradingAccount.host_url.is_not(None))
                .where(TradingAccount.api_key_encrypted.is_not(None))
                .order_by(TradingAccount.id)
            )
        )
    if not ids:
        raise NothingToSync("no active account with an OpenAlgo host to sync")
    return queue.enqueue_run(
        session,
        kind=KIND,
        scope=account_sync_scope(account_ids),
        symbols=[str(i) for i in ids],
        requested_by=requested_by,
    )


def enqueue_account_sync(engine: Engine, account_ids: list[int] | None, *, requested_by: str | None = None) -> int:
    """Queue a sync of these accounts (None: every active one) for the sidecar; returns the run id."""
    with unit_of_work(engine, write=True) as session:
        run, _ = queue_account_sync(session, account_ids, requested_by=requested_by)
        session.flush()
        return run.id


__all__ = ["ALL_SCOPE", "KIND", "NothingToSync", "account_sync_scope", "enqueue_account_sync", "queue_account_sync"]

"""Asking the sidecar to sync accounts (the non-`--inline` path of `accounts sync` and the page's button).

The job queue is moving to `core.jobs` in another branch; until it is wired here, this says so instead of
pretending. Wiring it means: enqueue a run of kind `accounts_sync` whose items are the account ids, and have the
sidecar's worker call `core.accounts.sync.sync_accounts(engine, [ids])` for it (docs/accounts.md).
"""

from __future__ import annotations

from sqlalchemy import Engine

from core.accounts.errors import AccountError


class SyncQueueUnavailable(AccountError):
    """The sidecar's queue cannot take account syncs in this build."""


def enqueue_account_sync(engine: Engine, account_ids: list[int] | None, *, requested_by: str | None = None) -> int:
    """Queue a sync of these accounts (None: every active one) for the sidecar; returns the run id."""
    raise SyncQueueUnavailable(
        "queued account syncs need the sidecar's job queue, which is not wired for accounts yet: "
        "run `python -m core accounts sync ... --inline`"
    )

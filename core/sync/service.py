"""What the "Sync All" / "Sync this watchlist" button and its progress bar call (ui/progress.py).

The button only inserts a request (`request_sync`: a second click while the run is queued or running returns
that same run); the sidecar does the work and updates the run's totals after each batch, and the bar polls
`sync_view`, one read-only unit of work of a few primary-key and indexed reads. Asking for a sync needs the trader
role and is logged (`sync_enqueue`); watching one needs the viewer role. `enqueue` is the same check and log line
for a caller that holds its own session (the `sync` command).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.auth.audit import record_activity
from core.auth.roles import Actor, Permission, require, require_account_owner
from core.config import get_settings
from core.db.engine import unit_of_work
from core.db.models import JobRun
from core.jobs.health import sidecar_health
from core.jobs.progress import RunProgress, active_run, last_finished_run, progress_of, run_progress
from core.sync.requests import KIND, SyncRequest, SyncRequestError, enqueue_sync, sync_scope


@dataclass(frozen=True)
class SyncView:
    """What the progress bar shows: the run it follows (or the active one), else the last finished sync."""

    run: RunProgress | None
    last: RunProgress | None  # only when there is no `run`
    sidecar_alive: bool


def _scope(watchlist: str | None) -> str:
    return sync_scope(watchlist=watchlist) if watchlist is not None else sync_scope(all_symbols=True)


def request_sync(engine: Engine, actor: Actor, *, watchlist: str | None = None) -> tuple[RunProgress, bool]:
    """Queue a sync of everything (or of `watchlist`), or find the one already queued or running: (run, created).

    Needs the trader role. Raises `SyncRequestError` when there is nothing to sync or no such watchlist.
    """
    request = SyncRequest(all_symbols=watchlist is None, watchlist=watchlist, requested_by=actor.username)
    with unit_of_work(engine, write=True) as session:
        run, created = enqueue(session, actor, request)
        return progress_of(run), created


def enqueue(session: Session, actor: Actor, request: SyncRequest) -> tuple[JobRun, bool]:
    """Check the actor may sync, queue `request` (or find its run) and log who asked: the page's and the CLI's way.

    An openalgo sync reads through a broker account the actor owns (an admin: any): the one the request names,
    else OPENALGO_ACCOUNT, else the actor's primary account.
    """
    require(actor, Permission.SYNC)
    if (request.provider or get_settings().market_data_provider) == "openalgo":
        request = replace(request, account=_data_account(session, actor, request))
    run, created = enqueue_sync(session, request)
    session.flush()
    record_activity(
        session,
        "sync_enqueue",
        actor=actor,
        target=f"run:{run.id}",
        details={"scope": run.scope, "created": created, "symbols": run.total_items},
    )
    return run, created


def _data_account(session: Session, actor: Actor, request: SyncRequest) -> int:
    from core.accounts.errors import AccountError
    from core.providers import UnknownProvider
    from core.providers.openalgo_account import find_data_account

    try:
        account = find_data_account(session, request.account, actor.user_id)
    except (AccountError, UnknownProvider) as exc:
        raise SyncRequestError(str(exc)) from None
    require_account_owner(actor, account.user_id)
    return account.id


def active_sync(engine: Engine, actor: Actor, *, watchlist: str | None = None) -> RunProgress | None:
    """The queued or running sync of everything (or of `watchlist`), if any."""
    require(actor, Permission.READ)
    with unit_of_work(engine) as session:
        return active_run(session, KIND, _scope(watchlist))


def sync_view(engine: Engine, actor: Actor, *, run_id: int | None = None, watchlist: str | None = None) -> SyncView:
    """The run `run_id` (or else the active sync of the scope), the sidecar's liveness, and the last finished sync."""
    require(actor, Permission.READ)
    scope = _scope(watchlist)
    with unit_of_work(engine) as session:
        run = (run_progress(session, run_id) if run_id else None) or active_run(session, KIND, scope)
        last = last_finished_run(session, KIND) if run is None else None
        return SyncView(run, last, sidecar_health(session).alive)


__all__ = [
    "RunProgress",
    "SyncRequest",
    "SyncRequestError",
    "SyncView",
    "active_sync",
    "enqueue",
    "request_sync",
    "sync_view",
]

"""Turning "sync all / this watchlist / these symbols" into a queued run (what the CLI and the pages call)."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import get_settings
from core.db.models import JobRun, Stock, Watchlist
from core.jobs import queue
from core.providers import ONLINE_PROVIDERS, UnknownProvider, get_provider
from core.symbols import WatchlistError, watchlist_symbols

KIND = "sync"  # the job_runs.kind of a chain sync


class SyncRequestError(ValueError):
    """The request names nothing to sync, an unknown watchlist, or malformed symbols."""


@dataclass(frozen=True)
class SyncRequest:
    all_symbols: bool = False
    watchlist: str | None = None
    symbols: tuple[str, ...] = ()
    provider: str | None = None
    source: str | None = None
    as_of: dt.date | None = None
    requested_by: str | None = None
    max_dte: int | None = None  # expiry window in days (0: every expiry); None: the watchlist's, else SYNC_MAX_DTE
    # The broker account the openalgo provider reads through (an id or a name); None: OPENALGO_ACCOUNT, else the
    # requesting user's primary account (core.sync.service fills that in). Ignored by the other providers.
    account: int | str | None = None


def sync_scope(*, all_symbols: bool = False, watchlist: str | None = None, symbols: list[str] | None = None) -> str:
    """The scope key that makes two requests for the same work the same run."""
    if all_symbols:
        return "sync:all"
    if watchlist is not None:
        return f"sync:watchlist:{watchlist}"
    digest = hashlib.sha1(",".join(sorted(symbols or [])).encode()).hexdigest()[:16]
    return f"sync:symbols:{digest}"


def resolve_symbols(session: Session, request: SyncRequest) -> tuple[str, list[str]]:
    """The scope key and the symbol list of a request."""
    if request.all_symbols:
        symbols = list(session.scalars(select(Stock.symbol).where(Stock.is_active).order_by(Stock.symbol)))
        if not symbols and (request.provider or get_settings().market_data_provider) not in ONLINE_PROVIDERS:
            symbols = get_provider(request.provider, source=request.source, as_of=request.as_of).universe()
        if not symbols:
            raise SyncRequestError(
                "nothing to sync: the database has no stocks and the provider lists none "
                "(run `python -m core demo`, or sync --symbols A,B)"
            )
        return sync_scope(all_symbols=True), symbols
    if request.watchlist is not None:
        try:
            symbols = list(watchlist_symbols(session, request.watchlist))
        except WatchlistError as exc:
            raise SyncRequestError(str(exc)) from None
        return sync_scope(watchlist=request.watchlist), symbols
    if request.symbols:
        return sync_scope(symbols=list(request.symbols)), list(request.symbols)
    raise SyncRequestError("say what to sync: --all, --watchlist NAME or --symbols A,B")


def _differences(run: JobRun, provider: str, params: dict) -> list[str]:
    """How a queued or running run differs from a new request of the same scope ('' when it would do the same
    work): joining it is right only when nothing differs, or a request for every expiry would get 75 days."""
    theirs = run.params or {}
    said = []
    if run.provider != provider:
        said.append(f"provider {run.provider} (you asked for {provider})")
    if theirs.get("max_dte") != params["max_dte"]:
        said.append(
            f"an expiry window of {_window(theirs.get('max_dte'))} (you asked for {_window(params['max_dte'])})"
        )
    for key, label in (("as_of", "as-of date"), ("source", "source"), ("account_id", "account")):
        if theirs.get(key) != params.get(key):
            said.append(f"{label} {theirs.get(key) or 'none'} (you asked for {params.get(key) or 'none'})")
    return said


def _window(max_dte: int | None) -> str:
    return "every expiry" if not max_dte else f"{max_dte} days"


def resolve_max_dte(session: Session, request: SyncRequest) -> int:
    """The expiry window of a request: its own, else its watchlist's, else SYNC_MAX_DTE (0: every expiry)."""
    if request.max_dte is not None:
        if request.max_dte < 0:
            raise SyncRequestError(f"max-dte must be 0 (every expiry) or a number of days, not {request.max_dte}")
        return request.max_dte
    if request.watchlist is not None:
        own = session.scalar(
            select(Watchlist.sync_max_dte).where(func.lower(Watchlist.name) == request.watchlist.lower())
        )
        if own is not None:
            return own
    return get_settings().sync_max_dte


def resolve_account(session: Session, request: SyncRequest) -> int:
    """The id of the broker account an openalgo sync reads through (the run stores the id, never a key)."""
    from core.accounts.errors import AccountError
    from core.providers.openalgo_account import account_id_of

    try:
        return account_id_of(session, request.account)
    except (AccountError, UnknownProvider) as exc:
        raise SyncRequestError(str(exc)) from None


def enqueue_sync(session: Session, request: SyncRequest) -> tuple[JobRun, bool]:
    """Queue a sync run for `request` (or return the one of the same scope already queued or running)."""
    scope, symbols = resolve_symbols(session, request)
    provider = request.provider or get_settings().market_data_provider
    params = {
        "source": request.source,
        "as_of": request.as_of.isoformat() if request.as_of else None,
        "max_dte": resolve_max_dte(session, request),
    }
    if provider == "openalgo":
        params["account_id"] = resolve_account(session, request)
    running = queue.active_run(session, scope)
    if running is not None and (differences := _differences(running, provider, params)):
        raise SyncRequestError(
            f"a sync of the same symbols is already {running.status} (run #{running.id}) with "
            f"{'; '.join(differences)}: it would not do what you asked. Wait for it to finish (or cancel it), "
            "then ask again"
        )
    return queue.enqueue_run(
        session,
        kind=KIND,
        scope=scope,
        symbols=symbols,
        provider=provider,
        params=params,
        requested_by=request.requested_by,
    )

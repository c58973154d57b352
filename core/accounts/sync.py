"""Sync broker accounts: fetch every account's book concurrently, store each one as it arrives.

Each account is fetched in its own thread with one time budget for its whole pass (funds, positions, holdings,
orders, trades); a failure or a timeout is that account's `last_error` and never stops the others. Storing
happens on the calling thread, one unit of work per account, so a database error also stays with its account and
SQLite's single writer is never contended by the fetchers. Nothing already stored is lost on a failure.
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from core.accounts.books import WriteCounts, store_book
from core.accounts.errors import AccountError
from core.accounts.keystore import keyring_for
from core.accounts.openalgo_client import BrokerConnection
from core.config import get_settings
from core.db.base import utcnow
from core.db.engine import first_line, unit_of_work
from core.db.models import TradingAccount

log = logging.getLogger(__name__)
MAX_WORKERS = 8


@dataclass(frozen=True)
class AccountSyncResult:
    account_id: int
    name: str
    error: str | None = None
    error_kind: str | None = None  # the error class: KeyRejected, BrokerUnreachable, BrokerTimeout, ...
    counts: WriteCounts = field(default_factory=WriteCounts)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class SyncReport:
    results: list[AccountSyncResult]

    @property
    def synced(self) -> int:
        return sum(r.ok for r in self.results)

    @property
    def failed(self) -> int:
        return sum(not r.ok for r in self.results)


@dataclass(frozen=True)
class _Target:
    account_id: int
    name: str
    host: str
    api_key: str | None  # None when the key could not be decrypted (then `problem` says why)
    problem: AccountError | None = None


def sync_accounts(
    engine: Engine, account_ids: list[int] | None = None, *, timeout: float | None = None, progress=None
) -> SyncReport:
    """Sync the given accounts (default: every active account with an OpenAlgo host) and report per account.

    `progress(result)` is called after each account is stored (the sidecar's progress rows, the CLI's lines).
    """
    timeout = timeout or get_settings().account_timeout_seconds
    targets, skipped = _targets(engine, account_ids)
    results = list(skipped)
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_WORKERS, len(targets))), thread_name_prefix="sync") as pool:
        futures = {pool.submit(_fetch, t, timeout): t for t in targets}
        for future in as_completed(futures):
            target = futures[future]
            result = _store(engine, target, *future.result())
            results.append(result)
            if progress is not None:
                progress(result)
    return SyncReport(sorted(results, key=lambda r: r.name.lower()))


def _targets(engine: Engine, account_ids: list[int] | None) -> tuple[list[_Target], list[AccountSyncResult]]:
    query = select(TradingAccount).where(TradingAccount.is_active.is_(True))
    if account_ids is not None:
        query = query.where(TradingAccount.id.in_(account_ids))
    targets, skipped = [], []
    with unit_of_work(engine, write=False) as session:
        accounts = session.scalars(query.order_by(TradingAccount.id)).all()
        keyring = None
        for account in accounts:
            if not account.host_url or not account.api_key_encrypted:
                if account_ids is not None:  # asked for by name: say why nothing happened
                    reason = "has no OpenAlgo host and key (it takes CSV imports)"
                    skipped.append(AccountSyncResult(account.id, account.account_name, reason, "Skipped"))
                continue
            try:
                keyring = keyring or keyring_for(engine.dialect.name)
                key = keyring.decrypt(account.id, account.api_key_encrypted)
                targets.append(_Target(account.id, account.account_name, account.host_url, key))
            except AccountError as exc:
                targets.append(_Target(account.id, account.account_name, account.host_url, None, exc))
    return targets, skipped


def _fetch(target: _Target, timeout: float):
    start = time.perf_counter()
    if target.problem is not None:
        return None, target.problem, 0.0
    try:
        book = BrokerConnection(target.host, target.api_key, timeout=timeout, whole_pass=True).book()
        return book, None, time.perf_counter() - start
    except AccountError as exc:
        return None, exc, time.perf_counter() - start
    except Exception as exc:  # a bug must not take the other accounts down; its traceback goes to the log
        log.exception("sync of account %s failed unexpectedly", target.name)
        return None, AccountError(f"unexpected {type(exc).__name__} while syncing (see the log)"), 0.0


def _store(engine: Engine, target: _Target, book, problem: AccountError | None, seconds: float) -> AccountSyncResult:
    try:
        with unit_of_work(engine, write=True) as session:
            account = session.get(TradingAccount, target.account_id)
            if account is None:  # removed while we fetched
                return AccountSyncResult(target.account_id, target.name, "account was removed", "Removed")
            if problem is not None:
                account.last_error = str(problem)
                return AccountSyncResult(
                    target.account_id, target.name, str(problem), type(problem).__name__, seconds=seconds
                )
            counts = store_book(session, account.id, book)
            account.last_sync, account.last_error = utcnow(), None
            return AccountSyncResult(target.account_id, target.name, counts=counts, seconds=seconds)
    except AccountError as exc:  # a book we could not store (e.g. a position without a price): nothing is kept
        with unit_of_work(engine, write=True) as session:
            account = session.get(TradingAccount, target.account_id)
            if account is not None:
                account.last_error = str(exc)
        return AccountSyncResult(target.account_id, target.name, str(exc), type(exc).__name__, seconds=seconds)
    except SQLAlchemyError as exc:  # the database refused this account's rows: the others still get theirs
        log.warning("storing account %s failed: %s", target.name, first_line(exc))
        return AccountSyncResult(target.account_id, target.name, f"database: {first_line(exc)}", "DatabaseError")

"""Health and failover: ping every account, mark one down after N failed pings in a row, move a user's data calls
to their next healthy backup, and back to the primary when it recovers; every switch is a `failover_events` row
and an activity-log line.

Which account serves a user's data calls (`active_data_account`): their primary account, else the primary's
backups in the order they were added, the first that is active, has a host and key, and is not down. An account
never pinged yet counts as usable. The switch is recorded when a ping round changes that answer, in both
directions; with no healthy account left the event says so (`success` false, `to_account_id` NULL).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.accounts.errors import AccountError
from core.accounts.keystore import keyring_for
from core.accounts.openalgo_client import BrokerConnection
from core.auth.audit import record_activity
from core.config import get_settings
from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import FailoverEvent, TradingAccount

MAX_WORKERS = 8


@dataclass(frozen=True)
class DataAccount:
    """The account a user's data calls go to (no key: ask `data_connection` for a connection)."""

    id: int
    name: str
    host: str
    ws_url: str | None
    is_primary: bool


@dataclass(frozen=True)
class PingResult:
    account_id: int
    name: str
    ok: bool
    broker: str | None
    error: str | None
    status: str  # after this ping: up / down / disconnected (failing, not yet N times)
    seconds: float


@dataclass(frozen=True)
class FailoverSwitch:
    user_id: int
    from_account: str | None
    to_account: str | None
    reason: str


@dataclass(frozen=True)
class PingReport:
    results: list[PingResult]
    switches: list[FailoverSwitch]


def ping_accounts(
    engine: Engine, *, timeout: float | None = None, failures_before_down: int | None = None
) -> PingReport:
    """Ping every active account with a host and key concurrently, update health, record failovers."""
    settings = get_settings()
    timeout = timeout or settings.account_timeout_seconds
    limit = failures_before_down or settings.account_failures_before_down
    targets = _targets(engine)
    if not targets:  # the sidecar's timer on a database without accounts: no write transaction at all
        return PingReport(results=[], switches=[])
    with ThreadPoolExecutor(max_workers=max(1, min(MAX_WORKERS, len(targets)))) as pool:
        outcomes = list(pool.map(lambda t: _ping(t, timeout), targets))
    results, switches = [], []
    with unit_of_work(engine, write=True) as session:
        pinged = [(session.get(TradingAccount, t[0]), outcome) for t, outcome in zip(targets, outcomes, strict=True)]
        pinged = [(account, outcome) for account, outcome in pinged if account is not None]  # removed meanwhile
        users = {account.user_id for account, _ in pinged}
        before = {user: _active(session, user) for user in users}
        for account, (broker, error, seconds) in pinged:
            results.append(_apply(session, account, broker, error, seconds, limit))
        session.flush()
        for user in sorted(users):
            after = _active(session, user)
            if _id(before[user]) != _id(after):
                switches.append(_record_switch(session, user, before[user], after))
    return PingReport(results=sorted(results, key=lambda r: r.name.lower()), switches=switches)


def active_data_account(engine: Engine, user_id: int) -> DataAccount | None:
    """The account that serves this user's data calls now, or None when none is usable."""
    with unit_of_work(engine, write=False) as session:
        account = _active(session, user_id)
        if account is None:
            return None
        return DataAccount(
            account.id, account.account_name, account.host_url, account.websocket_url, account.is_primary
        )


def data_connection(engine: Engine, user_id: int, *, timeout: float | None = None) -> BrokerConnection | None:
    """A connection to the user's active data account (its key decrypted here, never returned on its own)."""
    with unit_of_work(engine, write=False) as session:
        account = _active(session, user_id)
        if account is None:
            return None
        key = keyring_for(engine.dialect.name).decrypt(account.id, account.api_key_encrypted)
        return BrokerConnection(account.host_url, key, timeout=timeout or get_settings().account_timeout_seconds)


def failover_chain(session: Session, user_id: int) -> list[TradingAccount]:
    """The user's primary followed by its backups in the order added (no primary: every account by age)."""
    accounts = session.scalars(
        select(TradingAccount).where(TradingAccount.user_id == user_id).order_by(TradingAccount.id)
    ).all()
    primary = next((a for a in accounts if a.is_primary), None)
    if primary is None:
        return list(accounts)
    return [primary, *(a for a in accounts if a.backup_of_id == primary.id)]


def _active(session: Session, user_id: int) -> TradingAccount | None:
    for account in failover_chain(session, user_id):
        usable = account.is_active and account.host_url and account.api_key_encrypted
        if usable and account.connection_status != "down":
            return account
    return None


def _id(account: TradingAccount | None) -> int | None:
    return account.id if account is not None else None


def _targets(engine: Engine) -> list[tuple[int, str, str, str | AccountError]]:
    with unit_of_work(engine, write=False) as session:
        accounts = session.scalars(
            select(TradingAccount)
            .where(TradingAccount.is_active.is_(True), TradingAccount.host_url.is_not(None))
            .where(TradingAccount.api_key_encrypted.is_not(None))
            .order_by(TradingAccount.id)
        ).all()
        targets = []
        for a in accounts:
            try:  # a missing secret key or a refused ciphertext is that account's failed ping, not a crash
                key: str | AccountError = keyring_for(engine.dialect.name).decrypt(a.id, a.api_key_encrypted)
            except AccountError as exc:
                key = exc
            targets.append((a.id, a.account_name, a.host_url, key))
        return targets


def _ping(target, timeout: float) -> tuple[str | None, str | None, float]:
    _, _, host, key = target
    if isinstance(key, AccountError):
        return None, str(key), 0.0
    start = time.perf_counter()
    try:
        return BrokerConnection(host, key, timeout=timeout).ping(), None, time.perf_counter() - start
    except AccountError as exc:
        return None, str(exc), time.perf_counter() - start


def _apply(session: Session, account: TradingAccount, broker, error, seconds, limit: int) -> PingResult:
    now = utcnow()
    account.last_ping = now
    if error is None:
        if account.connection_status == "down":
            record_activity(
                session,
                "account_up",
                user_id=account.user_id,
                details={"message": f"account {account.account_name} answers again"},
            )
        account.connection_status, account.failed_pings = "up", 0
        account.last_connected, account.last_error = now, None
    else:
        account.failed_pings += 1
        account.last_error = error
        if account.failed_pings >= limit and account.connection_status != "down":
            account.connection_status = "down"
            record_activity(
                session,
                "account_down",
                user_id=account.user_id,
                details={
                    "message": f"account {account.account_name} down after {account.failed_pings} failed pings: {error}"
                },
            )
    status = account.connection_status or "disconnected"
    return PingResult(account.id, account.account_name, error is None, broker, error, status, seconds)


def _record_switch(session: Session, user_id: int, old: TradingAccount | None, new: TradingAccount | None):
    if new is not None and new.is_primary:
        reason = f"primary {new.account_name} recovered"
    elif old is not None:
        reason = f"{old.account_name} down: {old.last_error or 'not usable'}"[:100]
    else:
        reason = f"{new.account_name} usable again"
    session.add(
        FailoverEvent(
            from_account_id=_id(old),
            to_account_id=_id(new),
            reason=reason[:100],
            success=new is not None,
            error_message=None if new is not None else "no healthy backup account",
        )
    )
    names = (old.account_name if old else "none", new.account_name if new else "none")
    record_activity(
        session,
        "account_failover",
        user_id=user_id,
        details={"message": f"data calls moved from {names[0]} to {names[1]}: {reason}"},
    )
    return FailoverSwitch(user_id, old.account_name if old else None, new.account_name if new else None, reason)

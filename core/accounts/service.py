"""Account management for the CLI and the Accounts page. Engine in, frozen views and DataFrames out.

Every call takes the actor second: a trader sees and manages only their own accounts, an admin every user's
(`require_account_owner`); a viewer none. The first half (accounts by name: add, list, test, sync, import, rotate,
remove) is the command line's, which acts as the local operator (an admin) or the user named by `--as`; the
second half (accounts by id) is the Accounts page's. Every write leaves an activity row naming the actor.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.accounts.csv_import import ImportPreview, ImportReport, import_positions, preview_positions
from core.accounts.editing import AccountChanges, apply_changes
from core.accounts.errors import AccountError, AccountExists, AccountNotFound, InvalidAccountInput
from core.accounts.keystore import Keyring, keyring_for, mask_key
from core.accounts.portfolio import Portfolio, load_portfolio
from core.accounts.queueing import KIND, account_sync_scope, queue_account_sync
from core.accounts.registry import check_url, find_account, find_user
from core.accounts.rotation import RotationReport, rotate_keys
from core.accounts.trades_import import TradesPreview, TradesReport, import_trades, new_rows, preview_trades
from core.auth import Actor, Permission, require, require_account_owner
from core.auth.audit import log_activity, record_activity
from core.config import get_settings
from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import (
    FINAL_RUN_STATUSES,
    Holding,
    JobRun,
    Order,
    Position,
    Trade,
    TradingAccount,
    User,
    WebSocketConnection,
)
from core.jobs.health import sidecar_health
from core.jobs.progress import RunProgress, progress_of

if TYPE_CHECKING:  # the sync (and the OpenAlgo client and pandas behind it) loads only when a sync runs here
    from core.accounts.sync import AccountSyncResult, SyncReport


@dataclass(frozen=True)
class AccountView:
    """One account as the list and the page show it; `key` is masked (`****1234`), never the key."""

    id: int
    name: str
    owner: str
    owner_id: int
    broker: str
    host: str | None
    ws_url: str | None
    status: str
    is_primary: bool
    is_active: bool
    backup_of: str | None
    last_ping: dt.datetime | None
    last_sync: dt.datetime | None
    last_error: str | None
    key: str | None
    key_problem: str | None = None
    feed_at: dt.datetime | None = None  # the last write of a live feed's prices; None: no live feed right now

    def to_json(self) -> dict:
        """The `accounts list --format json` row (DESIGN section 8)."""
        return {
            "name": self.name,
            "owner": self.owner,
            "broker": self.broker,
            "host": self.host,
            "status": self.status,
            "is_primary": self.is_primary,
            "backup_of": self.backup_of,
            "last_sync": self.last_sync.isoformat() if self.last_sync else None,
            "key": self.key,
            "ws_url": self.ws_url,
            "last_ping": self.last_ping.isoformat() if self.last_ping else None,
            "last_error": self.last_error,
        }


@dataclass(frozen=True)
class RemovedAccount:
    name: str
    owner: str
    positions: int
    holdings: int
    orders: int
    trades: int
    backups_unlinked: list[str]


def check_api_key(api_key: str | None) -> str:
    """The key, stripped; an error (that does not show it) when empty or containing spaces."""
    key = (api_key or "").strip()
    if not key or any(c.isspace() for c in key):
        raise InvalidAccountInput("the API key is empty or contains spaces")
    return key


def test_connection(host: str, api_key: str, *, ws_url: str | None = None, timeout: float | None = None) -> str:
    """Ping `host` with `api_key` before anything is saved; returns the broker name OpenAlgo reports."""
    from core.accounts.openalgo_client import BrokerConnection

    host = check_url(host, ("http", "https"), "--host")
    timeout = timeout or get_settings().account_timeout_seconds
    return BrokerConnection(host, check_api_key(api_key), timeout=timeout, ws_url=ws_url).ping()


def add_account(
    engine: Engine,
    actor: Actor | None,
    *,
    name: str,
    broker: str,
    owner: str,
    host: str | None = None,
    api_key: str | None = None,
    ws_url: str | None = None,
    backup_of: str | None = None,
) -> AccountView:
    """Store a new account for `owner` (only an admin adds one for someone else), its key encrypted and bound to the
    new row; nothing is stored on error."""
    actor = require(actor, Permission.MANAGE_OWN_ACCOUNTS)
    name = name.strip()
    if len(name) < 3 or len(name) > 100:
        raise InvalidAccountInput("an account name has 3 to 100 characters")
    host = check_url(host, ("http", "https"), "--host") if host else None
    ws_url = check_url(ws_url, ("ws", "wss"), "--ws-url") if ws_url else None
    key = check_api_key(api_key) if (host or api_key) else None
    with unit_of_work(engine, write=True) as session:
        user = find_user(session, owner)
        require_account_owner(actor, user.id)
        clash = select(TradingAccount.id).where(
            TradingAccount.user_id == user.id, func.lower(TradingAccount.account_name) == name.lower()
        )
        if session.scalar(clash) is not None:
            raise AccountExists(f"{user.username} already has an account named {name!r}")
        primary = _backup_target(session, user, backup_of) if backup_of else None
        has_primary = session.scalar(
            select(func.count()).where(TradingAccount.user_id == user.id, TradingAccount.is_primary.is_(True))
        )
        account = TradingAccount(
            user_id=user.id,
            account_name=name,
            broker=broker.strip(),
            host_url=host,
            websocket_url=ws_url,
            is_primary=primary is None and not has_primary,
            backup_of_id=primary.id if primary else None,
        )
        session.add(account)
        session.flush()  # the id the ciphertext is bound to
        # The columns' seed defaults (a localhost URL) fill in a None on insert; an account without them has none.
        account.host_url, account.websocket_url = host, ws_url
        if key is not None:
            account.api_key_encrypted = keyring_for(engine.dialect.name, create=True).encrypt(account.id, key)
        record_activity(
            session,
            "account_added",
            actor=actor,
            target=f"account {name} of {user.username}",
            details={"message": f"account {name} ({broker}) at {host or 'CSV imports'}"},
        )
        session.flush()
        return _view(session, account, None)


def list_accounts(engine: Engine, actor: Actor | None, *, owner: str | None = None) -> list[AccountView]:
    """The accounts `actor` may see (an admin: everyone's, or `owner`'s), by owner then name, keys masked."""
    actor = require(actor, Permission.MANAGE_OWN_ACCOUNTS)
    with unit_of_work(engine, write=False) as session:
        query = select(TradingAccount).join(User).order_by(User.username, TradingAccount.account_name)
        if owner is not None:
            owner_id = find_user(session, owner).id
            require_account_owner(actor, owner_id)
            query = query.where(TradingAccount.user_id == owner_id)
        elif not actor.can(Permission.MANAGE_ALL_ACCOUNTS):
            if actor.user_id is None:
                return []
            query = query.where(TradingAccount.user_id == actor.user_id)
        accounts = session.scalars(query).all()
        keyring = _keyring_or_none(engine) if any(a.api_key_encrypted for a in accounts) else None
        return [_view(session, a, keyring) for a in accounts]


def _account_key(engine: Engine, account: TradingAccount) -> str:
    """The decrypted API key of an account (for a connection; never to be shown or logged)."""
    if not account.api_key_encrypted:
        raise InvalidAccountInput(f"account {account.account_name} has no API key stored")
    return keyring_for(engine.dialect.name).decrypt(account.id, account.api_key_encrypted)


def test_account(
    engine: Engine, actor: Actor | None, name: str, *, owner: str | None = None, timeout: float | None = None
) -> str:
    """Ping a stored account with its stored host and key; returns the broker name."""
    from core.accounts.openalgo_client import BrokerConnection

    with unit_of_work(engine, write=False) as session:
        account = _named(session, actor, name, owner)
        if not account.host_url:
            raise InvalidAccountInput(f"account {account.account_name} has no OpenAlgo host (it takes CSV imports)")
        host, key = account.host_url, _account_key(engine, account)
    return BrokerConnection(host, key, timeout=timeout or get_settings().account_timeout_seconds).ping()


def queue_sync(
    engine: Engine,
    actor: Actor | None,
    name: str | None,
    *,
    owner: str | None = None,
    requested_by: str | None = None,
) -> RunProgress:
    """Queue a sync of the named account (None: every account the actor may sync) for the sidecar."""
    with unit_of_work(engine, write=True) as session:
        ids = _sync_ids(session, actor, None if name is None else [_named(session, actor, name, owner).id])
        run, created = queue_account_sync(session, ids, requested_by=requested_by or actor.username)
        session.flush()
        if created:
            _record_sync(session, actor, run)
        return progress_of(run)


def sync_now(
    engine: Engine,
    actor: Actor | None,
    name: str | None,
    *,
    owner: str | None = None,
    progress: Callable[[AccountSyncResult], None] | None = None,
) -> SyncReport:
    """Sync the named account (None: every account the actor may sync) here and now, not through the sidecar."""
    from core.accounts.sync import SyncReport, sync_accounts

    with unit_of_work(engine) as session:
        ids = _sync_ids(session, actor, None if name is None else [_named(session, actor, name, owner).id])
    if ids == []:
        return SyncReport(results=[])
    report = sync_accounts(engine, ids, progress=progress)
    if report.results:
        synced = ", ".join(r.name for r in report.results)
        details = {"message": f"synced {report.synced}, failed {report.failed}: {synced}"}
        log_activity(engine, "accounts_synced", actor=actor, target=f"{len(report.results)} accounts", details=details)
    return report


def import_account_positions(
    engine: Engine,
    actor: Actor | None,
    name: str,
    path: str | Path,
    *,
    owner: str | None = None,
    preset: str | None = None,
    columns: dict[str, str] | None = None,
) -> ImportReport:
    """Replace the named account's imported positions and holdings with the CSV file's."""
    with unit_of_work(engine) as session:
        account = _named(session, actor, name, owner)
        name, owner = account.account_name, account.user.username
    return import_positions(engine, name, path, preset=preset, columns=columns, owner=owner, actor=actor)


def import_account_trades(
    engine: Engine,
    actor: Actor | None,
    name: str,
    path: str | Path,
    *,
    owner: str | None = None,
    preset: str | None = None,
) -> TradesReport:
    """Add the trades of a broker's transaction-history CSV the named account does not have yet."""
    with unit_of_work(engine) as session:
        account = _named(session, actor, name, owner)
        name, owner = account.account_name, account.user.username
    return import_trades(engine, name, path, preset=preset, owner=owner, actor=actor)


def rotate_account_keys(engine: Engine, actor: Actor | None, *, batch_size: int = 100) -> RotationReport:
    """Re-encrypt every user's account key under the newest secret key (an admin's job: it touches all of them)."""
    actor = require(actor, Permission.MANAGE_ALL_ACCOUNTS)
    report = rotate_keys(engine, batch_size=batch_size)
    details = {"message": f"rotated {report.rotated}, already current {report.current}, failed {report.failed}"}
    log_activity(engine, "account_keys_rotated", actor=actor, target="every account key", details=details)
    return report


def remove_account(engine: Engine, actor: Actor | None, name: str, *, owner: str | None = None) -> RemovedAccount:
    """Delete an account with its positions, holdings, orders, trades, funds and feed rows; failover history stays."""
    with unit_of_work(engine, write=True) as session:
        return _remove(session, _named(session, actor, name, owner), actor)


def _named(session: Session, actor: Actor | None, name: str, owner: str | None) -> TradingAccount:
    """The account called `name` that `actor` may manage: a trader's own by default, any user's for an admin."""
    actor = require(actor, Permission.MANAGE_OWN_ACCOUNTS)
    if owner is None and not actor.can(Permission.MANAGE_ALL_ACCOUNTS):
        owner = actor.username
    account = find_account(session, name, owner)
    require_account_owner(actor, account.user_id)
    return account


def _record_sync(session: Session, actor: Actor, run: JobRun) -> None:
    record_activity(
        session,
        "account_sync_enqueue",
        actor=actor,
        target=f"run {run.id}",
        details={"message": f"{run.total_items} accounts queued for the sidecar"},
    )


def _removal(session: Session, account: TradingAccount) -> RemovedAccount:
    """What deleting `account` takes with it (nothing is deleted here)."""

    def count(model) -> int:
        return session.scalar(select(func.count()).select_from(model).where(model.account_id == account.id))

    backups = session.scalars(select(TradingAccount.account_name).where(TradingAccount.backup_of_id == account.id))
    return RemovedAccount(
        name=account.account_name,
        owner=account.user.username,
        positions=count(Position),
        holdings=count(Holding),
        orders=count(Order),
        trades=count(Trade),
        backups_unlinked=sorted(backups),
    )


def _remove(session: Session, account: TradingAccount, actor: Actor) -> RemovedAccount:
    removed = _removal(session, account)
    record_activity(
        session,
        "account_removed",
        actor=actor,
        target=f"account {removed.name} of {removed.owner}",
        details={"message": f"account {account.account_name}"},
    )
    session.delete(account)
    return removed


def _backup_target(session: Session, user: User, name: str) -> TradingAccount:
    target = find_account(session, name, user.username)
    if target.backup_of_id is not None:
        primary = session.get(TradingAccount, target.backup_of_id)
        raise InvalidAccountInput(
            f"{target.account_name} is itself a backup of {primary.account_name}: name the primary account"
        )
    return target


def _keyring_or_none(engine: Engine) -> Keyring | AccountError:
    try:
        return keyring_for(engine.dialect.name)
    except AccountError as exc:
        return exc


def _view(session: Session, account: TradingAccount, keyring: Keyring | AccountError | None) -> AccountView:
    key, problem = None, None
    if account.api_key_encrypted:
        if isinstance(keyring, AccountError):
            key, problem = "****", str(keyring)
        else:
            try:
                keyring = keyring or keyring_for(session.get_bind().dialect.name)
                key = mask_key(keyring.decrypt(account.id, account.api_key_encrypted))
            except AccountError as exc:
                key, problem = "****", str(exc)
    backup = session.get(TradingAccount, account.backup_of_id) if account.backup_of_id else None
    return AccountView(
        id=account.id,
        name=account.account_name,
        owner=account.user.username,
        owner_id=account.user_id,
        broker=account.broker,
        host=account.host_url,
        ws_url=account.websocket_url,
        status=account.connection_status or "disconnected",
        is_primary=account.is_primary,
        is_active=account.is_active,
        backup_of=backup.account_name if backup else None,
        last_ping=account.last_ping,
        last_sync=account.last_sync,
        last_error=account.last_error,
        key=key,
        key_problem=problem,
        feed_at=_live_feed_at(session, account.id),
    )


def _live_feed_at(session: Session, account_id: int) -> dt.datetime | None:
    """When the sidecar last wrote this account's feed prices, if its connection is up and that was recent (a
    sidecar that died leaves its row "connected", so the heartbeat's age decides)."""
    beat = session.scalar(
        select(func.max(WebSocketConnection.last_heartbeat)).where(
            WebSocketConnection.account_id == account_id, WebSocketConnection.status == "connected"
        )
    )
    if beat is None:
        return None
    beat = beat if beat.tzinfo else beat.replace(tzinfo=dt.UTC)
    fresh = dt.timedelta(seconds=max(60.0, 3 * get_settings().account_feed_flush_seconds))
    return beat if utcnow() - beat <= fresh else None


# ---- the Accounts page: every call takes the signed-in actor ------------------------------------------------
@dataclass(frozen=True)
class AccountSyncView:
    """What the page's sync progress shows: the run it follows (or the scope's active one), else the last one."""

    run: RunProgress | None
    last: RunProgress | None
    sidecar_alive: bool


def visible_accounts(engine: Engine, actor: Actor | None) -> list[AccountView]:
    """The accounts `actor` may see and manage: their own, or every user's for an admin."""
    return list_accounts(engine, actor)


def account_portfolio(
    engine: Engine, actor: Actor | None, account_ids: list[int] | None = None, *, now: dt.datetime | None = None
) -> Portfolio:
    """The books of these accounts (None: every account the actor sees), each checked against the actor."""
    with unit_of_work(engine) as session:
        ids = _checked_ids(session, actor, account_ids)
        return load_portfolio(session, ids, now)


def check_connection(actor: Actor | None, host: str, api_key: str, *, ws_url: str | None = None) -> str:
    """The page's "Test connection": ping `host` with the entered key before anything is saved; the broker name."""
    require(actor, Permission.MANAGE_OWN_ACCOUNTS)
    return test_connection(host, api_key, ws_url=ws_url)


def create_account(
    engine: Engine,
    actor: Actor | None,
    *,
    name: str,
    broker: str,
    host: str | None,
    api_key: str | None,
    ws_url: str | None = None,
    backup_of: str | None = None,
    owner: str | None = None,
) -> AccountView:
    """Add an account for `owner` (default: the actor); only an admin adds one for someone else."""
    actor = require(actor, Permission.MANAGE_OWN_ACCOUNTS)
    return add_account(
        engine,
        actor,
        name=name,
        broker=broker,
        owner=owner or actor.username,
        host=host or None,
        api_key=api_key or None,
        ws_url=ws_url or None,
        backup_of=backup_of or None,
    )


def change_account(engine: Engine, actor: Actor | None, account_id: int, changes: AccountChanges) -> AccountView:
    """Save the Edit form (a blank key keeps the stored one)."""
    with unit_of_work(engine, write=True) as session:
        _owned(session, actor, account_id)
        account = apply_changes(session, account_id, changes, check_key=check_api_key, actor=actor)
        session.flush()
        return _view(session, account, None)


def removal_preview(engine: Engine, actor: Actor | None, account_id: int) -> RemovedAccount:
    """What deleting the account would take with it, for the confirmation (nothing is deleted)."""
    with unit_of_work(engine) as session:
        return _removal(session, _owned(session, actor, account_id))


def delete_account(engine: Engine, actor: Actor | None, account_id: int) -> RemovedAccount:
    """Delete the account and everything synced or imported for it (the page has asked for confirmation)."""
    with unit_of_work(engine, write=True) as session:
        return _remove(session, _owned(session, actor, account_id), actor)


def request_account_sync(
    engine: Engine, actor: Actor | None, account_ids: list[int] | None = None
) -> tuple[RunProgress, bool]:
    """Queue a sync of these accounts (None: every account the actor sees) for the sidecar: (run, created)."""
    with unit_of_work(engine, write=True) as session:
        ids = _sync_ids(session, actor, account_ids)
        run, created = queue_account_sync(session, ids, requested_by=actor.username)
        session.flush()
        if created:
            _record_sync(session, actor, run)
        return progress_of(run), created


def account_sync_view(
    engine: Engine, actor: Actor | None, account_ids: list[int] | None = None, *, run_id: int | None = None
) -> AccountSyncView:
    """The followed run (`run_id`), else the active sync of these accounts, else the last finished one of them."""
    with unit_of_work(engine) as session:
        scope = account_sync_scope(_sync_ids(session, actor, account_ids))
        runs = select(JobRun).where(JobRun.kind == KIND, JobRun.scope == scope)
        run = session.scalar(runs.where(JobRun.id == run_id)) if run_id else None
        run = run or session.scalar(runs.where(JobRun.status.in_(("queued", "running"))).order_by(JobRun.id))
        last = None
        if run is None:
            last = session.scalar(runs.where(JobRun.status.in_(FINAL_RUN_STATUSES)).order_by(JobRun.id.desc()).limit(1))
        alive = sidecar_health(session).alive
        return AccountSyncView(progress_of(run) if run else None, progress_of(last) if last else None, alive)


def preview_upload(data: bytes, filename: str, *, preset: str | None = None) -> ImportPreview:
    """The rows an uploaded CSV would import (nothing is stored); errors name the file and the line."""
    with tempfile.TemporaryDirectory(prefix="wheelhouse-import-") as folder:
        return preview_positions(_spool(folder, data, filename), preset=preset)


def import_upload(
    engine: Engine, actor: Actor | None, account_id: int, data: bytes, filename: str, *, preset: str | None = None
) -> ImportReport:
    """Replace the account's imported positions and holdings with the uploaded file's."""
    with unit_of_work(engine) as session:
        account = _owned(session, actor, account_id)
        name, owner = account.account_name, account.user.username
    with tempfile.TemporaryDirectory(prefix="wheelhouse-import-") as folder:
        return import_positions(engine, name, _spool(folder, data, filename), preset=preset, owner=owner, actor=actor)


def preview_trades_upload(
    engine: Engine, actor: Actor | None, account_id: int, data: bytes, filename: str, *, preset: str | None = None
) -> TradesReport:
    """What importing an uploaded transaction history would do: its rows, and how many the account has already
    (nothing is stored)."""
    with tempfile.TemporaryDirectory(prefix="wheelhouse-import-") as folder:
        preview = preview_trades(_spool(folder, data, filename), preset=preset)
    with unit_of_work(engine) as session:
        account = _owned(session, actor, account_id)
        new = len(new_rows(session, account.id, preview))
        return TradesReport(account.account_name, preview, new, len(preview.rows) - new)


def import_trades_upload(
    engine: Engine, actor: Actor | None, account_id: int, data: bytes, filename: str, *, preset: str | None = None
) -> TradesReport:
    """Add the uploaded transaction history's trades the account does not have yet."""
    with unit_of_work(engine) as session:
        account = _owned(session, actor, account_id)
        name, owner = account.account_name, account.user.username
    with tempfile.TemporaryDirectory(prefix="wheelhouse-import-") as folder:
        return import_trades(engine, name, _spool(folder, data, filename), preset=preset, owner=owner, actor=actor)


def _spool(folder: str, data: bytes, filename: str) -> Path:
    path = Path(folder) / (Path(filename).name or "upload.csv")
    path.write_bytes(data)
    return path


def _owned(session: Session, actor: Actor | None, account_id: int) -> TradingAccount:
    account = session.get(TradingAccount, account_id)
    if account is None:
        require(actor, Permission.MANAGE_OWN_ACCOUNTS)
        raise AccountNotFound(f"no account with id {account_id} (removed meanwhile?)")
    require_account_owner(actor, account.user_id)
    return account


def _checked_ids(session: Session, actor: Actor | None, account_ids: list[int] | None) -> list[int]:
    if account_ids is None:
        actor = require(actor, Permission.MANAGE_OWN_ACCOUNTS)
        query = select(TradingAccount.id).order_by(TradingAccount.id)
        if not actor.can(Permission.MANAGE_ALL_ACCOUNTS):
            query = query.where(TradingAccount.user_id == actor.user_id)
        return list(session.scalars(query))
    return [_owned(session, actor, i).id for i in account_ids]


def _sync_ids(session: Session, actor: Actor | None, account_ids: list[int] | None) -> list[int] | None:
    """The ids to queue: None (every account) for an admin's "all", else the checked ids."""
    if account_ids is not None:
        return _checked_ids(session, actor, account_ids)
    actor = require(actor, Permission.MANAGE_OWN_ACCOUNTS)
    if actor.can(Permission.MANAGE_ALL_ACCOUNTS):
        return None
    syncable = select(TradingAccount.id).where(  # a trader's "all": their accounts that have a host and key
        TradingAccount.user_id == actor.user_id,
        TradingAccount.host_url.is_not(None),
        TradingAccount.api_key_encrypted.is_not(None),
    )
    return list(session.scalars(syncable.order_by(TradingAccount.id)))


__all__ = [
    "AccountChanges",
    "AccountSyncView",
    "AccountView",
    "ImportPreview",
    "ImportReport",
    "TradesPreview",
    "TradesReport",
    "Portfolio",
    "RemovedAccount",
    "RotationReport",
    "RunProgress",
    "account_portfolio",
    "account_sync_view",
    "add_account",
    "change_account",
    "check_connection",
    "create_account",
    "delete_account",
    "import_account_positions",
    "import_account_trades",
    "import_trades_upload",
    "import_upload",
    "list_accounts",
    "preview_trades_upload",
    "preview_upload",
    "queue_sync",
    "remove_account",
    "removal_preview",
    "request_account_sync",
    "rotate_account_keys",
    "sync_now",
    "test_account",
    "test_connection",
    "visible_accounts",
]

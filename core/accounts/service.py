"""Account management for the CLI and the Accounts page: add, list, test, remove. Engine in, frozen views out.

Permissions (a trader manages only their own accounts, an admin all) are the caller's to check with the sign-in
capability's `require(actor, permission)`; `list_accounts(owner_id=...)` gives a trader's view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.accounts.errors import AccountError, AccountExists, InvalidAccountInput
from core.accounts.keystore import Keyring, keyring_for, mask_key
from core.accounts.registry import check_url, find_account, find_user
from core.auth.audit import record_activity
from core.config import get_settings
from core.db.engine import unit_of_work
from core.db.models import Holding, Order, Position, Trade, TradingAccount, User


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
    *,
    name: str,
    broker: str,
    owner: str,
    host: str | None = None,
    api_key: str | None = None,
    ws_url: str | None = None,
    backup_of: str | None = None,
) -> AccountView:
    """Store a new account for `owner`, its key encrypted and bound to the new row; nothing is stored on error."""
    name = name.strip()
    if len(name) < 3 or len(name) > 100:
        raise InvalidAccountInput("an account name has 3 to 100 characters")
    host = check_url(host, ("http", "https"), "--host") if host else None
    ws_url = check_url(ws_url, ("ws", "wss"), "--ws-url") if ws_url else None
    key = check_api_key(api_key) if (host or api_key) else None
    with unit_of_work(engine, write=True) as session:
        user = find_user(session, owner)
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
            user_id=user.id,
            details={"message": f"account {name} ({broker}) at {host or 'CSV imports'}"},
        )
        session.flush()
        return _view(session, account, None)


def list_accounts(engine: Engine, *, owner_id: int | None = None) -> list[AccountView]:
    """Every account (or one user's), by owner then name, keys masked."""
    with unit_of_work(engine, write=False) as session:
        query = select(TradingAccount).join(User).order_by(User.username, TradingAccount.account_name)
        if owner_id is not None:
            query = query.where(TradingAccount.user_id == owner_id)
        accounts = session.scalars(query).all()
        keyring = _keyring_or_none(engine) if any(a.api_key_encrypted for a in accounts) else None
        return [_view(session, a, keyring) for a in accounts]


def account_key(engine: Engine, account: TradingAccount) -> str:
    """The decrypted API key of an account (for a connection; never to be shown or logged)."""
    if not account.api_key_encrypted:
        raise InvalidAccountInput(f"account {account.account_name} has no API key stored")
    return keyring_for(engine.dialect.name).decrypt(account.id, account.api_key_encrypted)


def test_account(engine: Engine, name: str, *, owner: str | None = None, timeout: float | None = None) -> str:
    """Ping a stored account with its stored host and key; returns the broker name."""
    from core.accounts.openalgo_client import BrokerConnection

    with unit_of_work(engine, write=False) as session:
        account = find_account(session, name, owner)
        if not account.host_url:
            raise InvalidAccountInput(f"account {account.account_name} has no OpenAlgo host (it takes CSV imports)")
        host, key = account.host_url, account_key(engine, account)
    return BrokerConnection(host, key, timeout=timeout or get_settings().account_timeout_seconds).ping()


def remove_account(engine: Engine, name: str, *, owner: str | None = None) -> RemovedAccount:
    """Delete an account with its positions, holdings, orders, trades, funds and feed rows; failover history stays."""
    with unit_of_work(engine, write=True) as session:
        account = find_account(session, name, owner)

        def count(model) -> int:
            return session.scalar(select(func.count()).select_from(model).where(model.account_id == account.id))

        backups = session.scalars(select(TradingAccount.account_name).where(TradingAccount.backup_of_id == account.id))
        removed = RemovedAccount(
            name=account.account_name,
            owner=account.user.username,
            positions=count(Position),
            holdings=count(Holding),
            orders=count(Order),
            trades=count(Trade),
            backups_unlinked=sorted(backups),
        )
        record_activity(
            session, "account_removed", user_id=account.user_id, details={"message": f"account {account.account_name}"}
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
    )


__all__ = [
    "AccountView",
    "RemovedAccount",
    "add_account",
    "list_accounts",
    "remove_account",
    "test_account",
    "test_connection",
]

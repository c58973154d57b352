"""Changing a stored account (the page's Edit form): name, broker, host, feed URL, active flag, and a new key.

A new key is encrypted bound to the same account id; a blank key keeps the stored one. The host and key are not
re-tested here: the page's "Test connection" does that before it saves, as `add` does.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts.errors import AccountExists, AccountNotFound, InvalidAccountInput
from core.accounts.keystore import keyring_for
from core.accounts.registry import check_url
from core.auth import Actor
from core.auth.audit import record_activity
from core.db.models import TradingAccount


@dataclass(frozen=True)
class AccountChanges:
    """The Edit form's values; `api_key` None or blank keeps the stored key."""

    name: str
    broker: str
    host: str | None
    ws_url: str | None
    is_active: bool
    api_key: str | None = None


def apply_changes(
    session: Session, account_id: int, changes: AccountChanges, *, check_key, actor: Actor | None = None
) -> TradingAccount:
    """Write `changes` to the account (in the caller's transaction); `check_key` validates a new key."""
    account = session.get(TradingAccount, account_id)
    if account is None:
        raise AccountNotFound(f"no account with id {account_id}")
    name = changes.name.strip()
    if len(name) < 3 or len(name) > 100:
        raise InvalidAccountInput("an account name has 3 to 100 characters")
    if not changes.broker.strip():
        raise InvalidAccountInput("say which broker the account is at")
    clash = select(TradingAccount.id).where(
        TradingAccount.user_id == account.user_id,
        func.lower(TradingAccount.account_name) == name.lower(),
        TradingAccount.id != account.id,
    )
    if session.scalar(clash) is not None:
        raise AccountExists(f"{account.user.username} already has an account named {name!r}")
    host = check_url(changes.host, ("http", "https"), "the host") if changes.host and changes.host.strip() else None
    ws_url = check_url(changes.ws_url, ("ws", "wss"), "the WebSocket URL") if (changes.ws_url or "").strip() else None
    new_key = check_key(changes.api_key) if (changes.api_key or "").strip() else None
    if host and not (new_key or account.api_key_encrypted):
        raise InvalidAccountInput("an account with an OpenAlgo host needs its API key")
    changed = [
        label
        for label, before, after in (
            ("name", account.account_name, name),
            ("broker", account.broker, changes.broker.strip()),
            ("host", account.host_url, host),
            ("feed", account.websocket_url, ws_url),
            ("active", account.is_active, changes.is_active),
        )
        if before != after
    ] + (["key"] if new_key else [])
    account.account_name, account.broker = name, changes.broker.strip()
    account.host_url, account.websocket_url, account.is_active = host, ws_url, changes.is_active
    if new_key:
        keyring = keyring_for(session.get_bind().dialect.name, create=True)
        account.api_key_encrypted = keyring.encrypt(account.id, new_key)
    if changed:
        record_activity(
            session,
            "account_changed",
            actor=actor,
            user_id=account.user_id,
            details={"message": f"account {name}: {', '.join(changed)} changed"},
        )
    return account


__all__ = ["AccountChanges", "apply_changes"]

"""Which broker account the `openalgo` provider reads through, and building the provider for it.

An OpenAlgo connection is a trading account of the Accounts feature (core.accounts): its host and its API key,
stored encrypted. The key is decrypted here, in the process that syncs (the sidecar or `sync --inline`), and
handed straight to the client; it is never logged, never stored in a run's parameters (only the account's id
is), and never reaches a scanner's sandbox (the scanner reads bars the parent process fetched).
"""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from core.accounts.errors import AccountError, AccountNotFound
from core.accounts.health import failover_chain
from core.accounts.keystore import keyring_for
from core.accounts.registry import find_account
from core.config import Settings, get_settings
from core.db.engine import get_engine, unit_of_work
from core.db.models import TradingAccount
from core.providers.base import UnknownProvider
from core.providers.openalgo_provider import OpenAlgoProvider


class NoDataAccount(UnknownProvider):
    """The openalgo provider was chosen without an account it can use (none named, unknown, or no key)."""


NEEDS_ACCOUNT = (
    "the openalgo provider reads through a broker account: pass --account NAME, set OPENALGO_ACCOUNT, "
    "or make one of your accounts primary"
)


def find_data_account(session: Session, account: int | str | None, user_id: int | None = None) -> TradingAccount:
    """The account a sync reads through: `account` (an id or a name), else OPENALGO_ACCOUNT, else the primary
    (or first usable) account of `user_id`. Raises `NoDataAccount` / `AccountNotFound`."""
    if account is None:
        account = get_settings().openalgo_account
    if isinstance(account, int):
        row = session.get(TradingAccount, account)
        if row is None:
            raise AccountNotFound(f"no account with id {account}")
        return row
    if account:
        return find_account(session, account)
    if user_id is not None:
        for row in failover_chain(session, user_id):
            if row.is_active and row.host_url and row.api_key_encrypted:
                return row
    raise NoDataAccount(NEEDS_ACCOUNT)


def provider_for_account(
    account: int | str | None, *, engine: Engine | None = None, settings: Settings | None = None
) -> OpenAlgoProvider:
    """An OpenAlgoProvider reading through `account` (an id or a name; None: OPENALGO_ACCOUNT)."""
    settings = settings or get_settings()
    engine = engine or get_engine(settings.database_url)
    with unit_of_work(engine) as session:
        try:
            row = find_data_account(session, account)
        except AccountError as exc:
            raise NoDataAccount(str(exc)) from None
        account_id, name, host, token = row.id, row.account_name, row.host_url, row.api_key_encrypted
    if not host or not token:
        raise NoDataAccount(f"account {name!r} has no OpenAlgo host or no API key stored")
    try:
        key = keyring_for(engine.dialect.name, settings=settings).decrypt(account_id, token)
    except AccountError as exc:
        raise NoDataAccount(f"account {name!r}: {exc}") from None
    return OpenAlgoProvider(
        host,
        key,
        account=name,
        exchange=settings.openalgo_exchange,
        timeout=settings.account_timeout_seconds,
        requests_per_second=settings.openalgo_requests_per_second,
        max_retries=settings.openalgo_max_retries,
    )


def account_id_of(session: Session, account: int | str | None, user_id: int | None = None) -> int:
    """The id of the account `find_data_account` picks (what a queued run stores)."""
    return find_data_account(session, account, user_id).id


__all__ = ["NEEDS_ACCOUNT", "NoDataAccount", "account_id_of", "find_data_account", "provider_for_account"]

"""Finding users and accounts by name, inside the caller's session (never commits)."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts.errors import AccountNotFound, InvalidAccountInput
from core.auth.users import find_user as find_auth_user
from core.db.models import TradingAccount, User


def find_user(session: Session, username: str) -> User:
    """The user of that name, compared case-insensitively."""
    user = find_auth_user(session, username)
    if user is None:
        raise AccountNotFound(f"no user named {username!r} (create one with `python -m core users create`)")
    return user


def find_account(session: Session, name: str, owner: str | None = None) -> TradingAccount:
    """The account of that name (of `owner` when given); an error when none or several match."""
    query = select(TradingAccount).join(User).where(func.lower(TradingAccount.account_name) == name.strip().lower())
    if owner is not None:
        query = query.where(User.id == find_user(session, owner).id)
    accounts = session.scalars(query).all()
    if not accounts:
        raise AccountNotFound(f"no account named {name!r}" + (f" owned by {owner!r}" if owner else ""))
    if len(accounts) > 1:
        owners = ", ".join(sorted(a.user.username for a in accounts))
        raise InvalidAccountInput(f"several accounts are named {name!r} (owners {owners}): pass --owner")
    return accounts[0]


def check_url(url: str, schemes: tuple[str, ...], what: str) -> str:
    """`url` without a trailing slash, if it is an absolute URL with one of `schemes` and a host."""
    text = url.strip().rstrip("/")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError on a bad port)
    except ValueError:
        raise InvalidAccountInput(f"{what} is not a URL: {url!r}") from None
    if parts.query or parts.fragment or parts.username or parts.password:  # checked first: never echo credentials
        raise InvalidAccountInput(f"{what} must not carry a query, fragment or credentials")
    if parts.scheme not in schemes or not parts.hostname:
        raise InvalidAccountInput(f"{what} must look like {schemes[0]}://host:port, not {url!r}")
    return text

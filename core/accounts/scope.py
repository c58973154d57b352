"""What the wheel and Scan Premiums' "my holdings" scope read of a trader's accounts, in the caller's session:
which accounts the actor may look at (`account_ids`: the role and ownership check), their cash, and their open
short options parsed into contracts (core.accounts.instruments).

Quantities: a position synced from OpenAlgo counts units (shares of the underlying: NIFTY's -75 is one short lot
of 75), an imported CSV position counts contracts (-2 is two short contracts of 100 shares), as brokers' exports
write them. `shares` puts both in shares of the underlying, so every dollar figure is price x shares. A contract's
size is its underlying's `stocks.contract_size` (100 for US equity options, the lot size where a market has one,
as the last sync of its chain found it; 100 for a symbol never synced).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.accounts.instruments import CONTRACT_SIZE, OptionContract, parse_option_symbol
from core.accounts.registry import find_account
from core.auth import Actor, Permission, require, require_account_owner
from core.db.models import AccountFunds, Position, Stock, TradingAccount, User


@dataclass(frozen=True)
class ShortOption:
    """One open short option position of an account."""

    position_id: int
    account_id: int
    account: str
    contract: OptionContract
    quantity: int  # as stored (negative: short)
    shares: int  # shares of the underlying the position is short (positive)
    average_price: float  # premium received per share
    last_price: float | None  # the broker's last price per share, if it sent one
    source: str
    contract_size: int = CONTRACT_SIZE  # shares per contract of the underlying

    @property
    def contracts(self) -> float:
        return self.shares / self.contract_size


def shares_per_unit(source: str, contract_size: int = CONTRACT_SIZE) -> int:
    """Shares of the underlying per unit of an option position's quantity (see the module docstring)."""
    return contract_size if source == "import" else 1


def contract_sizes(session: Session, symbols: list[str]) -> dict[str, int]:
    """Shares per contract of each symbol (upper case) from `stocks.contract_size`; 100 for unknown symbols."""
    wanted = sorted({s.upper() for s in symbols})
    rows = session.execute(select(Stock.symbol, Stock.contract_size).where(func.upper(Stock.symbol).in_(wanted)))
    known = {symbol.upper(): size for symbol, size in rows if size}
    return {symbol: known.get(symbol, CONTRACT_SIZE) for symbol in wanted}


def account_ids(session: Session, actor: Actor | None, account: str | int | None) -> list[int]:
    """The accounts the wheel looks at: one (by name or id, checked against the actor), else every account the
    actor sees (a trader's own, an admin's all). A viewer has no accounts (PermissionDenied)."""
    actor = require(actor, Permission.MANAGE_OWN_ACCOUNTS)
    if account is None:
        query = select(TradingAccount.id).order_by(TradingAccount.id)
        if not actor.can(Permission.MANAGE_ALL_ACCOUNTS):
            query = query.where(TradingAccount.user_id == actor.user_id)
        return list(session.scalars(query))
    if isinstance(account, int):
        row = session.get(TradingAccount, account)
        if row is None:
            from core.accounts.errors import AccountNotFound

            raise AccountNotFound(f"no account with id {account}")
    else:
        row = find_account(session, account)
    require_account_owner(actor, row.user_id)
    return [row.id]


def account_names(session: Session, ids: list[int]) -> dict[int, str]:
    rows = session.execute(select(TradingAccount.id, TradingAccount.account_name).where(TradingAccount.id.in_(ids)))
    return dict(rows.all())


def account_labels(session: Session, ids: list[int], *, with_owner: bool) -> dict[int, str]:
    """id -> "name" (or "name (owner)"), by name."""
    rows = session.execute(
        select(TradingAccount.id, TradingAccount.account_name, User.username)
        .join(User)
        .where(TradingAccount.id.in_(ids))
        .order_by(TradingAccount.account_name, User.username)
    )
    return {i: f"{name} ({owner})" if with_owner else name for i, name, owner in rows}


def short_options(session: Session, ids: list[int]) -> list[ShortOption]:
    """Every open short option position of these accounts (stocks, futures and long options left out)."""
    names = account_names(session, ids)
    positions = session.scalars(
        select(Position).where(Position.account_id.in_(ids), Position.quantity < 0).order_by(Position.id)
    )
    parsed = [(p, contract) for p in positions if (contract := parse_option_symbol(p.symbol)) is not None]
    sizes = contract_sizes(session, [contract.underlying for _, contract in parsed])
    found = []
    for p, contract in parsed:
        size = sizes[contract.underlying.upper()]
        found.append(
            ShortOption(
                position_id=p.id,
                account_id=p.account_id,
                account=names[p.account_id],
                contract=contract,
                quantity=p.quantity,
                shares=-p.quantity * shares_per_unit(p.source, size),
                average_price=p.average_price,
                last_price=p.current_price,
                source=p.source,
                contract_size=size,
            )
        )
    return found


def put_cash(session: Session, ids: list[int]) -> tuple[float | None, float]:
    """(available cash, what open short puts reserve): None when no account reports cash. A short put reserves
    its strike x shares: the cash it would take to buy the shares if assigned."""
    cash = [c for c in session.scalars(select(AccountFunds.available_cash).where(AccountFunds.account_id.in_(ids)))]
    known = [c for c in cash if c is not None]
    reserved = sum(o.contract.strike * o.shares for o in short_options(session, ids) if o.contract.option_type == "put")
    return (sum(known) if known else None), float(reserved)

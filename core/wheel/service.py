"""What the Wheel page and the wheel's commands call (docs/wheel.md): an Engine and the acting user in, frames
and plain values out. Roles as for Accounts: a trader sees their own accounts, an admin every account, a viewer
none (`PermissionDenied`). Reads are read-only units of work; `cycles` also records the wheel's `strategies` /
`strategy_deployments` rows, and writes (with an activity row) only when something changed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from core.accounts import scope as books
from core.accounts.instruments import parse_option_symbol
from core.auth import Actor
from core.auth.audit import record_activity
from core.clock import today_in_new_york
from core.db.engine import unit_of_work
from core.db.models import Position, Strategy, StrategyDeployment, Trade
from core.premiums.screen import DatabaseScanner, InvalidFilters
from core.premiums.service import PutCash, account_choices, covered_calls, put_cash, sized_puts
from core.wheel.cycles import Cycle, Fill, derive_cycles
from core.wheel.positions import StatusRules, position_row, positions_frame
from core.wheel.rolls import roll_candidates

WHEEL_STRATEGY = "Wheel"


class PositionNotFound(LookupError):
    """No open short option with that id among the accounts the actor sees."""


def open_positions(
    engine: Engine,
    actor: Actor | None,
    *,
    account=None,
    as_of: dt.date | None = None,
    rules: StatusRules | None = None,
) -> pd.DataFrame:
    """Every open short option of the accounts with DTE, mid, greeks, P&L, capture, risk and status."""
    as_of = as_of or today_in_new_york()
    with unit_of_work(engine) as session:
        options = books.short_options(session, books.account_ids(session, actor, account))
        rows = [position_row(session, o, as_of, rules or StatusRules()) for o in options]
    frame = positions_frame(rows)
    frame.attrs.update(as_of=as_of)
    return frame


def rolls(
    engine: Engine, actor: Actor | None, position_id: int, *, as_of: dt.date | None = None, limit: int = 50
) -> pd.DataFrame:
    """Roll candidates of one open short option (docs/wheel.md), by the screen query."""
    as_of = as_of or today_in_new_york()
    with unit_of_work(engine) as session:
        option = _short_option(session, actor, position_id)
        if option.contract.expiry < as_of:
            raise PositionNotFound(
                f"position {position_id} ({option.contract.symbol}) expired on {option.contract.expiry}: nothing to "
                "roll; close it at the broker or sync (or import) the account again"
            )
        close = position_row(session, option, as_of, StatusRules())["mid"]
        return roll_candidates(DatabaseScanner(session), option, close, as_of, limit=limit)


def cycles(
    engine: Engine, actor: Actor | None, *, account=None, as_of: dt.date | None = None, record: bool = True
) -> list[Cycle]:
    """The accounts' wheel cycles derived from their trades; with `record`, the wheel strategy and one deployment
    per account with cycles are kept in step (idempotent: re-deriving changes nothing)."""
    as_of = as_of or today_in_new_york()
    with unit_of_work(engine, write=record) as session:
        ids = books.account_ids(session, actor, account)
        found = derive_cycles(_fills(session, ids), as_of)
        if record:
            _record(session, actor, ids, found)
    return found


def cycle_chart(engine: Engine, actor: Actor | None, cycle: Cycle, *, days_around: int = 10) -> pd.DataFrame:
    """The underlying's daily closes over the cycle (and a few days around it), for the legs' price chart."""
    with unit_of_work(engine) as session:
        books.account_ids(session, actor, None)  # the role check
        end = (cycle.end or today_in_new_york()) + dt.timedelta(days=days_around)
        span = (end - cycle.start).days + 2 * days_around
        return DatabaseScanner(session).symbol_history(cycle.underlying, days=span, as_of=end)[["date", "close"]]


def legs_frame(cycle: Cycle) -> pd.DataFrame:
    """A cycle's legs as a table."""
    return pd.DataFrame([dataclasses.asdict(leg) for leg in cycle.legs])


def cycles_frame(found: list[Cycle]) -> pd.DataFrame:
    """One row per cycle, for tables and totals."""
    columns = ["account", "underlying", "start", "end", "status", "outcome", "days", "premiums", "fees",
               "fees_status", "cost_basis", "capital", "realized_pnl", "annualized_return"]  # fmt: skip
    rows = [{k: v for k, v in c.to_json().items() if k in columns} for c in found]
    return pd.DataFrame(rows, columns=columns)


# ---- helpers ----------------------------------------------------------------------------------------------
def _short_option(session: Session, actor: Actor | None, position_id: int) -> books.ShortOption:
    position = session.get(Position, position_id)
    if position is None:
        books.account_ids(session, actor, None)  # a viewer is refused before being told what exists
        raise PositionNotFound(f"no position with id {position_id}")
    ids = books.account_ids(session, actor, position.account_id)
    for option in books.short_options(session, ids):
        if option.position_id == position_id:
            return option
    raise PositionNotFound(f"position {position_id} ({position.symbol}) is not an open short option")


def _fills(session: Session, ids: list[int]) -> list[Fill]:
    names = books.account_names(session, ids)
    trades = session.scalars(select(Trade).where(Trade.account_id.in_(ids)).order_by(Trade.traded_at, Trade.id))
    fills = []
    for t in trades:
        when = t.traded_at or dt.datetime.combine(t.trade_date, dt.time(), dt.UTC)
        price = t.average_price if t.average_price is not None else (t.trade_value or 0) / max(abs(t.quantity), 1)
        # imported option trades count contracts, as the broker's file does; the walk counts shares
        units = books.shares_per_unit(t.source) if parse_option_symbol(t.symbol) else 1
        fills.append(
            Fill(
                names[t.account_id],
                t.symbol,
                t.action.upper(),
                abs(t.quantity) * units,
                price,
                when,
                t.trade_date,
                t.fees,
            )  # fmt: skip
        )
    return fills


def _record(session: Session, actor: Actor, ids: list[int], found: list[Cycle]) -> None:
    """The wheel's strategy row and one deployment per account that has cycles: total realised P&L, the largest
    capital a cycle tied up, active while a cycle is open; an activity row only when something changed."""
    names = books.account_names(session, ids)
    by_account: dict[int, list[Cycle]] = {i: [c for c in found if c.account == names[i]] for i in ids}
    if not any(by_account.values()):
        return
    strategy = session.scalar(select(Strategy).where(func.lower(Strategy.name) == WHEEL_STRATEGY.lower()))
    changed = []
    if strategy is None:
        strategy = Strategy(name=WHEEL_STRATEGY, strategy_type="wheel", description="cash-secured puts, then covered "
                            "calls on assigned shares (derived from trades; docs/wheel.md)")  # fmt: skip
        session.add(strategy)
        session.flush()
        changed.append("strategy")
    for account_id, own in by_account.items():
        if not own:
            continue
        values = {
            "total_pnl": round(sum(c.realized_pnl or 0.0 for c in own), 2),
            "capital_allocated": round(max(c.capital for c in own), 2),
            "status": "active" if any(c.end is None for c in own) else "inactive",
            "started_at": dt.datetime.combine(min(c.start for c in own), dt.time(), dt.UTC),
            "stopped_at": None
            if any(c.end is None for c in own)
            else dt.datetime.combine(max(c.end for c in own), dt.time(), dt.UTC),
        }
        deployment = session.scalar(
            select(StrategyDeployment).where(
                StrategyDeployment.strategy_id == strategy.id, StrategyDeployment.account_id == account_id
            )
        )
        if deployment is None:
            deployment = StrategyDeployment(strategy_id=strategy.id, account_id=account_id)
            session.add(deployment)
        elif all(_same(getattr(deployment, k), v) for k, v in values.items()):
            continue
        for key, value in values.items():
            setattr(deployment, key, value)
        changed.append(names[account_id])
    if changed:
        record_activity(session, "wheel_cycles_recorded", actor=actor, target="strategy:wheel",
                        details={"message": f"wheel cycles recorded for {', '.join(changed)}"})  # fmt: skip


def _same(stored, value) -> bool:
    if isinstance(stored, dt.datetime) and isinstance(value, dt.datetime):
        stored = stored if stored.tzinfo else stored.replace(tzinfo=dt.UTC)
    return stored == value


__all__ = [
    "Cycle",
    "InvalidFilters",
    "account_choices",
    "PositionNotFound",
    "PutCash",
    "StatusRules",
    "covered_calls",
    "cycle_chart",
    "cycles",
    "cycles_frame",
    "legs_frame",
    "open_positions",
    "put_cash",
    "rolls",
    "sized_puts",
]

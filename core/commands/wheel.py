"""`python -m core positions|rolls|cycles` (DESIGN section 8, docs/wheel.md): the wheel's open short options, a
position's roll candidates and the cycles derived from trades. As the local operator (every account) or, with
`--as USER`, as that user: a trader sees their own accounts, a viewer none.
"""

from __future__ import annotations

import argparse
import datetime as dt

import pandas as pd

from core.commands import CommandError, acting_actor, database_url, emit_json
from core.db.engine import get_engine
from core.db.migrate import require_current_schema
from core.premiums.export import json_rows, json_value

# `positions --format json` rows: DESIGN section 8's fields, then the rest of what the page shows.
POSITION_FIELDS = ("position_id", "account", "underlying", "option_type", "strike", "expiration_date", "dte",
                   "quantity", "average_price", "mid", "pnl", "capture_pct", "status", "symbol", "contracts",
                   "price_source", "underlying_price", "delta", "gamma", "theta", "vega", "iv", "in_the_money",
                   "assignment_risk", "ex_dividend_date", "ex_dividend_before_expiry", "source")  # fmt: skip
_POSITIONS_TABLE = (("position_id", "id", "{}"), ("account", "account", "{}"), ("symbol", "symbol", "{}"),
                    ("dte", "dte", "{}"), ("quantity", "qty", "{}"), ("average_price", "sold", "{:.2f}"),
                    ("mid", "mid", "{:.2f}"), ("pnl", "p&l", "{:.2f}"), ("capture_pct", "capture%", "{:.0f}"),
                    ("assignment_risk", "risk", "{}"), ("status", "status", "{}"))  # fmt: skip
_ROLLS_TABLE = (("expiration_date", "expiry", "{}"), ("dte", "dte", "{}"), ("strike", "strike", "{:.2f}"),
                ("mid", "mid", "{:.2f}"), ("net_credit", "net", "{:+.2f}"), ("net_credit_total", "net$", "{:+.0f}"),
                ("new_breakeven", "breakeven", "{:.2f}"), ("flat_return", "flat%", "{:.2f}"),
                ("flat_annualized_return", "flat ann%", "{:.1f}"), ("delta", "delta", "{:.2f}"))  # fmt: skip
_CYCLES_TABLE = (("account", "account", "{}"), ("underlying", "symbol", "{}"), ("start", "start", "{}"),
                 ("end", "end", "{}"), ("outcome", "outcome", "{}"), ("premiums", "premiums", "{:.2f}"),
                 ("fees", "fees", "{:.2f}"), ("fees_status", "fees known", "{}"),
                 ("cost_basis", "basis", "{:.2f}"), ("realized_pnl", "realised", "{:.2f}"),
                 ("annualized_return", "ann%", "{:.1f}"))  # fmt: skip


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    positions = commands.add_parser("positions", parents=[common], help="open short options with status (the wheel)")
    positions.add_argument("--account", metavar="NAME", help="one account (default: every account you see)")
    positions.add_argument("--take-profit", metavar="PCT", default="50", help="capture that says take profit (50)")
    positions.add_argument("--as-of", metavar="YYYY-MM-DD", help="date DTE counts from (default today, New York)")
    positions.add_argument("--format", choices=("table", "json"), default="table")
    positions.set_defaults(handler=_positions)

    rolls = commands.add_parser("rolls", parents=[common], help="roll candidates of an open short option")
    rolls.add_argument("position_id", metavar="POSITION_ID", help="the id `positions` shows")
    rolls.add_argument("--as-of", metavar="YYYY-MM-DD")
    rolls.add_argument("--limit", metavar="N", default="50")
    rolls.add_argument("--format", choices=("table", "json"), default="table")
    rolls.set_defaults(handler=_rolls)

    cycles = commands.add_parser("cycles", parents=[common], help="wheel cycles derived from trades, with P&L")
    cycles.add_argument("--account", metavar="NAME", help="one account (default: every account you see)")
    cycles.add_argument("--as-of", metavar="YYYY-MM-DD", help="legs expiring before it have expired")
    cycles.add_argument("--format", choices=("table", "json"), default="table")
    cycles.set_defaults(handler=_cycles)


def _engine(args: argparse.Namespace):
    engine = get_engine(database_url(args))
    require_current_schema(engine)
    return engine


def _as_of(args: argparse.Namespace) -> dt.date | None:
    if not args.as_of:
        return None
    try:
        return dt.date.fromisoformat(args.as_of)
    except ValueError:
        raise CommandError(f"--as-of: expected a date YYYY-MM-DD, got {args.as_of!r}") from None


def _whole(option: str, text: str, *, low: int = 1) -> int:
    try:
        value = int(text)
    except ValueError:
        raise CommandError(f"{option}: expected a whole number, got {text!r}") from None
    if value < low:
        raise CommandError(f"{option}: must be at least {low}, got {value}")
    return value


def _run(call, *args, **kwargs):
    from core.accounts.errors import AccountError
    from core.premiums.screen import InvalidFilters
    from core.wheel.service import PositionNotFound

    try:
        return call(*args, **kwargs)
    except (AccountError, InvalidFilters, PositionNotFound) as exc:
        raise CommandError(str(exc)) from None


def _records(frame: pd.DataFrame, fields) -> list[dict]:
    """The frame's `fields` that it has, as JSON-safe rows (the screen's JSON rules, core.premiums.export)."""
    return json_rows(frame, [f for f in fields if f in frame.columns])


def _table(rows: list[dict], layout) -> str:
    def cell(value, fmt):
        return "" if value is None else fmt.format(value)

    cells = [[cell(r.get(name), fmt) for name, _, fmt in layout] for r in rows]
    headings = [h for _, h, _ in layout]
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(headings)]
    return "\n".join("  ".join(v.rjust(w) for v, w in zip(line, widths, strict=True)).rstrip()
                     for line in [headings, *cells])  # fmt: skip


def _positions(args: argparse.Namespace) -> int:
    from core.wheel import service
    from core.wheel.positions import StatusRules

    try:
        take_profit = float(args.take_profit)
    except ValueError:
        raise CommandError(f"--take-profit: expected a percentage, got {args.take_profit!r}") from None
    if not 0 < take_profit <= 100:
        raise CommandError(f"--take-profit: expected a percentage above 0 and at most 100, got {args.take_profit}")
    engine = _engine(args)
    rules = StatusRules(take_profit_pct=take_profit)
    frame = _run(service.open_positions, engine, acting_actor(args, engine), account=args.account,
                 as_of=_as_of(args), rules=rules)  # fmt: skip
    rows = _records(frame, POSITION_FIELDS)
    if args.format == "json":
        emit_json({"as_of": frame.attrs["as_of"].isoformat(), "take_profit_pct": take_profit, "count": len(rows),
                   "positions": rows})  # fmt: skip
    elif not rows:
        print("no open short options")
    else:
        print(_table(rows, _POSITIONS_TABLE))
    return 0


def _rolls(args: argparse.Namespace) -> int:
    from core.premiums.query import COLUMNS
    from core.wheel import service
    from core.wheel.rolls import ROLL_COLUMNS

    position_id = _whole("POSITION_ID", args.position_id)
    engine = _engine(args)
    frame = _run(service.rolls, engine, acting_actor(args, engine), position_id, as_of=_as_of(args),
                 limit=_whole("--limit", args.limit))  # fmt: skip
    rows = _records(frame, [*ROLL_COLUMNS, *(c for c in COLUMNS if c not in ROLL_COLUMNS)])
    if args.format == "json":
        position = {k: json_value(v) for k, v in frame.attrs["position"].items()}
        emit_json({"as_of": frame.attrs["as_of"].isoformat(), "position_id": position_id, "position": position,
                   "count": len(rows), "rolls": rows})  # fmt: skip
    elif not rows:
        print(f"no roll candidates for position {position_id} in the stored chains")
    else:
        print(_table(rows, _ROLLS_TABLE))
    return 0


def _cycles(args: argparse.Namespace) -> int:
    from core.wheel import service

    engine = _engine(args)
    found = _run(service.cycles, engine, acting_actor(args, engine), account=args.account, as_of=_as_of(args))
    rows = [c.to_json() for c in found]
    if args.format == "json":
        closed = [r for r in rows if r["status"] == "closed"]
        emit_json({"count": len(rows), "realized_pnl": round(sum(r["realized_pnl"] for r in closed), 2),
                   "premiums": round(sum(r["premiums"] for r in rows), 2), "cycles": rows})  # fmt: skip
    elif not rows:
        print("no wheel cycles in the synced or imported trades")
    else:
        print(_table(rows, _CYCLES_TABLE))
    return 0

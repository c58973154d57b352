"""`python -m core demo [--symbols N] [--history-weeks W] [--as-of DATE] [--if-empty]`: seed and sync a demo."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt

from core.auth import Permission, require
from core.auth.audit import log_activity
from core.commands import CommandError, acting_actor, database_url, emit_json
from core.db.engine import get_engine
from core.db.migrate import require_current_schema


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from core.demo import DEFAULT_HISTORY_WEEKS, DEFAULT_SYMBOLS

    demo = commands.add_parser(
        "demo", parents=[common], help="seed a synthetic demo universe, watchlists and templates, and sync it"
    )
    demo.add_argument(
        "--symbols",
        type=int,
        default=DEFAULT_SYMBOLS,
        metavar="N",
        help=f"how many synthetic symbols (default {DEFAULT_SYMBOLS})",
    )
    demo.add_argument(
        "--history-weeks",
        type=int,
        default=DEFAULT_HISTORY_WEEKS,
        metavar="W",
        help=f"weeks of daily history to backfill for charts and IV rank (default {DEFAULT_HISTORY_WEEKS}; 0 for none)",
    )
    demo.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="market date of the synthetic quotes (default today, New York)",
    )
    demo.add_argument(
        "--if-empty", action="store_true", help="do nothing when the database already has stocks (for `make run`)"
    )
    demo.add_argument("--format", choices=("table", "json"), default="table")
    demo.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    from core.demo import DemoError, has_stocks, run_demo

    engine = get_engine(database_url(args))
    require_current_schema(engine)
    if args.if_empty and has_stocks(engine):
        if args.format == "json":
            emit_json({"skipped": True, "reason": "the database already has stocks"})
        else:
            print("demo skipped: the database already has stocks")
        return 0
    if args.history_weeks < 0:
        raise CommandError("--history-weeks cannot be negative")
    actor = acting_actor(args, engine)  # the demo makes watchlists and scanners and syncs: a trader's work
    for permission in (Permission.MANAGE_WATCHLISTS, Permission.MANAGE_SCANNERS, Permission.SYNC):
        require(actor, permission)
    try:
        result = run_demo(engine, args.symbols, args.history_weeks, args.as_of)
    except DemoError as exc:
        raise CommandError(str(exc)) from None
    log_activity(engine, "demo_seed", actor=actor, target=f"run:{result.run_id}", details={"symbols": result.symbols})
    if args.format == "json":
        emit_json(dataclasses.asdict(result))
    else:
        print(
            f"demo: {result.symbols} synthetic symbols, sync run {result.run_id} {result.status} "
            f"({result.contracts:,} contracts, {result.failed} failed, {result.no_options} without options), "
            f"{result.history_rows:,} history rows, watchlists: {', '.join(result.watchlists) or 'none'}, "
            f"scanner templates added: {result.templates} "
            f"in {result.seconds} s"
        )
    return 0 if result.status == "completed" else 1

"""`python -m core lab create|configs|run` (DESIGN section 8 and 12, docs/lab.md): Strategy Lab configs and test
runs. `lab run` queues the run for the sidecar and prints its id, or with `--inline` works it here and prints
the results: JSON is one document with the run id, parameters, summary, buy_and_hold and `trades`.
"""

from __future__ import annotations

import argparse
import datetime as dt

from core.commands import CommandError, acting_actor, database_url, emit_json
from core.commands.premiums import add_filter_options, filters_from_args
from core.db.engine import get_engine
from core.db.migrate import require_current_schema

_CONFIG_TABLE = (("name", "name"), ("screen", "screen"), ("strategy", "strategy"), ("per_day", "per day"),
                 ("contracts", "contracts"), ("capital", "capital"), ("take_profit", "take profit%"),
                 ("on_assignment", "assigned"), ("active", "active"))  # fmt: skip
_TRADE_TABLE = ("symbol", "option_type", "strike", "expiration_date", "opened_on", "contracts", "premium",
                "closed_on", "underlying_at_close", "outcome", "pnl")  # fmt: skip


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    lab = commands.add_parser("lab", parents=[common], help="Strategy Lab: strategy configs and test runs")
    sub = lab.add_subparsers(dest="lab_command", required=True, metavar="create|configs|run")

    create = sub.add_parser("create", parents=[common], help="a strategy config: a screen plus rules")
    create.add_argument("name", metavar="NAME")
    create.add_argument("--screen", metavar="NAME", help="start from this saved screen's filters (and snapshots)")
    add_filter_options(create)
    create.add_argument("--capital", metavar="X", default="100000", help="dollars to start with (100000)")
    create.add_argument("--per-day", metavar="N", default="1", help="new positions a day at most (1)")
    create.add_argument("--contracts", metavar="N", default="1", help="contracts per position (1)")
    create.add_argument("--take-profit", metavar="PCT", help="close at this capture of the premium (default: hold)")
    create.add_argument("--on-assignment", choices=("wheel", "sell"), default="wheel",
                        help="wheel: write covered calls on assigned shares; sell: sell them at the close")  # fmt: skip
    create.add_argument("--format", choices=("table", "json"), default="table")
    create.set_defaults(handler=_create)

    listing = sub.add_parser("configs", parents=[common], help="the strategy configs")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.set_defaults(handler=_configs)

    run = sub.add_parser("run", parents=[common], help="test a config over past daily history")
    run.add_argument("config", metavar="CONFIG")
    run.add_argument("--start", metavar="YYYY-MM-DD", required=True)
    run.add_argument("--end", metavar="YYYY-MM-DD", required=True)
    run.add_argument("--symbols", metavar="A,B", help="these symbols instead of the screen's universe")
    run.add_argument("--inline", action="store_true", help="work the run here instead of queueing it")
    run.add_argument("--format", choices=("table", "json"), default="table")
    run.set_defaults(handler=_run)


def _engine(args: argparse.Namespace):
    engine = get_engine(database_url(args))
    require_current_schema(engine)
    return engine


def _number(option: str, text: str | None, *, whole: bool = False):
    if text is None:
        return None
    try:
        return int(text) if whole else float(text)
    except ValueError:
        kind = "a whole number" if whole else "a number"
        raise CommandError(f"{option}: expected {kind}, got {text!r}") from None


def _date(option: str, text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"{option}: expected a date YYYY-MM-DD, got {text!r}") from None


def _call(call, *args, **kwargs):
    from core.lab import service
    from core.premiums.saved_screens import ScreenError

    try:
        return call(*args, **kwargs)
    except (service.ConfigError, service.InvalidRules, service.RunRequestError, ScreenError) as exc:
        raise CommandError(str(exc)) from None


def _create(args: argparse.Namespace) -> int:
    from core.lab import service

    rules = _call(service.Rules, per_day=_number("--per-day", args.per_day, whole=True),
                  contracts=_number("--contracts", args.contracts, whole=True),
                  capital=_number("--capital", args.capital), take_profit=_number("--take-profit", args.take_profit),
                  on_assignment=args.on_assignment)  # fmt: skip
    engine = _engine(args)
    filters = None if args.screen else filters_from_args(args)
    config = _call(service.create_config, engine, acting_actor(args, engine), args.name, rules, filters=filters,
                   screen=args.screen)  # fmt: skip
    if args.format == "json":
        emit_json(config.describe())
    else:
        print(f"strategy config {config.name!r} created ({config.id})")
    return 0


def _row(config) -> dict:
    return {"name": config.name, "screen": config.screen or "", "strategy": config.filters.strategy,
            **config.rules.to_json(), "active": config.active}  # fmt: skip


def _configs(args: argparse.Namespace) -> int:
    from core.lab import service

    engine = _engine(args)
    found = service.list_configs(engine, acting_actor(args, engine))
    if args.format == "json":
        emit_json({"count": len(found), "configs": [c.describe() for c in found]})
        return 0
    rows = [[("" if r[k] is None else str(r[k])) for k, _ in _CONFIG_TABLE] for r in map(_row, found)]
    print(_aligned([h for _, h in _CONFIG_TABLE], rows))
    return 0


def _run(args: argparse.Namespace) -> int:
    from core.lab import service

    start, end = _date("--start", args.start), _date("--end", args.end)
    symbols = [s.strip().upper() for s in args.symbols.split(",") if s.strip()] if args.symbols else None
    engine = _engine(args)
    actor = acting_actor(args, engine)
    run = _call(service.start_run, engine, actor, args.config, start, end, symbols=symbols)
    if not args.inline:
        if args.format == "json":
            emit_json(run.document())
        else:
            print(f"test run {run.id} queued (job run {run.job_run_id}); the sidecar works it")
        return 0
    run = service.work_inline(engine, actor, run)
    if args.format == "json":
        emit_json(run.document())
        return 0 if run.status == "completed" else 1
    if run.status != "completed":
        raise CommandError(f"test run {run.id} {run.results.get('message') or run.status}")
    s, b = run.results["summary"], run.results["buy_and_hold"]
    print(_aligned(list(_TRADE_TABLE), [[str(t.get(k)) for k in _TRADE_TABLE] for t in run.results["trades"]]))
    print(f"test run {run.id}: {s['trades']} trades, win rate {_pct(s['win_rate_pct'])}, total "
          f"{_pct(s['total_return_pct'])}, annualised {_pct(s['annualized_return_pct'])}, max drawdown "
          f"{_pct(s['max_drawdown_pct'])}; buy and hold: total {_pct(b['total_return_pct'])}, max drawdown "
          f"{_pct(b['max_drawdown_pct'])}")  # fmt: skip
    return 0


def _aligned(headings: list[str], rows: list[list[str]]) -> str:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headings)]
    return "\n".join("  ".join(v.rjust(w) for v, w in zip(line, widths, strict=True)).rstrip()
                     for line in [headings, *rows])  # fmt: skip


def _pct(value) -> str:
    """A percentage for the summary line: one decimal ("75.3 %"), "n/a" when there is none (no trades)."""
    return "n/a" if value is None else f"{value:.1f} %"

"""`python -m core scanner validate|run|save|enqueue|seed-templates` (DESIGN section 8).

`validate FILE` and `run FILE (--symbols A,B | --watchlist NAME) ...` need no scanner row: FILE is the code.
`save NAME FILE [--params JSON]` stores it as the scanner NAME (created, or updated in place): with validation
problems it is kept as a draft, the problems are printed as FILE:LINE:COLUMN and the exit status is 1.
`enqueue NAME (--watchlist W | --symbols A,B)` queues a run of a stored scanner for the sidecar and prints the
run's id (the one already queued or running for the same scope, if any); the run ends in `scan_history` like
one started from the page.

`run` looks back from `--as-of` (default today): a folder of prices that end in the past is scanned as of a
day it holds; without it, a symbol whose source ends before the window says where the data ends. It reads bars
through the database cache when the database is migrated (and straight from the provider when it is not, for
--symbols); --watchlist reads the watchlist from the database. A scanner that is rejected or breaks the rules
is an error in the output, never a traceback; the exit status is 1 when the scanner was rejected or no symbol
could be scanned.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

from sqlalchemy import func, select

from core.auth import Permission, require
from core.auth.audit import record_activity
from core.commands import CommandError, acting_actor, database_url, emit_json
from core.db.engine import DatabaseError, get_engine, unit_of_work
from core.db.migrate import require_current_schema
from core.providers import PROVIDER_NAMES, UnknownProvider
from core.scanner.box.validate import validate
from core.scanner.params import ParamError, parse_params_json
from core.symbols import SymbolListError, parse_ticker_list
from core.watchlists import WatchlistError, watchlist_symbols
from core.wording import plural

# pandas, NumPy and TA-Lib load only when a scanner actually runs, not for every `python -m core` command.


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    scanner = commands.add_parser("scanner", help="validate and run user scanners (FluxScan-compatible)")
    actions = scanner.add_subparsers(dest="scanner_command", metavar="ACTION", required=True)

    check = actions.add_parser("validate", parents=[common], help="check a scanner file against the allow-list")
    check.add_argument("file", metavar="FILE", help="scanner source file ('-' for standard input)")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.set_defaults(handler=_validate)

    run = actions.add_parser("run", parents=[common], help="run a scanner file in the sandbox over symbols")
    run.add_argument("file", metavar="FILE", help="scanner source file ('-' for standard input)")
    scope = run.add_mutually_exclusive_group(required=True)
    scope.add_argument("--symbols", metavar="A,B,...", help="comma-separated symbols")
    scope.add_argument("--watchlist", metavar="NAME", help="the symbols of a watchlist in the database")
    run.add_argument("--params", metavar="JSON", help="parameters, e.g. '{\"rsi_period\": 21}'")
    run.add_argument("--provider", choices=PROVIDER_NAMES, help="default: MARKET_DATA_PROVIDER")
    run.add_argument("--source", metavar="PATH", help="folder for the csv provider")
    run.add_argument("--as-of", metavar="YYYY-MM-DD", help="the day the scan looks back from (default today, New York)")
    run.add_argument("--format", choices=("table", "json"), default="table")
    run.set_defaults(handler=_run)

    save = actions.add_parser("save", parents=[common], help="store a scanner file as the scanner NAME")
    save.add_argument("name", metavar="NAME", help="the scanner's name (created, or updated if it exists)")
    save.add_argument("file", metavar="FILE", help="scanner source file ('-' for standard input)")
    save.add_argument("--params", metavar="JSON", help="parameter schema, e.g. '{\"rsi_period\": 14}' (default: kept)")
    save.add_argument("--format", choices=("text", "json"), default="text")
    save.set_defaults(handler=_save)

    enqueue = actions.add_parser("enqueue", parents=[common], help="queue a run of a stored scanner for the sidecar")
    enqueue.add_argument("name", metavar="NAME", help="a stored scanner's name")
    target = enqueue.add_mutually_exclusive_group(required=True)
    target.add_argument("--watchlist", metavar="NAME", help="the watchlist to scan")
    target.add_argument("--symbols", metavar="A,B,...", help="comma-separated symbols")
    enqueue.add_argument("--format", choices=("text", "json"), default="text")
    enqueue.set_defaults(handler=_enqueue)

    seed = actions.add_parser("seed-templates", parents=[common], help="add the built-in scanner templates")
    seed.set_defaults(handler=_seed)


def _read(path: str) -> str:
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read scanner file {path}: {exc}") from None


def _validate(args: argparse.Namespace) -> int:
    issues = validate(_read(args.file))
    if args.format == "json":
        emit_json(
            {
                "valid": not issues,
                "errors": [{"line": i.line, "column": i.column, "message": i.message} for i in issues],
            }
        )
    elif issues:
        for issue in issues:
            print(f"{args.file}:{issue.line}:{issue.column}: {issue.message}")
    else:
        print(f"{args.file}: ok")
    return 1 if issues else 0


def _run(args: argparse.Namespace) -> int:
    from core.scanner.engine import scan_symbols
    from core.scanner.market import MarketData

    code = _read(args.file)
    if args.as_user:  # the local operator may; a user named by --as needs a role that runs scanners
        require(acting_actor(args, get_engine(database_url(args))), Permission.MANAGE_SCANNERS)
    try:
        params = parse_params_json(args.params)
        if validate(code):  # rejected: report it without touching the database or the provider
            return _report(args, scan_symbols(code, [], market=MarketData(None)))
        if args.watchlist is not None:
            engine = get_engine(database_url(args))
            require_current_schema(engine)
            symbols = _watchlist_symbols(engine, args.watchlist)
        else:
            symbols = list(parse_ticker_list(args.symbols))
            engine = _cache_engine(database_url(args))
        market = MarketData(engine, args.provider, source=args.source, as_of=_as_of(args.as_of))
        report = scan_symbols(code, symbols, market=market, params=params)
    except (ParamError, SymbolListError, WatchlistError, UnknownProvider) as exc:
        raise CommandError(str(exc)) from None
    return _report(args, report)


def _as_of(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--as-of: expected a date YYYY-MM-DD, got {text!r}") from None


def _report(args: argparse.Namespace, report) -> int:
    if args.format == "json":
        emit_json(report.to_json())
    else:
        _print_table(report)
    return 1 if report.rejected or (report.errors and not report.symbols_scanned) else 0


def _cache_engine(url: str):
    """The engine for the bar cache, or None (bars straight from the provider) when there is no usable schema."""
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return None
    try:
        engine = get_engine(url)
        require_current_schema(engine)
    except DatabaseError as exc:
        print(f"note: bars are not cached ({exc})", file=sys.stderr)
        return None
    return engine


def _watchlist_symbols(engine, name: str) -> list[str]:
    with unit_of_work(engine) as session:
        return list(watchlist_symbols(session, name))


def _print_table(report) -> None:
    for row in report.results:
        metrics = ", ".join(f"{k}={v}" for k, v in row["metrics"].items())
        print(f"{row['symbol']:<8} {row['signal']:<12} {metrics}")
    for error in report.errors:
        print(f"ERROR {error['symbol'] or '(scanner)'}: {error['error']}")
    print(
        f"{plural(report.symbols_scanned, 'symbol')} scanned, {plural(report.signals_found, 'signal')}, "
        f"{plural(len(report.errors), 'error')} "
        f"in {report.seconds:.2f} s [{report.sandbox or 'not run'}]"
    )


def _save(args: argparse.Namespace) -> int:
    from core.scanner.saving import save_by_name

    code = _read(args.file)
    try:
        schema = parse_params_json(args.params) if args.params is not None else None
        engine = get_engine(database_url(args))
        require_current_schema(engine)
        actor = require(acting_actor(args, engine), Permission.MANAGE_SCANNERS)
        with unit_of_work(engine, write=True) as session:
            saved = save_by_name(session, args.name, code, schema)
            record_activity(
                session,
                "scanner_create" if saved.created else "scanner_edit",
                actor=actor,
                target=f"scanner:{saved.name}",
                details={"draft": saved.draft, "problems": len(saved.issues)},
            )
    except (ParamError, ValueError) as exc:
        raise CommandError(f"not saved: {exc}") from None
    state = "a draft" if saved.draft else "ready to run"
    if args.format == "json":
        emit_json(
            {
                "id": saved.id,
                "name": saved.name,
                "created": saved.created,
                "draft": saved.draft,
                "errors": [{"line": i.line, "column": i.column, "message": i.message} for i in saved.issues],
            }
        )
    else:
        for issue in saved.issues:
            print(f"{args.file}:{issue.line}:{issue.column}: {issue.message}", file=sys.stderr)
        print(f"{'created' if saved.created else 'updated'} scanner {saved.name!r} (id {saved.id}): {state}")
    if saved.draft:
        print(
            f"{saved.name!r} is kept as a draft with {plural(len(saved.issues), 'validation problem')}: "
            "it cannot be queued until a save without problems",
            file=sys.stderr,
        )
    return 1 if saved.draft else 0


def _enqueue(args: argparse.Namespace) -> int:
    from core.db.models import Scanner, Watchlist
    from core.scanner.jobs import ScanRequestError, enqueue_scan

    engine = get_engine(database_url(args))
    require_current_schema(engine)
    actor = require(acting_actor(args, engine), Permission.MANAGE_SCANNERS)
    try:
        symbols = list(parse_ticker_list(args.symbols)) if args.symbols is not None else None
        with unit_of_work(engine, write=True) as session:
            scanner_id = session.scalar(select(Scanner.id).where(func.lower(Scanner.name) == args.name.lower()))
            if scanner_id is None:
                raise CommandError(f"no scanner called {args.name!r} (see the Scanners page, or `scanner save`)")
            watchlist_id = None
            if args.watchlist is not None:
                watchlist_id = session.scalar(select(Watchlist.id).where(Watchlist.name == args.watchlist))
                if watchlist_id is None:
                    raise CommandError(f"no watchlist called {args.watchlist!r}")
            run, created = enqueue_scan(
                session, scanner_id, watchlist_id=watchlist_id, symbols=symbols, requested_by=actor.username
            )
            run_id = run.id
            record_activity(
                session,
                "scanner_run",
                actor=actor,
                target=f"run:{run_id}",
                details={"scanner_id": scanner_id, "watchlist_id": watchlist_id, "created": created},
            )
    except (ScanRequestError, SymbolListError) as exc:
        raise CommandError(str(exc)) from None
    if args.format == "json":
        emit_json({"run_id": run_id, "created": created})
    else:
        print(run_id)
        if not created:
            print(f"run {run_id} of the same scope was already queued or running", file=sys.stderr)
    return 0


def _seed(args: argparse.Namespace) -> int:
    from core.scanner.service import seed_templates

    engine = get_engine(database_url(args))
    require_current_schema(engine)
    added = seed_templates(engine, acting_actor(args, engine))
    print(json.dumps({"templates_added": added}))
    return 0

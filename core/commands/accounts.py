"""`python -m core accounts add|list|test|sync|import-positions|import-trades|rotate-keys|remove` (DESIGN 8).

Each acts as the local operator (an admin: every user's accounts) or, with `--as USER`, as that user: a trader
manages only their own accounts, a viewer none, and `rotate-keys` (every user's keys) needs an admin.

Broker API keys are read from standard input (`--api-key-stdin`) or a hidden prompt, never from the command line
(it would land in shell history and `ps`), and are never printed: lists show `****1234`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from core.auth import Permission, require
from core.commands import CommandError, acting_actor, database_url, emit_json
from core.db.engine import get_engine
from core.db.migrate import require_current_schema
from core.wording import plural

# The OpenAlgo client (and pandas behind it) loads only when an accounts command runs.


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    accounts = commands.add_parser("accounts", help="broker accounts through OpenAlgo (docs/accounts.md)")
    actions = accounts.add_subparsers(dest="accounts_command", metavar="ACTION", required=True)

    add = actions.add_parser("add", parents=[common], help="store an account (tests the connection first)")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--broker", required=True, metavar="B", help="the broker behind OpenAlgo, e.g. zerodha")
    add.add_argument("--host", metavar="URL", help="OpenAlgo's URL, e.g. http://127.0.0.1:5000 (omit: CSV only)")
    add.add_argument("--owner", required=True, metavar="USER", help="the user who owns it (case-insensitive)")
    add.add_argument("--ws-url", metavar="URL", help="OpenAlgo's WebSocket feed, e.g. ws://127.0.0.1:8765")
    add.add_argument("--backup-of", metavar="ACCOUNT", help="fail over to this account when ACCOUNT is down")
    add.add_argument("--api-key-stdin", action="store_true", help="read the API key from standard input")
    add.add_argument("--skip-test", action="store_true", help="store without pinging the host first")
    add.set_defaults(handler=_add)

    listing = actions.add_parser("list", parents=[common], help="accounts with status (keys masked)")
    listing.add_argument("--owner", metavar="USER", help="only this user's accounts")
    listing.add_argument("--format", choices=("table", "json"), default="table")
    listing.set_defaults(handler=_list)

    test = actions.add_parser("test", parents=[common], help="ping an account with its stored host and key")
    test.add_argument("name", metavar="NAME")
    test.add_argument("--owner", metavar="USER", help="when several users have an account of that name")
    test.set_defaults(handler=_test)

    sync = actions.add_parser("sync", parents=[common], help="sync funds, positions, holdings, orders, trades")
    target = sync.add_mutually_exclusive_group(required=True)
    target.add_argument("name", metavar="NAME", nargs="?")
    target.add_argument("--all", action="store_true", help="every active account with an OpenAlgo host")
    sync.add_argument("--owner", metavar="USER")
    sync.add_argument("--inline", action="store_true", help="sync here and now instead of queueing for the sidecar")
    sync.add_argument("--format", choices=("table", "json"), default="table")
    sync.set_defaults(handler=_sync)

    imp = actions.add_parser("import-positions", parents=[common], help="load a broker's CSV positions export")
    imp.add_argument("name", metavar="NAME")
    imp.add_argument("file", metavar="FILE")
    imp.add_argument("--preset", metavar="P", help="schwab, fidelity or generic (default: detected)")
    imp.add_argument("--columns", metavar="JSON", help='own header names, e.g. \'{"symbol": "Ticker"}\'')
    imp.add_argument("--preview", action="store_true", help="show what would be stored and store nothing")
    imp.add_argument("--owner", metavar="USER")
    imp.add_argument("--format", choices=("table", "json"), default="table")
    imp.set_defaults(handler=_import)

    trades = actions.add_parser(
        "import-trades", parents=[common], help="add a broker's CSV transaction history to the account's trades"
    )
    trades.add_argument("name", metavar="NAME")
    trades.add_argument("file", metavar="FILE")
    trades.add_argument("--preset", metavar="P", help="schwab, fidelity or generic (default: detected)")
    trades.add_argument("--preview", action="store_true", help="show what would be stored and store nothing")
    trades.add_argument("--owner", metavar="USER")
    trades.add_argument("--format", choices=("table", "json"), default="table")
    trades.set_defaults(handler=_import_trades)

    rotate = actions.add_parser("rotate-keys", parents=[common], help="re-encrypt every key under the newest key")
    rotate.add_argument("--batch-size", type=int, default=100, metavar="N")
    rotate.set_defaults(handler=_rotate)

    remove = actions.add_parser("remove", parents=[common], help="delete an account and everything synced for it")
    remove.add_argument("name", metavar="NAME")
    remove.add_argument("--owner", metavar="USER")
    remove.set_defaults(handler=_remove)


def _engine(args: argparse.Namespace):
    engine = get_engine(database_url(args))
    require_current_schema(engine)
    return engine


def _run(call, *args, **kwargs):
    """Call into core.accounts, turning its named errors into one-line command errors (a refusal, AuthError, is
    one line already: core.cli prints it)."""
    from core.accounts.errors import AccountError

    try:
        return call(*args, **kwargs)
    except AccountError as exc:
        raise CommandError(str(exc)) from None


def _read_key(args: argparse.Namespace) -> str | None:
    if args.api_key_stdin:
        return sys.stdin.readline().strip()
    if not args.host:
        return None
    if sys.stdin.isatty():
        return getpass.getpass("OpenAlgo API key: ")
    raise CommandError("an account with --host needs its API key: pass it on standard input with --api-key-stdin")


def _add(args: argparse.Namespace) -> int:
    from core.accounts import service

    engine = _engine(args)
    actor = acting_actor(args, engine)
    require(actor, Permission.MANAGE_OWN_ACCOUNTS)  # a viewer is refused before the key is asked for
    key = _read_key(args)
    if args.host and not args.skip_test:
        broker = _run(service.test_connection, args.host, key, ws_url=args.ws_url)
        print(f"connected to OpenAlgo at {args.host.rstrip('/')}: broker {broker}")
        if broker.lower() != args.broker.strip().lower():
            print(f"note: OpenAlgo reports broker {broker!r}, not {args.broker!r}", file=sys.stderr)
    view = _run(
        service.add_account,
        engine,
        actor,
        name=args.name,
        broker=args.broker,
        owner=args.owner,
        host=args.host,
        api_key=key,
        ws_url=args.ws_url,
        backup_of=args.backup_of,
    )
    role = "primary" if view.is_primary else (f"backup of {view.backup_of}" if view.backup_of else "not in failover")
    print(f"added account {view.name} for {view.owner} ({role}), key {view.key or 'none (CSV imports)'}")
    return 0


def _list(args: argparse.Namespace) -> int:
    from core.accounts import service

    engine = _engine(args)
    views = _run(service.list_accounts, engine, acting_actor(args, engine), owner=args.owner)
    if args.format == "json":
        emit_json({"accounts": [v.to_json() for v in views]})
        return 0
    for v in views:
        role = "primary" if v.is_primary else (f"backup of {v.backup_of}" if v.backup_of else "-")
        synced = f"{v.last_sync:%Y-%m-%d %H:%M} UTC" if v.last_sync else "never"
        print(f"{v.name:<20} {v.owner:<12} {v.broker:<10} {v.status:<12} {role:<22} synced {synced:<20} {v.key or '-'}")
        if v.key_problem:
            print(f"    key: {v.key_problem}")
    if not views:
        print("no accounts (add one with `python -m core accounts add`)")
    return 0


def _test(args: argparse.Namespace) -> int:
    from core.accounts import service

    engine = _engine(args)
    broker = _run(service.test_account, engine, acting_actor(args, engine), args.name, owner=args.owner)
    print(f"{args.name}: OpenAlgo answered, broker {broker}")
    return 0


def _sync(args: argparse.Namespace) -> int:
    from core.accounts import service

    engine = _engine(args)
    actor = acting_actor(args, engine)
    if not args.inline:
        requested_by = "command line" if actor.user_id is None else f"command line ({actor.username})"
        run = _run(service.queue_sync, engine, actor, args.name, owner=args.owner, requested_by=requested_by)
        print(run.run_id)
        return 0
    progress = None if args.format == "json" else _print_result
    report = _run(service.sync_now, engine, actor, args.name, owner=args.owner, progress=progress)
    if args.format == "json":
        emit_json(
            {"synced": report.synced, "failed": report.failed, "accounts": [_result_json(r) for r in report.results]}
        )
    elif not report.results:
        print("no active account with an OpenAlgo host to sync")
    return 1 if report.failed else 0


def _print_result(result) -> None:
    if result.ok:
        c = result.counts
        print(
            f"{result.name}: synced {plural(c.positions, 'position')} ({c.removed_positions} closed), "
            f"{plural(c.holdings, 'holding')}, {plural(c.orders, 'order')}, {plural(c.trades, 'trade')} "
            f"in {result.seconds:.2f} s"
        )
    else:
        print(f"{result.name}: FAILED: {result.error}", file=sys.stderr)


def _result_json(result) -> dict:
    return {
        "name": result.name,
        "ok": result.ok,
        "error": result.error,
        "error_kind": result.error_kind,
        "positions": result.counts.positions,
        "holdings": result.counts.holdings,
        "orders": result.counts.orders,
        "trades": result.counts.trades,
        "removed_positions": result.counts.removed_positions,
        "seconds": round(result.seconds, 3),
    }


def _import(args: argparse.Namespace) -> int:
    from core.accounts import csv_import, service

    try:
        columns = json.loads(args.columns) if args.columns else None
    except ValueError:
        raise CommandError('--columns is not JSON: give an object such as \'{"symbol": "Ticker"}\'') from None
    if args.preview:
        preview = _run(csv_import.preview_positions, args.file, preset=args.preset, columns=columns)
    else:
        engine = _engine(args)
        report = _run(
            service.import_account_positions,
            engine,
            acting_actor(args, engine),
            args.name,
            args.file,
            preset=args.preset,
            columns=columns,
            owner=args.owner,
        )
        preview = report.preview
    if args.format == "json":
        emit_json(
            {
                "file": preview.file,
                "preset": preview.preset,
                "stored": not args.preview,
                "rows": [row.__dict__ for row in preview.rows],
                "skipped": [{"line": line, "reason": why} for line, why in preview.skipped],
            }
        )
        return 0
    for row in preview.rows:
        print(f"{row.line:>5} {row.kind:<8} {row.symbol:<28} {row.quantity:>8} avg {row.average_price}")
    verb = "would import" if args.preview else f"imported into {args.name}"
    kinds = [r.kind for r in preview.rows]
    print(
        f"{verb}: {plural(kinds.count('position'), 'position')}, {plural(kinds.count('holding'), 'holding')} "
        f"({preview.preset} layout; {plural(len(preview.skipped), 'row')} skipped)"
    )
    return 0


def _import_trades(args: argparse.Namespace) -> int:
    from core.accounts import service, trades_import

    added = None
    if args.preview:
        preview = _run(trades_import.preview_trades, args.file, preset=args.preset)
    else:
        engine = _engine(args)
        report = _run(
            service.import_account_trades,
            engine,
            acting_actor(args, engine),
            args.name,
            args.file,
            preset=args.preset,
            owner=args.owner,
        )
        preview, added = report.preview, report.added
    if args.format == "json":
        rows = [{**row.__dict__, "date": row.date.isoformat()} for row in preview.rows]
        emit_json(
            {
                "file": preview.file,
                "preset": preview.preset,
                "stored": not args.preview,
                "added": added,
                "rows": rows,
                "skipped": [{"line": line, "reason": why} for line, why in preview.skipped],
            }
        )
        return 0
    for r in preview.rows:
        fees = "fees ?" if r.fees is None else f"fees {r.fees:.2f}"
        price = "" if r.price is None else f"@ {r.price:g}"
        print(f"{r.line:>5} {r.date} {r.action:<8} {r.quantity:>6} {r.symbol:<28} {price:<12} {fees}")
    skipped = plural(len(preview.skipped), "row")
    read = f"{plural(len(preview.rows), 'trade')} read ({preview.preset} layout; {skipped} skipped)"
    if args.preview:
        print(f"would import: {read}")
    else:
        print(f"imported into {args.name}: {read}, {added} new, {len(preview.rows) - added} already stored")
    return 0


def _rotate(args: argparse.Namespace) -> int:
    from core.accounts import service

    engine = _engine(args)
    report = _run(service.rotate_account_keys, engine, acting_actor(args, engine), batch_size=args.batch_size)
    print(f"rotated {report.rotated}, already current {report.current}, failed {report.failed}")
    for name, error in report.failures:
        print(f"{name}: {error}", file=sys.stderr)
    return 1 if report.failed else 0


def _remove(args: argparse.Namespace) -> int:
    from core.accounts import service

    engine = _engine(args)
    removed = _run(service.remove_account, engine, acting_actor(args, engine), args.name, owner=args.owner)
    gone = (
        f"{plural(removed.positions, 'position')}, {plural(removed.holdings, 'holding')}, "
        f"{plural(removed.orders, 'order')}, {plural(removed.trades, 'trade')}, its funds snapshot and feed state"
    )
    print(f"removed account {removed.name} of {removed.owner} with {gone}; failover history is kept")
    if removed.backups_unlinked:
        print(f"no longer backups of it: {', '.join(removed.backups_unlinked)}")
    return 0

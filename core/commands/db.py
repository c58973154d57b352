"""`python -m core db upgrade|downgrade|current|check|status`."""

from __future__ import annotations

import argparse

from core.commands import CommandError, database_url, emit_json
from core.db import migrate
from core.db.engine import check_connection, create_db_engine, describe_url
from core.db.inspect import table_counts


def register(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    db = commands.add_parser("db", help="migrate and inspect the database")
    actions = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)

    up = actions.add_parser("upgrade", parents=[common], help="migrate to the newest schema (head)")
    up.add_argument("--revision", default="head", help="target revision (default head)")
    up.set_defaults(handler=_upgrade)

    down = actions.add_parser("downgrade", parents=[common], help="migrate down (default: to base, dropping all)")
    down.add_argument("--revision", default="base")
    down.set_defaults(handler=_downgrade)

    check = actions.add_parser("check", parents=[common], help="fail if models and migrations have drifted")
    check.set_defaults(handler=_check)

    status = actions.add_parser("status", parents=[common], help="the database, its revision and table counts")
    status.add_argument("--format", choices=("table", "json"), default="table")
    status.set_defaults(handler=_status)


def _upgrade(args: argparse.Namespace) -> int:
    url = database_url(args)
    migrate.upgrade(url, args.revision)
    print(f"database {describe_url(url)} is at revision {migrate.current_revision(url)}")
    return 0


def _downgrade(args: argparse.Namespace) -> int:
    url = database_url(args)
    migrate.downgrade(url, args.revision)
    print(f"database {describe_url(url)} is at revision {migrate.current_revision(url) or 'base (empty)'}")
    return 0


def _check(args: argparse.Namespace) -> int:
    problem = migrate.drift(database_url(args))
    if problem:
        raise CommandError(f"models and migrations differ: {problem}")
    print("models and migrations agree")
    return 0


def _status(args: argparse.Namespace) -> int:
    url = database_url(args)
    engine = create_db_engine(url)
    try:
        check_connection(engine)
        counts = table_counts(engine)
    finally:
        engine.dispose()
    revision = migrate.current_revision(url)
    if args.format == "json":
        emit_json({"database": describe_url(url), "revision": revision, "tables": counts})
        return 0
    print(f"database: {describe_url(url)}\nrevision: {revision or 'none (run: python -m core db upgrade)'}")
    for name, count in counts.items():
        print(f"  {name:<28} {count:>10,}")
    return 0

"""Wheelhouse's command line for scripts and operators: `python -m core COMMAND --help` for each command.

Every command takes `--database-url`; errors go to stderr as one line with a non-zero exit status;
`--format json` prints exactly one JSON document on stdout. The commands and flags are a stable contract
(DESIGN section 8 in the project's design notes; the first docstring line is what `--help` shows users).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Sequence

from sqlalchemy.exc import DBAPIError

from core.auth.errors import AuthError
from core.commands import CommandError, acting_actor, database_url, emit_json, register_all
from core.config import ConfigError
from core.db.engine import DatabaseError, first_line

log = logging.getLogger("wheelhouse")

Handler = Callable[[argparse.Namespace], int]


class OneLineParser(argparse.ArgumentParser):
    """Usage errors as one line on stderr (`error: ...`, exit 2), like every other error of the CLI."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message} (see --help)\n")


def _common() -> argparse.ArgumentParser:
    common = OneLineParser(add_help=False)
    common.add_argument(
        "--database-url",
        metavar="URL",
        help="database to use (overrides DATABASE_URL; default sqlite:///data/wheelhouse.db)",
    )
    common.add_argument(
        "--as",
        dest="as_user",
        metavar="USER",
        help="act as this user: their role applies and the activity log names them (default: the local operator)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="python -m core", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    register_all(commands, _common())
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; a reader that closes the pipe early (`... | head`) ends it quietly, whatever the command."""
    try:
        try:
            code = _run(argv)
        except SystemExit:  # argparse's --help and usage errors: flush here, where a closed pipe can be caught
            sys.stdout.flush()
            raise
        sys.stdout.flush()  # here, not at exit: a closed pipe must be caught below, not reported by the interpreter
        return code
    except BrokenPipeError:  # the reader left, which is not an error of ours
        _silence_stdout()
        return 141  # what a shell reports for a process ended by SIGPIPE (128 + 13)


def _run(argv: Sequence[str] | None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except (ConfigError, DatabaseError, CommandError, AuthError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except DBAPIError as exc:  # the database refused something: one line, not a traceback
        print(f"error: database: {first_line(exc)}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot raise into a closed pipe again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (a test's StringIO): nothing left to flush
        pass


# CommandError, acting_actor, database_url and emit_json are defined in core.commands (which every command
# imports, so that no command imports this module back); they are re-exported here for callers of the CLI.
__all__ = ["CommandError", "OneLineParser", "acting_actor", "build_parser", "database_url", "emit_json", "main"]

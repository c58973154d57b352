"""Subcommands of `python -m core`: every module in this package that defines `register(commands, common)`.

Discovered rather than listed, so adding a command is adding a module; they register in name order. What every
command shares (a one-line error, the database URL, one JSON document on stdout) is defined here, so a command
imports this package and never core.cli, which imports it.
"""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys

from core.config import get_settings


class CommandError(RuntimeError):
    """A user-facing failure of a command: printed as one line, exit status 1."""


def database_url(args: argparse.Namespace) -> str:
    """The URL a command should use: --database-url, else the configured DATABASE_URL."""
    return args.database_url or get_settings().database_url


def acting_actor(args: argparse.Namespace, engine):
    """Who a command acts as: the user named by --as (active; their role applies), else the local operator."""
    from core.auth import LOCAL_OPERATOR
    from core.auth.users import actor_for

    return actor_for(engine, args.as_user) if getattr(args, "as_user", None) else LOCAL_OPERATOR


def emit_json(document: object) -> None:
    """Print `document` as the one JSON document of a `--format json` command."""
    json.dump(document, sys.stdout, default=str)
    sys.stdout.write("\n")


def register_all(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    """Let every command module add its subparser, in name order."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(commands, common)

"""Subcommands of `python -m core`; each module exposes `register(subparsers, common)`."""

from __future__ import annotations

import argparse


def register_all(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    from core.commands import db, imports, sync

    for module in (db, sync, imports):
        module.register(commands, common)

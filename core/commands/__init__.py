"""Subcommands of `python -m core`: every module in this package that defines `register(commands, common)`.

Discovered rather than listed, so adding a command is adding a module; they register in name order.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil


def register_all(commands: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        if hasattr(module, "register"):
            module.register(commands, common)

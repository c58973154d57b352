"""The names a scanner runs with (DESIGN section 7) and the run of one scanner over one symbol.

Builtins are an allow-list: no eval/exec/compile/open/getattr/globals/vars/__import__ and no way to build a
class. The modules (`pd`, `np`, `talib`, `math`, `import datetime`, `statistics`) are read-only views exposing
only the names box/allowlist.py lists (box/views.py), and `import` hands out those same views. `print` writes to
a bounded buffer that only the dry run returns.
"""

from __future__ import annotations

import builtins
import copy
import datetime
import importlib
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import allowlist, report, views
from .series import OHLCV, TALIB, TALIB_SHORTCUTS, PositionalFrame, ohlcv_frame, ohlcv_series

SAFE_BUILTIN_NAMES = (
    "abs",
    "all",
    "any",
    "ascii",
    "bin",
    "bool",
    "callable",
    "chr",
    "complex",
    "dict",
    "divmod",
    "enumerate",
    "filter",
    "float",
    "format",
    "frozenset",
    "hash",
    "hex",
    "int",
    "isinstance",
    "issubclass",
    "iter",
    "len",
    "list",
    "map",
    "max",
    "min",
    "next",
    "oct",
    "ord",
    "pow",
    "range",
    "repr",
    "reversed",
    "round",
    "set",
    "slice",
    "sorted",
    "str",
    "sum",
    "tuple",
    "zip",
    "True",
    "False",
    "None",
    "NotImplemented",
    "Ellipsis",
    "ArithmeticError",
    "AssertionError",
    "AttributeError",
    "Exception",
    "FloatingPointError",
    "IndexError",
    "KeyError",
    "LookupError",
    "NameError",
    "NotImplementedError",
    "OverflowError",
    "RuntimeError",
    "StopIteration",
    "TypeError",
    "ValueError",
    "ZeroDivisionError",
)
VIEWS = views.build(TALIB)
CONTRACT_NAMES = frozenset(
    {
        "data",
        "df",
        "open",
        "high",
        "low",
        "close",
        "volume",
        "symbol",
        "params",
        "parameters",
        "pd",
        "np",
        "numpy",
        "talib",
        "math",
        "datetime",
        "AddColumn",
        "columns",
        "options",
        "spot",
        "iv_rank",
        "iv_percentile",
        "iv30",
        *TALIB_SHORTCUTS,
    }
)
FRAME_NAMES = frozenset({"data", "df", "scan"})  # scan(data, params) gets the frame
MAX_PRINTED = 50
FILENAME = "<scanner>"


_LIBRARIES = ("numpy.", "pandas.")


def _guarded_import(name, globals=None, locals=None, fromlist=(), level=0):
    """`import` in a scanner: only the allow-listed modules, and always their views, never a real module."""
    if type(fromlist) is list and not fromlist and isinstance(name, str) and name.startswith(_LIBRARIES):
        # PyImport_Import's signature (an empty list): NumPy/pandas C code fetching one of its own modules
        # (ndarray.mean imports numpy._core._methods) runs with the scanner's builtins. Scanner code cannot make
        # that call: an `import` statement passes None or a tuple, and `__import__` is a name it may not use.
        return importlib.import_module(name)
    if level or not isinstance(name, str) or not allowlist.importable(name):
        raise ImportError(f"import of '{name}' is not allowed in a scanner")
    for item in fromlist or ():
        if not isinstance(item, str) or not allowlist.exposes(name, item):
            raise ImportError(f"'{item}' from '{name}' is not allowed in a scanner")
    return VIEWS[name] if fromlist else VIEWS[name.split(".")[0]]


SAFE_BUILTINS: dict[str, Any] = {name: getattr(builtins, name) for name in SAFE_BUILTIN_NAMES}
SAFE_BUILTINS["__import__"] = _guarded_import


@dataclass
class SymbolData:
    symbol: str
    block: np.ndarray | None  # (6, n): day number, open, high, low, close, volume
    options: list[dict[str, Any]] | None = None
    spot: float | None = None
    extras: dict[str, Any] = field(default_factory=dict)  # iv_rank, iv_percentile, iv30 for option scanners


def build(
    item: SymbolData, params: dict[str, Any], printed: list[str], needed: frozenset[str] | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The globals of one symbol's run and its `columns` dict; `needed`: the names the code uses (None: all)."""
    columns: dict[str, Any] = {}

    def AddColumn(name, value, *_args, **_kwargs):
        if len(columns) < report.MAX_METRICS or str(name) in columns:
            columns[str(name)[: report.MAX_KEY]] = value

    def _print(*args, sep=" ", end="\n", **_kwargs):
        if len(printed) < MAX_PRINTED:
            printed.append((sep.join(str(a) for a in args) + end)[:500])

    own = copy.deepcopy(params)
    names: dict[str, Any] = {
        "__builtins__": {**SAFE_BUILTINS, "print": _print},
        "__name__": "scanner",
        "symbol": item.symbol,
        "params": own,
        "parameters": own,
        "pd": VIEWS["pandas"],
        "np": VIEWS["numpy"],
        "numpy": VIEWS["numpy"],
        "talib": VIEWS["talib"],
        "math": VIEWS["math"],
        "datetime": datetime.datetime,
        "AddColumn": AddColumn,
        "columns": columns,
        **TALIB_SHORTCUTS,
    }
    if item.block is not None:
        if needed is None or needed & FRAME_NAMES:
            frame = ohlcv_frame(item.block)
            names.update(data=frame, df=frame)
            names.update((c, frame[c]) for c in OHLCV if needed is None or c in needed)
        else:  # building only the Series the code names is most of a simple scanner's cost saved
            names.update((c, ohlcv_series(item.block, c)) for c in OHLCV if c in needed)
    if item.options is not None:
        names.update(options=options_frame(item.options), spot=item.spot, **item.extras)
    return names, columns


OPTION_COLUMNS = (
    "contract_symbol",
    "option_type",
    "expiration_date",
    "dte",
    "strike",
    "bid",
    "ask",
    "last",
    "mid",
    "premium",
    "volume",
    "open_interest",
    "iv",
    "delta",
    "gamma",
    "theta",
    "vega",
    "underlying_price",
    "monthly_return",
    "annualized_return",
    "breakeven",
    "cushion_pct",
    "prob_otm",
    "spread_pct",
    "quality_flag",
)
_OPTION_TEXT = ("contract_symbol", "option_type", "expiration_date", "quality_flag")


def options_frame(rows: list[dict[str, Any]]) -> PositionalFrame:
    """The symbol's contracts as a frame with every OPTION_COLUMNS column, numeric ones as floats (NaN = none)."""
    frame = PositionalFrame(rows, columns=list(OPTION_COLUMNS))
    for column in OPTION_COLUMNS:
        if column not in _OPTION_TEXT:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").astype("float64")
    frame["expiration_date"] = pd.to_datetime(frame["expiration_date"])
    return frame


@dataclass
class Outcome:
    result: dict[str, Any] | None = None
    error: str | None = None
    seconds: float = 0.0
    debug: dict[str, Any] | None = None


def run_one(
    compiled, item: SymbolData, params: dict[str, Any], debug: bool = False, needed: frozenset[str] | None = None
) -> Outcome:
    """Run the compiled scanner for one symbol; any exception becomes this symbol's error with its line."""
    printed: list[str] = []
    started = time.perf_counter()
    names: dict[str, Any] = {}
    try:
        names, columns = build(item, params, printed, None if debug else needed)
        exec(compiled, names)
        outcome = Outcome(result=report.read(names, columns))
    except RecursionError:
        outcome = Outcome(error=f"{_where()}RecursionError: maximum recursion depth exceeded")
    except MemoryError:
        outcome = Outcome(error=f"{_where()}MemoryError: the scanner ran out of its memory limit")
    except Exception as exc:  # the scanner's own failure: reported per symbol, the batch goes on
        outcome = Outcome(error=f"{_where()}{type(exc).__name__}: {str(exc)[:300]}")
    outcome.seconds = time.perf_counter() - started
    if debug:
        outcome.debug = {
            "variables": {
                k: report.describe(v)
                for k, v in list(names.items())[:200]
                if not k.startswith("__") and (k not in CONTRACT_NAMES or k in ("symbol", "params"))
            },
            "inputs": {k: report.describe(names[k]) for k in ("close", "volume", "spot", "options") if k in names},
            "printed": "".join(printed)[:10_000],
        }
    return outcome


def _where() -> str:
    """'line N: ' for the innermost frame of the scanner's own code in the exception being handled."""
    tb = sys.exc_info()[2]
    line = None
    for frame, lineno in traceback.walk_tb(tb):
        if frame.f_code.co_filename == FILENAME:
            line = lineno
    return f"line {line}: " if line else ""

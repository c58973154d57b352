"""Walk everything a validated scanner can reach from its namespace, and name anything it must not reach.

Run in a process of its own (`python -m tests.scanner.namespace_walk`), as the sandbox worker runs: the lockdown
installed first (box/lockdown.py), then one symbol's namespace built (bars and option rows). From the namespace's
names, the allowed builtins and every module view an `import` can give, it follows, breadth first:

- every attribute a validated scanner may write (no `_` prefix, nothing the validator forbids, no `.format`);
- the items of dicts, lists, tuples and frames (subscripts), and what iterating a container gives;
- what callables return for typical arguments -- no argument, an int, the close Series, the close array, the
  frame -- once per (type, name), up to CALL_DEPTH calls deep, and the exceptions they raise (a scanner can catch
  those and read their attributes).

`--real-modules` walks the namespace as it was before the views (the real pd, np and math), the control that
shows the walk finds what it looks for. Forbidden: any real module object, the reflective builtins (getattr,
__import__, eval, open, vars, ...), file objects, frames, tracebacks, code objects, ctypes objects, and the
original (pre-lockdown) pandas/NumPy file readers and writers, evaluators, `np.info`, `as_strided`,
`np.ctypeslib`. Prints one JSON document: {"visited": n, "calls": n, "found": [{"what", "path"}]}.
"""

from __future__ import annotations

import builtins
import contextlib
import ctypes
import io
import json
import resource
import sys
import types
import warnings
from collections import deque
from typing import Any

import numpy as np
import pandas as pd

TRACE = "--trace" in sys.argv
CALL_DEPTH = 2
MAX_NODES = 200_000
PER_TYPE = 3
MAX_ITEMS = 8
REFLECTIVE = ("getattr", "setattr", "delattr", "hasattr", "vars", "globals", "locals", "eval", "exec", "compile")
REFLECTIVE += ("open", "__import__", "breakpoint", "input", "dir", "help", "memoryview", "type", "object", "super")


OPTION_ROWS = [
    {
        "contract_symbol": "WALK300117P00095000",
        "option_type": "put",
        "expiration_date": "2030-01-18",
        "dte": 30,
        "strike": 95.0,
        "bid": 1.9,
        "ask": 2.1,
        "mid": 2.0,
        "delta": -0.25,
        "quality_flag": None,
    },
    {
        "contract_symbol": "WALK300117C00105000",
        "option_type": "call",
        "expiration_date": "2030-01-18",
        "dte": 30,
        "strike": 105.0,
        "bid": 1.1,
        "ask": 1.3,
        "mid": 1.2,
        "delta": 0.3,
        "quality_flag": "wide",
    },
]


# Series/DataFrame `to_*` methods that convert in memory; every other `to_*` writes (or imports a writer).
DATA_CONVERTERS = ("to_numpy", "to_dict", "to_list", "to_frame", "to_period", "to_timestamp", "to_records", "to_string")
_HELD: list[Any] = []  # the originals stay alive, so that no stand-in made by the lockdown reuses their id


def forbidden_originals() -> dict[int, str]:
    """id -> label of every real object that must stay unreachable, taken before the lockdown replaces some."""
    found: dict[int, str] = {}

    def add(value: Any, label: str) -> None:
        if value is not None:
            _HELD.append(value)
            found[id(value)] = label

    for name in REFLECTIVE:
        add(getattr(builtins, name, None), f"builtins.{name}")
    add(io.open, "io.open")
    for name in dir(pd):
        if name.startswith("read_"):
            add(getattr(pd, name), f"pd.{name}")
    for name in ("eval", "to_pickle", "show_versions", "test", "HDFStore", "ExcelFile", "ExcelWriter"):
        add(getattr(pd, name, None), f"pd.{name}")
    for cls in (pd.DataFrame, pd.Series):
        for name in dir(cls):
            if name.startswith("to_") and name not in DATA_CONVERTERS:
                add(vars(cls).get(name) or getattr(cls, name), f"{cls.__name__}.{name}")
        for name in ("eval", "query"):
            add(getattr(cls, name, None), f"{cls.__name__}.{name}")
    for name in ("load", "save", "savez", "savez_compressed", "savetxt", "loadtxt", "genfromtxt", "fromfile"):
        add(getattr(np, name), f"np.{name}")
    for name in ("fromregex", "memmap", "info", "test", "ctypeslib", "show_config", "show_runtime"):
        add(getattr(np, name, None), f"np.{name}")
    add(np.lib.stride_tricks.as_strided, "np.lib.stride_tricks.as_strided")
    add(np.ndarray.tofile, "ndarray.tofile")
    add(np.ndarray.dump, "ndarray.dump")
    add(np.lib.format.open_memmap, "np.lib.format.open_memmap")
    return found


def what_is_wrong(value: Any, originals: dict[int, str]) -> str | None:
    if isinstance(value, types.ModuleType):
        return f"module {getattr(value, '__name__', '?')}"
    if id(value) in originals and originals[id(value)]:
        return originals[id(value)]
    if isinstance(value, types.FrameType | types.TracebackType | types.CodeType):
        return type(value).__name__
    if isinstance(value, io.IOBase):
        return f"file object {type(value).__name__}"
    if isinstance(value, ctypes._CFuncPtr | ctypes.CDLL):
        return f"ctypes {type(value).__name__}"
    if isinstance(value, types.BuiltinFunctionType | types.FunctionType):
        module = getattr(value, "__module__", None) or ""
        if module.split(".")[0] in ("os", "posix", "sys", "subprocess", "ctypes", "io", "_io", "importlib", "shutil"):
            return f"function {module}.{value.__name__}"
    return None


def walk() -> dict[str, Any]:
    from core.scanner.box import lockdown

    originals = forbidden_originals()
    lockdown.install()
    from core.scanner.box.namespace import SAFE_BUILTINS, VIEWS, SymbolData, build, options_frame
    from core.scanner.box.validate import FORMAT_METHODS, forbidden_attribute
    from tests.scanner.conftest import bars

    originals = {k: v for k, v in originals.items() if k not in {id(v) for v in VIEWS.values()}}
    printed: list[str] = []
    names, _ = build(SymbolData("WALK", bars(120), OPTION_ROWS, 100.0, {"iv_rank": 50.0}), {"p": 1}, printed)
    if "--real-modules" in sys.argv:  # the control: the namespace as it was before the views
        import math

        names.update(pd=pd, np=np, numpy=np, math=math)
        VIEWS = {"pandas": pd, "numpy": np}
    close = names["close"]
    call_depth = 0 if "--real-modules" in sys.argv else CALL_DEPTH  # never call into os & co. in the control
    samples = (close, close.to_numpy(), names["df"], 5)
    roots = [(v, k) for k, v in names.items() if not k.startswith("__")]
    roots += [(v, k) for k, v in SAFE_BUILTINS.items() if not k.startswith("__")]
    roots += [(v, f"import {k}") for k, v in VIEWS.items()]
    roots.append((options_frame(OPTION_ROWS), "options"))

    seen: set[int] = set()
    keep: list[Any] = []  # holds every visited object so that no id is reused during the walk
    called: set[Any] = set()
    per_type: dict[type, int] = {}
    queue: deque[tuple[Any, str, int]] = deque((v, p, 0) for v, p in roots)
    found: list[dict[str, str]] = []
    calls = 0

    def push(value: Any, path: str, depth: int) -> None:
        if id(value) not in seen and len(seen) < MAX_NODES:
            queue.append((value, path, depth))

    while queue:
        value, path, depth = queue.popleft()
        if id(value) in seen:
            continue
        seen.add(id(value))
        keep.append(value)
        problem = what_is_wrong(value, originals)
        if problem:
            found.append({"what": problem, "path": path})
            if not isinstance(value, types.ModuleType):
                continue  # a module is walked on: what lies behind it is reported too
        if isinstance(value, str | bytes | int | float | complex | bool | type(None)):
            continue
        per_type[type(value)] = per_type.get(type(value), 0) + 1
        if per_type[type(value)] > PER_TYPE and not callable(value) and not isinstance(value, types.ModuleType):
            continue  # the same kind of object again: its attributes and methods were walked on the first ones
        for name in _names(value):
            if name.startswith("_") or forbidden_attribute(name) or name in FORMAT_METHODS:
                continue
            try:
                attribute = getattr(value, name)
            except BaseException as exc:  # a property that raises: what it raised is reachable too
                push(exc, f"{path}.{name}!", depth)
                continue
            push(attribute, f"{path}.{name}", depth)
        for index, item in enumerate(_items(value)):
            push(item, f"{path}[{index}]", depth)
        key = _call_key(value)
        if key is not None and depth < call_depth and key not in called:
            called.add(key)
            for args in ((), *((s,) for s in samples)):
                calls += 1
                push_result(value, args, path, depth, push)
    return {"visited": len(seen), "calls": calls, "found": found}


def push_result(function: Any, args: tuple, path: str, depth: int, push) -> None:
    label = f"{path}({', '.join(type(a).__name__ for a in args)})"
    if TRACE:
        print(label, file=sys.stderr, flush=True)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            result = function(*args)
    except BaseException as exc:
        push(exc, f"{label}!", depth + 1)
        return
    push(result, label, depth + 1)


def _call_key(value: Any) -> Any:
    """Call each function once, and each method once per class of the object it is bound to."""
    if not callable(value) or isinstance(value, BaseException):
        return None
    owner = getattr(value, "__self__", None)
    if owner is not None and not isinstance(owner, type | types.ModuleType):
        return (type(owner), str(getattr(value, "__name__", "")))
    if owner is None and not isinstance(value, type) and "." in (getattr(value, "__qualname__", "") or ""):
        # An unbound method taken from a class: called with some other object as `self`, Cython code can crash
        # the process (a crash the sandbox child survives as "segmentation fault"); its bound twin is walked.
        return None
    return id(value)


def _names(value: Any) -> list[str]:
    try:
        return sorted(set(dir(value)))
    except BaseException:
        return []


def _items(value: Any) -> list[Any]:
    try:
        if isinstance(value, dict):
            return [*list(value.keys())[:MAX_ITEMS], *list(value.values())[:MAX_ITEMS]]
        if isinstance(value, list | tuple | set | frozenset):
            return list(value)[:MAX_ITEMS]
        if isinstance(value, pd.DataFrame):
            return [value[c] for c in list(value.columns)[:MAX_ITEMS]]
        if isinstance(value, pd.Series | pd.Index | np.ndarray):
            return list(value[:2]) if len(value) else []
        if isinstance(value, BaseException):
            return list(value.args)[:MAX_ITEMS]
    except BaseException:
        return []
    return []


def main() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))
    sys.setrecursionlimit(3000)
    json.dump(walk(), sys.stdout)


if __name__ == "__main__":
    main()

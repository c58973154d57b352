"""Inside the worker, before any user code: pandas' and NumPy's string evaluators and file I/O are replaced by
functions that raise PermissionError, and pandas' dispatch of method names given as strings is limited to an
allow-list of reductions and transforms.

Why a layer here: validation (box/validate.py) reads source text, but pandas resolves names at run time from
strings the code builds (`df.agg("ev" + "al", expr=...)` reaches DataFrame.eval, whose expression engine walks
attributes all the way to `open`). The worker calls `install()` once, before its warm-up and before it forks
any child, so every child starts from the same neutralised modules.

What it covers: `pd.eval`, `DataFrame.eval`/`query` and the expression engine's `Expr`; every `pd.read_*` and
the same functions wherever pandas or NumPy re-export them, `pandas.io.common.get_handle` (the one function all
pandas readers and writers open files through), HDFStore, ExcelFile/ExcelWriter, Stata readers and writers,
`TextFileReader`; the writers of Series/DataFrame (`to_csv`, `to_pickle`, ... `to_clipboard`), and `to_string`
with a path; `DataFrame.style`, plotting backends, `pd.show_versions`, `pd.test`/`np.test`; `np.load`, `np.save`,
`np.savez*`, `np.savetxt`, `np.loadtxt`, `np.genfromtxt`, `np.fromregex`, `np.fromfile`, `np.rec.fromfile`,
`np.memmap`, `np.lib.format.open_memmap/read_array/write_array`, `np.lib.npyio.DataSource`/`NpzFile`,
`ndarray.dump`, all of `np.ctypeslib`, and dateutil time zones given as a file path. `agg`/`aggregate`/
`apply`/`transform`/`pipe` of every pandas Series, DataFrame, window (rolling, expanding, ewm), groupby and
resampler accept a string -- alone, or inside a list, tuple, dict, Series or named aggregation -- only when it
names one of DISPATCH_ALLOWED.

What it does not cover: code that escapes through the object graph (past validation) can still reach
functions this module never replaced (private helpers, closures holding the originals, `ndarray.tofile`, a C
method of an immutable type); that is what the operating-system layer is for (docs/sandbox.md).
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

# Method names pandas may look up from a string for a scanner: reductions and transforms on its own data.
DISPATCH_ALLOWED = frozenset(
    {
        "sum",
        "mean",
        "median",
        "min",
        "max",
        "std",
        "var",
        "count",
        "first",
        "last",
        "prod",
        "nunique",
        "skew",
        "kurt",
        "sem",
        "quantile",
        "idxmin",
        "idxmax",
        "cumsum",
        "cumprod",
        "cummax",
        "cummin",
        "abs",
        "diff",
        "pct_change",
        "rank",
        "shift",
        "size",
        "ohlc",
        "any",
        "all",
        "corr",
        "cov",
        "ffill",
        "bfill",
    }
)
DISPATCHERS = ("agg", "aggregate", "apply", "transform", "pipe")
# Series/DataFrame methods that write (or, for to_xarray, import a module): all of them, path or not.
WRITERS = (
    "to_pickle",
    "to_csv",
    "to_json",
    "to_parquet",
    "to_excel",
    "to_hdf",
    "to_sql",
    "to_feather",
    "to_stata",
    "to_html",
    "to_latex",
    "to_markdown",
    "to_xml",
    "to_clipboard",
    "to_orc",
    "to_iceberg",
    "to_gbq",
    "to_xarray",
)
NUMPY_FILES = ("load", "save", "savez", "savez_compressed", "savetxt", "loadtxt", "genfromtxt", "fromregex")
# (module, name, what the scanner is told): module-level functions replaced, in that module and wherever pandas
# or NumPy import them from it.
FUNCTIONS: tuple[tuple[str, str, str], ...] = (
    ("pandas.core.computation.eval", "eval", "pd.eval"),
    ("pandas.io.common", "get_handle", "pandas file input/output"),
    ("pandas.io.pickle", "to_pickle", "pd.to_pickle"),
    ("pandas.util._print_versions", "show_versions", "pd.show_versions"),
    ("pandas.util._tester", "test", "pd.test"),
    ("pandas.plotting._core", "_get_plot_backend", "plotting"),
    *(("numpy.lib._npyio_impl", name, f"np.{name}") for name in NUMPY_FILES),
    *(
        ("numpy.lib._format_impl", name, f"np.lib.format.{name}")
        for name in ("open_memmap", "read_array", "write_array")
    ),
    ("numpy.lib._datasource", "open", "np.lib.npyio.DataSource"),
    ("numpy._core.records", "fromfile", "np.rec.fromfile"),
    ("numpy._core.multiarray", "fromfile", "np.fromfile"),
    ("numpy._core._methods", "_dump", "ndarray.dump"),  # what ndarray.dump(file) calls
    *(
        ("numpy.ctypeslib._ctypeslib", name, f"np.ctypeslib.{name}")
        for name in ("load_library", "ndpointer", "as_array", "as_ctypes", "as_ctypes_type")
    ),
)
# (module, class, label): classes that can no longer be instantiated (__new__ raises; isinstance still works).
CLASSES = (
    ("numpy._core.memmap", "memmap", "np.memmap"),
    ("numpy.lib._datasource", "DataSource", "np.lib.npyio.DataSource"),
    ("numpy.lib._npyio_impl", "NpzFile", "np.lib.npyio.NpzFile"),
    ("pandas.core.computation.expr", "Expr", "pandas' expression engine"),
    ("pandas.io.pytables", "HDFStore", "pd.HDFStore"),
    ("pandas.io.excel._base", "ExcelFile", "pd.ExcelFile"),
    ("pandas.io.excel._base", "ExcelWriter", "pd.ExcelWriter"),
    ("pandas.io.parsers.readers", "TextFileReader", "pandas' CSV reader"),
    ("pandas.io.stata", "StataReader", "pandas' Stata reader"),
    ("pandas.io.stata", "StataWriter", "pandas' Stata writer"),
)
PANDAS_PREFIXES = ("pandas", "numpy")
MAX_DEPTH = 8

_installed: list[str] = []


def blocked(label: str) -> Callable[..., Any]:
    """A stand-in for `label` that refuses every call."""

    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise PermissionError(f"{label} is not available to scanners")

    refuse.__name__ = refuse.__qualname__ = label.rsplit(".", 1)[-1]
    refuse.__doc__ = f"{label} is not available to scanners (docs/sandbox.md)."
    refuse.scanner_blocked = True  # type: ignore[attr-defined]
    return refuse


class BlockedModule(types.ModuleType):
    """A module whose every attribute is refused (`np.ctypeslib` as scanners see it)."""

    def __getattr__(self, name: str) -> Any:
        raise PermissionError(f"{self.__name__}.{name} is not available to scanners")


def install() -> list[str]:
    """Neutralise evaluators and I/O and guard string dispatch in this process; idempotent. What was replaced."""
    if _installed:
        return list(_installed)
    done: list[str] = []
    replacements: dict[int, tuple[Any, Callable[..., Any]]] = {}

    def replace(original: Any, label: str) -> None:
        if original is not None and id(original) not in replacements:
            replacements[id(original)] = (original, blocked(label))
            done.append(label)

    for name in dir(pd):  # every reader pandas exports, whatever this version calls them
        if name.startswith("read_"):
            replace(getattr(pd, name), f"pd.{name}")
    for module_name, name, label in FUNCTIONS:
        replace(getattr(_module(module_name), name, None), label)
    for module_name in [m for m in list(sys.modules) if m.startswith("pandas.io.")]:
        module = sys.modules.get(module_name)
        for name, value in list(vars(module).items()) if module else ():
            if name.startswith("read_") and isinstance(value, types.FunctionType):
                replace(value, f"{module_name}.{name}")
    _swap_everywhere(replacements)
    tester = getattr(_module("numpy._pytesttester"), "PytestTester", None)
    if isinstance(tester, type):  # np.test, np.linalg.test, ...: instances, so their class's __call__
        tester.__call__ = blocked("np.test")
        done.append("np.test")

    for module_name, class_name, label in CLASSES:
        cls = getattr(_module(module_name), class_name, None)
        if isinstance(cls, type):
            cls.__new__ = _refuse_new(label)
            done.append(label)

    for cls, owner in ((_generic().NDFrame, "Series/DataFrame"), (pd.Series, "Series"), (pd.DataFrame, "DataFrame")):
        for name in WRITERS:
            if name in vars(cls):
                setattr(cls, name, blocked(f"{owner}.{name}"))
                done.append(f"{owner}.{name}")
        if "to_string" in vars(cls):
            cls.to_string = _to_string_without_path(vars(cls)["to_string"])
    for name in ("eval", "query"):
        setattr(pd.DataFrame, name, blocked(f"DataFrame.{name}"))
        done.append(f"DataFrame.{name}")
    pd.DataFrame.style = property(blocked("DataFrame.style"))
    done.append("DataFrame.style")
    fmt = _module("pandas.io.formats.format")
    if fmt is not None:
        _swap_everywhere({id(fmt.save_to_buffer): (fmt.save_to_buffer, _buffer_without_path(fmt.save_to_buffer))})

    zones = _module("pandas._libs.tslibs.timezones")
    if zones is not None and callable(getattr(zones, "dateutil_gettz", None)):
        zones.dateutil_gettz = _zone_by_name_only(zones.dateutil_gettz)
        done.append("dateutil time zones by path")

    # Its functions are replaced above; the attribute goes too, so `np.ctypeslib.ctypes` is not the ctypes module.
    np.ctypeslib = BlockedModule("numpy.ctypeslib")
    done.append("np.ctypeslib")

    done += _guard_dispatch()
    _verify()
    _installed.extend(done)
    return list(done)


# What must be a stand-in once install() is done, by the public path a scanner would use: a pandas or NumPy
# upgrade that moves one of these makes the worker refuse to start instead of silently leaving it in place.
MUST_BE_BLOCKED = (
    "pd.eval",
    "pd.read_csv",
    "pd.read_pickle",
    "pd.to_pickle",
    "pd.show_versions",
    "pd.test",
    "pd.DataFrame.eval",
    "pd.DataFrame.query",
    "pd.DataFrame.to_csv",
    "pd.Series.to_pickle",
    "np.load",
    "np.save",
    "np.savez",
    "np.savez_compressed",
    "np.savetxt",
    "np.loadtxt",
    "np.genfromtxt",
    "np.fromregex",
    "np.fromfile",
    "np.rec.fromfile",
    "np.lib.format.open_memmap",
)


def _verify() -> None:
    names = {"pd": pd, "np": np}
    for path in MUST_BE_BLOCKED:
        head, *rest = path.split(".")
        target: Any = names[head]
        for part in rest:
            target = getattr(target, part)
        if not getattr(target, "scanner_blocked", False):
            raise RuntimeError(f"{path} is still the real function after the lockdown")
    guarded = (pd.DataFrame.agg, pd.Series.agg, pd.DataFrame.apply, pd.Series.transform, pd.DataFrame.pipe)
    if not all(getattr(m, "scanner_guarded", False) for m in guarded):
        raise RuntimeError("agg/apply/transform/pipe are not guarded after the lockdown")


def check_dispatch(value: Any, where: str, depth: int = 0) -> None:
    """Refuse `value` (a function argument of agg/apply/...) if it holds a method name outside the allow-list."""
    if depth > MAX_DEPTH:
        raise PermissionError(f"{where}: function lists nested this deeply are not available to scanners")
    if isinstance(value, str):
        if value not in DISPATCH_ALLOWED:
            raise PermissionError(
                f"{where}({str(value)[:40]!r}) is not available to scanners: a method named by a string must be "
                f"one of {', '.join(sorted(DISPATCH_ALLOWED))}; pass a function instead"
            )
        return
    if value is None or callable(value):
        return
    if isinstance(value, Mapping):
        items: Any = list(value.values())
    elif isinstance(value, pd.Series):
        items = value.tolist()
    elif isinstance(value, np.ndarray | pd.Index):
        items = np.asarray(value).ravel().tolist()
    elif isinstance(value, list | tuple | set | frozenset):
        items = value
    elif hasattr(value, "__iter__") or hasattr(value, "__getitem__"):
        raise PermissionError(
            f"{where}: a {type(value).__name__} of functions is not available to scanners; give a list, tuple or dict"
        )
    else:
        return  # a number or such: pandas refuses it itself
    for item in items:
        check_dispatch(item, where, depth + 1)


def _function_argument(args: tuple, kwargs: dict) -> tuple[Any, bool]:
    if args:
        return args[0], True
    for key in ("func", "arg"):
        if key in kwargs:
            return kwargs[key], True
    return None, False


def _guarded(method: Callable[..., Any], where: str, pipe: bool) -> Callable[..., Any]:
    @functools.wraps(method)
    def guarded(self, *args, **kwargs):
        func, given = _function_argument(args, kwargs)
        if pipe:
            check_dispatch(func[0] if isinstance(func, tuple) and func else func, where)
        elif given and func is not None:
            check_dispatch(func, where)
        else:  # named aggregation: agg(name=("column", "func")), agg(name=pd.NamedAgg(...)) or agg(name="func")
            for key, value in kwargs.items():
                if key in ("engine", "engine_kwargs"):
                    continue
                if isinstance(value, pd.NamedAgg):
                    value = value.aggfunc
                elif isinstance(value, tuple) and len(value) == 2:
                    value = value[1]
                check_dispatch(value, where)
        return method(self, *args, **kwargs)

    guarded.scanner_guarded = True  # type: ignore[attr-defined]
    return guarded


def _guard_dispatch() -> list[str]:
    """Wrap agg/aggregate/apply/transform/pipe wherever pandas defines them, and pandas' own string resolver."""
    for name in (
        "pandas.core.window",
        "pandas.core.window.ewm",
        "pandas.core.window.expanding",
        "pandas.core.window.rolling",
        "pandas.core.groupby.generic",
        "pandas.core.resample",
    ):
        _module(name)
    roots = [_generic().NDFrame, _module("pandas.core.base").SelectionMixin]
    seen: set[type] = set()
    while roots:
        cls = roots.pop()
        if cls in seen:
            continue
        seen.add(cls)
        roots.extend(cls.__subclasses__())
    done: list[str] = []
    wrapped: dict[int, Callable[..., Any]] = {}
    for cls in sorted(seen, key=lambda c: (c.__module__, c.__qualname__)):
        if not cls.__module__.startswith(PANDAS_PREFIXES):
            continue
        for name in DISPATCHERS:
            method = vars(cls).get(name)
            if not isinstance(method, types.FunctionType) or getattr(method, "scanner_guarded", False):
                continue
            if id(method) not in wrapped:
                wrapped[id(method)] = _guarded(method, f"{cls.__name__}.{name}", pipe=name == "pipe")
            setattr(cls, name, wrapped[id(method)])
            done.append(f"{cls.__name__}.{name}")
    apply = _module("pandas.core.apply")
    original = apply.Apply._apply_str

    @functools.wraps(original)
    def _apply_str(self, obj, func, *args, **kwargs):  # every string pandas resolves for agg/apply/transform
        check_dispatch(func, f"{type(obj).__name__} method by name")
        return original(self, obj, func, *args, **kwargs)

    apply.Apply._apply_str = _apply_str
    done.append("pandas.core.apply.Apply._apply_str")
    return done


def _to_string_without_path(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def to_string(self, *args, **kwargs):
        buf = args[0] if args else kwargs.get("buf")
        if buf is not None and not hasattr(buf, "write"):
            raise PermissionError("to_string(path) is not available to scanners (call it without a path)")
        return method(self, *args, **kwargs)

    return to_string


def _buffer_without_path(function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)
    def save_to_buffer(string, buf=None, encoding=None):
        if buf is not None and (isinstance(buf, str | bytes | os.PathLike) or not hasattr(buf, "write")):
            raise PermissionError("writing to a path is not available to scanners")
        return function(string, buf=buf, encoding=encoding)

    return save_to_buffer


def _zone_by_name_only(gettz: Callable[..., Any]) -> Callable[..., Any]:
    """`tz="dateutil/<name>"` reads a TZif file; dateutil also takes a path, which would probe the host's files."""

    @functools.wraps(gettz)
    def dateutil_gettz(name=None):
        text = os.fspath(name) if isinstance(name, str | os.PathLike) else name
        if isinstance(text, str) and (text.startswith(("/", "~", ".")) or ".." in text or "\\" in text):
            raise PermissionError("time-zone files given by path are not available to scanners")
        return gettz(name)

    return dateutil_gettz


def _refuse_new(label: str) -> Callable[..., Any]:
    def __new__(cls, *_args: Any, **_kwargs: Any) -> Any:
        raise PermissionError(f"{label} is not available to scanners")

    return __new__


def _swap_everywhere(replacements: dict[int, tuple[Any, Callable[..., Any]]]) -> None:
    """Replace each original by its stand-in in every loaded pandas/NumPy module that holds it by any name."""
    for module_name, module in list(sys.modules.items()):
        if module is None or not module_name.startswith(PANDAS_PREFIXES):
            continue
        try:
            items = list(vars(module).items())
        except TypeError:
            continue
        for name, value in items:
            hit = replacements.get(id(value))
            if hit is not None and hit[0] is value:
                setattr(module, name, hit[1])


def _module(name: str) -> types.ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def _generic() -> types.ModuleType:
    return importlib.import_module("pandas.core.generic")

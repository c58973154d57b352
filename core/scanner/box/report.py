"""Read what a scanner reported and turn it into JSON scalars, inside the sandbox.

The host only ever sees the JSON this module produces: numbers, strings, booleans and null, in bounded
sizes. Converting user objects (a NumPy scalar, a Series, something odd) happens here, in the sandboxed child,
so the host never calls into an object the scanner made. Reporting styles are read in FluxScan's order:
`Filter` with `AddColumn` columns (an EXPLORE row), then `signal` with `signal_type` and `metrics`, then a
function `scan(data, params)` returning a dict with `signal` and `metrics`, or None.
"""

from __future__ import annotations

import datetime as dt
import math
import types
from typing import Any

import numpy as np
import pandas as pd

from . import clean
from .views import ModuleView

MAX_STRING = clean.MAX_STRING
MAX_METRICS = clean.MAX_METRICS
MAX_KEY = clean.MAX_KEY
SIGNAL_EXTRAS = ("signal_strength", "entry_price", "target", "stop_loss")


class ReportError(ValueError):
    """The scanner reported something that cannot be read (scan() returning a list, say)."""


def scalar(value: Any) -> Any:
    """A JSON scalar for `value`: sequences give their last element, non-finite numbers give None."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        number = int(value)
        return number if abs(number) < 2**53 else float(number)
    if isinstance(value, float | np.floating):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, str):
        return clean.text(value)
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date | np.datetime64):
        return _when(value)
    if isinstance(value, np.timedelta64 | pd.Timedelta | dt.timedelta):
        return clean.text(str(value))
    if isinstance(value, pd.Series | pd.Index | np.ndarray | list | tuple):
        return scalar(_last(value)) if len(value) else None
    if isinstance(value, pd.DataFrame):
        return f"DataFrame {value.shape[0]}x{value.shape[1]}"
    return clean.text(str(value))


def _when(value: Any) -> str | None:
    """A date as `2027-01-08` (an expiry, a bar's day: midnight without a zone), any other moment in full ISO."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    stamp = pd.Timestamp(value)
    if pd.isna(stamp):
        return None
    if stamp.tz is None and stamp == stamp.normalize():
        return stamp.date().isoformat()
    return clean.text(stamp.isoformat())


def _last(value: Any) -> Any:
    if isinstance(value, pd.Series):
        return value.iloc[-1]
    if isinstance(value, np.ndarray):
        return value.reshape(-1)[-1]
    return value[-1]


def truth(value: Any) -> bool:
    """Whether a Filter/signal value is true: a Series or array counts by its last element, NaN is false."""
    if isinstance(value, pd.Series | pd.Index | np.ndarray | list | tuple):
        return bool(len(value)) and truth(_last(value))
    if value is None:
        return False
    if isinstance(value, float | np.floating):
        return bool(math.isfinite(float(value)) and value != 0)
    if isinstance(value, str):
        return bool(value.strip())
    return bool(value)


def metrics_map(value: Any) -> dict[str, Any]:
    """A dict of at most MAX_METRICS string keys and scalar values; anything else is refused."""
    if value is None:
        return {}
    if isinstance(value, pd.Series):
        value = value.to_dict()
    if not isinstance(value, dict):
        raise ReportError(f"metrics must be a dict, not {type(value).__name__}")
    out: dict[str, Any] = {}
    for key, item in list(value.items())[:MAX_METRICS]:
        out[clean.text(key, MAX_KEY) or "?"] = scalar(item)
    return out


def signal_name(value: Any, default: str = "BUY") -> str:
    try:
        return clean.signal_name(value) if isinstance(value, str) and value.strip() else default
    except clean.BadResult:
        return default


def read(namespace: dict[str, Any], columns: dict[str, Any]) -> dict[str, Any] | None:
    """The symbol's result -- {"signal": str, "metrics": {...}} -- or None when it did not signal."""
    if "Filter" in namespace and truth(namespace["Filter"]):
        return {"signal": "EXPLORE", "metrics": metrics_map(columns)}
    if "signal" in namespace and truth(namespace["signal"]):
        return _signal(namespace)
    scan = namespace.get("scan")
    if isinstance(scan, types.FunctionType):
        return scan_result(scan(namespace["data"], namespace["params"]))
    return None


def scan_result(returned: Any) -> dict[str, Any] | None:
    if returned is None:
        return None
    if not isinstance(returned, dict):
        raise ReportError(f"scan() must return a dict or None, not {type(returned).__name__}")
    if not truth(returned.get("signal")):
        return None
    return _signal(returned)


def _signal(source: dict[str, Any]) -> dict[str, Any]:
    """The "signal" style's result from a namespace or a scan() dict: signal (or signal_type), metrics, extras."""
    raw = source["signal"]
    kind = raw if isinstance(raw, str) else source.get("signal_type")
    metrics = metrics_map(source.get("metrics"))
    for extra in SIGNAL_EXTRAS:
        if source.get(extra) is not None:
            metrics[extra] = scalar(source[extra])
    return {"signal": signal_name(kind), "metrics": metrics}


def describe(value: Any) -> Any:
    """A short JSON description of a namespace value, for the dry run's variable table."""
    if isinstance(value, pd.DataFrame):
        return {"type": "DataFrame", "rows": int(value.shape[0]), "columns": [str(c) for c in value.columns][:20]}
    if isinstance(value, pd.Series | np.ndarray):
        return {"type": type(value).__name__, "length": len(value), "last": scalar(value) if len(value) else None}
    if isinstance(value, dict):
        return {str(k)[:MAX_KEY]: scalar(v) for k, v in list(value.items())[:MAX_METRICS]}
    if isinstance(value, types.FunctionType):
        return "function"
    if isinstance(value, types.ModuleType | ModuleView):
        return "module"
    return scalar(value)

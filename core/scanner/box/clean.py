"""Results are data: every string, number, key and nested block a scanner produces, made safe and bounded.

Applied twice, with the same rules: in the child before a result is encoded (box/worker.py), and on the host to
whatever line arrives (core/scanner/sandbox.py), because the child may have been taken over and written its own
line. Strings lose NUL and every other control character, lone surrogates (chr(0xD800)) become U+FFFD, bidi
overrides and other invisible format characters (U+202E, U+2066, zero-width joiners) go; numbers are finite or
None, integers past 2**53 become floats; keys, strings, signal names, lists and dicts have fixed maximum sizes and
nesting depth. A result that is not the expected shape raises BadResult: that symbol fails with the reason, the
others of its batch go on.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

MAX_STRING = 200
MAX_KEY = 64
MAX_METRICS = 50
MAX_SIGNAL = 50
MAX_ERROR = 1000
MAX_DEPTH = 4
MAX_ITEMS = 200
MAX_PRINTED = 10_000
_SIGNAL = re.compile(r"[^A-Z0-9_ .\-]")


class BadResult(ValueError):
    """What the scanner (or a forged line) reported is not a result."""


def text(value: Any, limit: int = MAX_STRING, lines: bool = False) -> str:
    """A printable string of at most `limit` characters; `lines` keeps newlines and tabs (printed output)."""
    raw = value if isinstance(value, str) else str(value)
    raw = raw[: limit * 2]  # nothing below makes a string longer; bound the work first
    kept = []
    for ch in raw:
        category = unicodedata.category(ch)
        if category == "Cc":
            if lines and ch in "\n\t":
                kept.append(ch)
            elif ch in "\n\r\t":
                kept.append(" ")
        elif category == "Cs":  # a lone surrogate cannot be stored as UTF-8
            kept.append("\ufffd")
        elif category not in ("Cf", "Co", "Cn", "Zl", "Zp"):
            kept.append(ch)
    return "".join(kept)[:limit]


def number(value: Any) -> int | float | None:
    """A finite JSON number, or None."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else float(value) if abs(value) < 1e308 else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return None


def scalar(value: Any) -> Any:
    """A JSON scalar made safe: None, bool, finite number or clean string; anything else is refused."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return number(value)
    if isinstance(value, str):
        return text(value)
    raise BadResult(f"a metric value must be a number, text, true/false or null, not {type(value).__name__}")


def signal_name(value: Any) -> str:
    """An upper-case signal name of letters, digits, '_', '-', '.', and spaces."""
    if not isinstance(value, str):
        raise BadResult(f"the signal must be text, not {type(value).__name__}")
    name = _SIGNAL.sub("", text(value, MAX_SIGNAL * 2).upper()).strip()[:MAX_SIGNAL]
    if not name:
        raise BadResult("the signal name is empty once cleaned")
    return name


def result(value: Any) -> dict[str, Any] | None:
    """{"signal": name, "metrics": {key: scalar}} or None; BadResult for anything else."""
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"signal", "metrics"}:
        raise BadResult("a result must be an object with 'signal' and 'metrics'")
    metrics = value.get("metrics")
    if not isinstance(metrics, dict):
        raise BadResult("metrics must be an object")
    if len(metrics) > MAX_METRICS:
        raise BadResult(f"more than {MAX_METRICS} metrics")
    clean: dict[str, Any] = {}
    for key, item in metrics.items():
        name = text(key, MAX_KEY)
        if not name:
            raise BadResult("a metric name is empty once cleaned")
        clean[name] = scalar(item)
    return {"signal": signal_name(value.get("signal")), "metrics": clean}


def debug(value: Any, depth: int = 0) -> Any:
    """The dry run's debug block, bounded in depth, width and string size; deeper levels become '...'."""
    if depth > MAX_DEPTH:
        return "..."
    if isinstance(value, dict):
        return {text(k, MAX_KEY): debug(v, depth + 1) for k, v in list(value.items())[:MAX_ITEMS]}
    if isinstance(value, list | tuple):
        return [debug(v, depth + 1) for v in list(value)[:MAX_ITEMS]]
    if isinstance(value, str):
        return text(value, MAX_PRINTED if depth <= 1 else MAX_STRING, lines=True)
    if value is None or isinstance(value, bool | int | float):
        return number(value) if value is not None else None
    return text(repr(value))


def error(value: Any) -> str:
    return text(value, MAX_ERROR) or "failed (no reason given)"


def row(row: dict[str, Any]) -> dict[str, Any]:
    """One symbol's row (index, result, error, ms, debug) made safe; a bad result becomes that symbol's error."""
    out: dict[str, Any] = {"i": row.get("i"), "result": None, "error": None, "ms": number(row.get("ms")) or 0}
    try:
        out["result"] = result(row.get("result"))
    except BadResult as exc:
        out["error"] = f"malformed result: {exc}"
    if row.get("error") is not None:
        out["result"], out["error"] = None, error(row["error"])
    if "debug" in row:
        out["debug"] = debug(row["debug"]) if isinstance(row["debug"], dict) else None
    return out


def refuse_constant(name: str) -> Any:
    """json.loads(parse_constant=...): NaN and Infinity are not numbers in a result line."""
    raise ValueError(f"{name} is not a JSON number")

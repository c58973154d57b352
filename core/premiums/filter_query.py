"""A `PremiumFilters` as URL query parameters and back, so a screen can be bookmarked, shared and reloaded.

One mapping for every field, read from the dataclass's own type hints: a new filter field is carried in the
address bar without code here, as long as its type is one of those below. Only fields that differ from the
defaults are written, each under its field name:

- a (low, high) pair: `dte=7-45`, `delta=0.25-0.4`; `any` for "no limit" (`delta=any`);
- a tuple of names: the key repeated (`sectors=Energy&sectors=Utilities`);
- a bool: `true` / `false`; a date: `2026-12-02`; a number or a name: as itself; `none` clears an optional one.

Reading is forgiving by design: a value that does not parse or that `validate` refuses is dropped (its default
kept) and reported as one sentence, so a hand-edited or stale link opens the screen with a notice, never an
error page.

>>> to_query(PremiumFilters(strategy="cc", dte=(14, 30), delta=None, sectors=("Energy",)))
{'strategy': 'cc', 'dte': '14-30', 'delta': 'any', 'sectors': ['Energy']}
>>> flt, problems = from_query({"dte": "14-30", "min_premium": "lots", "limit": "0"})
>>> flt.dte, flt.min_premium, flt.limit
((14, 30), None, 500)
>>> problems
["min_premium='lots': expected a number", "limit='0': must be a whole number of at least 1, got 0"]
"""

from __future__ import annotations

import datetime as dt
import math
import types
import typing
from collections.abc import Mapping, Sequence
from dataclasses import fields, replace
from functools import cache
from typing import Any

from core.premiums.filters import PremiumFilters
from core.premiums.screen import InvalidFilters, validate

DEFAULTS = PremiumFilters()
NO_LIMIT = "any"  # an optional range lifted (as on the command line)
NONE = "none"  # any other optional field cleared
TRUE, FALSE = ("true", "1", "yes", "on"), ("false", "0", "no", "off")


class _BadValue(ValueError):
    """A query value that does not parse as its field's type (the message says what was expected)."""


@cache
def _hints() -> dict[str, Any]:
    return typing.get_type_hints(PremiumFilters)


def _unwrap(hint) -> tuple[Any, bool]:
    """(the type inside `X | None`, whether None is allowed)."""
    args = typing.get_args(hint)
    if typing.get_origin(hint) in (typing.Union, types.UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        return rest[0], True
    return hint, False


def _number_text(value) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() else repr(value)


def _encode(hint, value) -> str | list[str]:
    inner, optional = _unwrap(hint)
    origin, args = typing.get_origin(inner), typing.get_args(inner)
    if value is None:
        return NO_LIMIT if origin is tuple and len(args) == 2 else NONE
    if origin is tuple and args[-1] is Ellipsis:
        return [str(v) for v in value]
    if origin is tuple:
        return "-".join(_number_text(v) for v in value)
    if inner is bool:
        return "true" if value else "false"
    if inner in (int, float):
        return _number_text(value)
    if inner is dt.date:
        return value.isoformat()
    return str(value)


def _number(text: str, whole: bool):
    try:
        value = int(text) if whole else float(text)
    except ValueError:
        raise _BadValue("expected a whole number" if whole else "expected a number") from None
    if not math.isfinite(value):
        raise _BadValue("expected a finite number")
    return value


def _decode(hint, values: list[str]):
    inner, optional = _unwrap(hint)
    origin, args = typing.get_origin(inner), typing.get_args(inner)
    if origin is tuple and args[-1] is Ellipsis:
        return tuple(v for v in values if v.strip())
    text = values[-1].strip()
    if optional and text.lower() in (NO_LIMIT, NONE, ""):
        return None
    if origin is tuple:
        low, sep, high = text.partition("-")
        whole = all(a is int for a in args)
        if not sep:
            raise _BadValue("expected MIN-MAX such as " + ("7-45" if whole else "0.25-0.40"))
        return (_number(low.strip(), whole), _number(high.strip(), whole))
    if inner is bool:
        if text.lower() not in TRUE + FALSE:
            raise _BadValue("expected true or false")
        return text.lower() in TRUE
    if inner in (int, float):
        return _number(text, inner is int)
    if inner is dt.date:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            raise _BadValue("expected a date YYYY-MM-DD") from None
    if typing.get_origin(inner) is typing.Literal:
        choices = typing.get_args(inner)
        if text not in choices:
            raise _BadValue(f"expected one of {', '.join(choices)}")
        return text
    return text


def to_query(filters: PremiumFilters) -> dict[str, str | list[str]]:
    """The fields of `filters` that differ from the defaults, as query parameters (field name -> text)."""
    hints = _hints()
    return {
        f.name: _encode(hints[f.name], getattr(filters, f.name))
        for f in fields(PremiumFilters)
        if getattr(filters, f.name) != getattr(DEFAULTS, f.name)
    }


def _outside(value, bounds: tuple[float, float]) -> str | None:
    values = value if isinstance(value, tuple) else (value,)
    low, high = bounds
    if any(v is not None and not low <= v <= high for v in values):
        return f"must be within {_number_text(low)}-{_number_text(high)}"
    return None


def from_query(
    params: Mapping[str, str | Sequence[str]], bounds: Mapping[str, tuple[float, float]] | None = None
) -> tuple[PremiumFilters, list[str]]:
    """Filters from query parameters, and one sentence per value that was ignored.

    Keys that are no filter field are left alone (the address may carry other things); each field's value is
    parsed and checked on its own (`validate` on the defaults with that field replaced, then `bounds`, the
    narrower limits a page's widgets may have: {"dte": (0, 400)}), so one bad value costs only itself.
    """
    hints = _hints()
    found: dict[str, Any] = {}
    problems: list[str] = []
    for f in fields(PremiumFilters):
        if f.name not in params:
            continue
        raw = params[f.name]
        values = [raw] if isinstance(raw, str) else [str(v) for v in raw]
        if not values:
            continue
        shown = values[0] if len(values) == 1 else values
        try:
            value = _decode(hints[f.name], values)
            validate(replace(DEFAULTS, **{f.name: value}))
            if f.name in (bounds or {}) and (problem := _outside(value, bounds[f.name])):
                raise _BadValue(problem)
        except _BadValue as exc:
            problems.append(f"{f.name}={shown!r}: {exc}")
            continue
        except InvalidFilters as exc:
            problems.append(f"{f.name}={shown!r}: {str(exc).split(': ', 1)[-1]}")
            continue
        found[f.name] = value
    return replace(DEFAULTS, **found), problems

"""`PremiumFilters` <-> URL query parameters: every field travels (by its type, so a new field does too), the
defaults stay out of the address, and a bad value is dropped with a sentence that names it."""

from __future__ import annotations

import datetime as dt
import types
import typing
from dataclasses import fields, replace

from core.premiums.filter_query import from_query, to_query
from core.premiums.filters import PremiumFilters

DEFAULTS = PremiumFilters()


def _other_value(hint, default):
    """A valid value of type `hint` that is not `default` (generic, so a field added later is covered too)."""
    args = [a for a in typing.get_args(hint) if a is not type(None)]
    inner = args[0] if typing.get_origin(hint) in (typing.Union, types.UnionType) else hint
    origin, inner_args = typing.get_origin(inner), typing.get_args(inner)
    if origin is tuple and inner_args[-1] is Ellipsis:
        return ("Energy", "Utilities")
    if origin is tuple:
        pair = (3, 9) if inner_args[0] is int else (0.125, 0.5)
        return pair if pair != default else None
    if origin is typing.Literal:
        return next(c for c in inner_args if c != default)
    if inner is bool:
        return not default
    if inner is int:
        return 7 if default != 7 else 8
    if inner is float:
        return 0.5 if default != 0.5 else 0.75
    if inner is dt.date:
        return dt.date(2026, 11, 27)
    return "Wheel TV"


def test_every_field_round_trips_through_the_query():
    hints = typing.get_type_hints(PremiumFilters)
    changed = replace(
        DEFAULTS, **{f.name: _other_value(hints[f.name], getattr(DEFAULTS, f.name)) for f in fields(DEFAULTS)}
    )
    query = to_query(changed)
    assert set(query) == {f.name for f in fields(DEFAULTS)}  # every field differs, so every field is written
    assert all(isinstance(v, str) or all(isinstance(x, str) for x in v) for v in query.values())
    back, problems = from_query(query)
    assert problems == []
    assert back == changed


def test_defaults_write_nothing_and_a_lifted_limit_is_any():
    assert to_query(DEFAULTS) == {}
    assert to_query(replace(DEFAULTS, delta=None, dte=(14, 30))) == {"delta": "any", "dte": "14-30"}
    assert from_query({"delta": "any"})[0].delta is None
    assert from_query({"delta": "0.2-0.3", "sectors": ["Energy", "Utilities"]})[0] == replace(
        DEFAULTS, delta=(0.2, 0.3), sectors=("Energy", "Utilities")
    )


def test_bad_values_are_dropped_one_by_one_and_named():
    flt, problems = from_query(
        {
            "strategy": "cc",  # good: kept
            "dte": "45-7",  # low above high
            "delta": "0.2-1.5",  # above 1
            "min_volume": "ten",
            "exclude_earnings": "maybe",
            "as_of": "2026-13-01",
            "rank_by": "DROP TABLE",
            "unknown_key": "x",  # not a filter: not ours to judge
        }
    )
    assert flt == replace(DEFAULTS, strategy="cc")
    assert [p.split("=", 1)[0] for p in problems] == [
        "dte",
        "delta",
        "min_volume",
        "exclude_earnings",
        "as_of",
        "rank_by",
    ]
    assert "dte='45-7': low 45 is above high 7" in problems
    assert "min_volume='ten': expected a whole number" in problems
    assert any(p.startswith("rank_by='DROP TABLE': expected one of flat_annualized_return") for p in problems)


def test_the_module_docstring_examples_hold():
    import doctest

    from core.premiums import filter_query

    assert doctest.testmod(filter_query).failed == 0

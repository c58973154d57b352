"""Scanner parameters typed by their schema: what a form or `--params` sends becomes what the code expects."""

from __future__ import annotations

import pytest

from core.scanner.params import ParamError, parse_params_json, typed_params


def test_form_strings_take_the_type_of_their_definition():
    schema = {
        "period": {"default": 14, "type": "int"},
        "level": {"default": 30.0, "type": "number"},
        "strict": {"default": True, "type": "bool"},
        "label": {"default": "x", "type": "string"},
    }
    supplied = {"period": "21", "level": "25.5", "strict": "false", "label": 7}
    assert typed_params(schema, supplied) == {"period": 21, "level": 25.5, "strict": False, "label": "7"}


def test_plain_defaults_type_the_values_and_definitions_are_unwrapped():
    schema = {"rsi_period": 14, "oversold": 30.0, "use_volume": False, "wrapped": {"default": 5}}
    assert typed_params(schema) == {"rsi_period": 14, "oversold": 30.0, "use_volume": False, "wrapped": 5}
    assert typed_params(schema, {"rsi_period": "9.0", "oversold": "28", "use_volume": "yes"}) == {
        "rsi_period": 9,
        "oversold": 28.0,
        "use_volume": True,
        "wrapped": 5,
    }


def test_values_without_a_definition_are_inferred():
    assert typed_params(None, {"a": "3", "b": "2.5", "c": "true", "d": "text", "e": 4}) == {
        "a": 3,
        "b": 2.5,
        "c": True,
        "d": "text",
        "e": 4,
    }


@pytest.mark.parametrize(
    ("schema", "supplied", "message"),
    [
        ({"period": 14}, {"period": "abc"}, "parameter 'period': expected an integer, got 'abc'"),
        ({"period": 14}, {"period": "14.5"}, "expected an integer"),
        ({"level": 1.0}, {"level": "nan"}, "expected a number"),
        ({"flag": True}, {"flag": "maybe"}, "expected true or false"),
        ({"period": {"default": 14, "min": 2, "max": 50}}, {"period": "100"}, "above its maximum 50"),
        ({"period": {"default": 14, "type": "int", "min": 2}}, {"period": 1}, "below its minimum 2"),
        ({"side": {"default": "put", "options": ["put", "call"]}}, {"side": "straddle"}, "not one of"),
    ],
)
def test_bad_values_name_the_parameter(schema, supplied, message):
    with pytest.raises(ParamError, match=message):
        typed_params(schema, supplied)


def test_params_json():
    assert parse_params_json('{"rsi_period": 21}') == {"rsi_period": 21}
    assert parse_params_json("") == {} and parse_params_json(None) == {}
    with pytest.raises(ParamError, match="JSON object"):
        parse_params_json("[1, 2]")
    with pytest.raises(ParamError, match="not valid JSON"):
        parse_params_json("{rsi: 1}")

"""A scanner's `params`: its parameter schema's defaults, overridden by the values of one run, typed.

A schema (`scanners.parameters`, `scanner_templates.default_parameters`) maps a name to either a plain
default (`{"rsi_period": 14}`) or a definition (`{"rsi_period": {"default": 14, "type": "int", "min": 2}}`).
Values from a form or the command line arrive as strings; they take the type of the definition (or of its
default), so the scanner sees `params["rsi_period"] == 14`, never `"14"`. Definitions are unwrapped: the
scanner gets the value, not the dict.

>>> typed_params({"period": {"default": 14, "type": "int"}, "level": 30.0}, {"period": "21"})
{'period': 21, 'level': 30.0}
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

TYPE_NAMES = {
    "int": "int",
    "integer": "int",
    "float": "float",
    "number": "float",
    "decimal": "float",
    "bool": "bool",
    "boolean": "bool",
    "checkbox": "bool",
    "str": "str",
    "string": "str",
    "text": "str",
    "select": "str",
    "choice": "str",
}
_TRUE = {"true", "1", "yes", "on", "y"}
_FALSE = {"false", "0", "no", "off", "n", ""}
_INT = re.compile(r"[+-]?\d+")


class ParamError(ValueError):
    """A value that does not fit its parameter's definition; the message names the parameter."""


def _definition(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict) and ("default" in raw or "type" in raw or "value" in raw):
        return raw
    return {"default": raw}


def _kind(definition: dict[str, Any]) -> str | None:
    declared = definition.get("type")
    if isinstance(declared, str) and declared.lower() in TYPE_NAMES:
        return TYPE_NAMES[declared.lower()]
    default = definition.get("default", definition.get("value"))
    if isinstance(default, bool):
        return "bool"
    if isinstance(default, int):
        return "int"
    if isinstance(default, float):
        return "float"
    if isinstance(default, str):
        return "str"
    return None


def coerce(name: str, value: Any, kind: str | None) -> Any:
    """`value` as `kind` ('int', 'float', 'bool', 'str' or None to infer from a string)."""
    if value is None:
        return None
    if kind is None:
        return _infer(value)
    text = value.strip() if isinstance(value, str) else value
    try:
        if kind == "int":
            if isinstance(text, bool):
                raise ValueError
            if isinstance(text, int) or (isinstance(text, str) and _INT.fullmatch(text)):
                return int(text)
            number = float(text)  # "14.0" and 14.0 are fine; 14.5 is not an integer
            if not number.is_integer():
                raise ValueError
            return int(number)
        if kind == "float":
            if isinstance(text, bool):
                raise ValueError
            number = float(text)
            if not math.isfinite(number):
                raise ValueError
            return number
        if kind == "bool":
            if isinstance(text, bool):
                return text
            if isinstance(text, int | float):
                return bool(text)
            lowered = str(text).lower()
            if lowered in _TRUE | _FALSE:
                return lowered in _TRUE
            raise ValueError
        return str(value)
    except (TypeError, ValueError):
        expected = {"int": "an integer", "float": "a number", "bool": "true or false"}.get(kind, kind)
        raise ParamError(f"parameter '{name}': expected {expected}, got {value!r}") from None


def _infer(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    text = value.strip()
    if _INT.fullmatch(text):
        return int(text)
    try:
        number = float(text)
        return number if math.isfinite(number) else value
    except ValueError:
        pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return value


def typed_params(schema: dict[str, Any] | None, supplied: dict[str, Any] | None = None) -> dict[str, Any]:
    """The dict a scanner sees as `params`: schema defaults, then `supplied`, each typed and bounds-checked."""
    schema = schema if isinstance(schema, dict) else {}
    supplied = supplied if isinstance(supplied, dict) else {}
    out: dict[str, Any] = {}
    for name, raw in schema.items():
        definition = _definition(raw)
        kind = _kind(definition)
        value = supplied.get(name, definition.get("default", definition.get("value")))
        value = coerce(name, value, kind)
        _check_bounds(name, value, definition)
        out[str(name)] = value
    for name, value in supplied.items():
        if name not in schema:
            out[str(name)] = _infer(value)
    return out


def _check_bounds(name: str, value: Any, definition: dict[str, Any]) -> None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = definition.get("min"), definition.get("max")
        if isinstance(low, int | float) and value < low:
            raise ParamError(f"parameter '{name}': {value} is below its minimum {low}")
        if isinstance(high, int | float) and value > high:
            raise ParamError(f"parameter '{name}': {value} is above its maximum {high}")
    choices = definition.get("options", definition.get("choices"))
    if isinstance(choices, list) and choices and value is not None and value not in choices:
        raise ParamError(f"parameter '{name}': {value!r} is not one of {choices}")


def parse_params_json(text: str | None) -> dict[str, Any]:
    """`--params '{"rsi_period": 21}'` (or a form's JSON box) as a dict; ParamError when it is not an object."""
    if text is None or not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ParamError(f"parameters are not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise ParamError('parameters must be a JSON object, e.g. {"rsi_period": 21}')
    return value

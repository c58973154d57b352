"""Results are data: whatever a scanner reports -- or a taken-over child writes as its own line -- reaches the host
as clean, bounded JSON (box/clean.py, in the child and again on the host), and a bad one fails only its symbol."""

from __future__ import annotations

import datetime as dt
import json
import unicodedata

import numpy as np
import pandas as pd
import pytest

from core.scanner.box import clean, report
from core.scanner.sandbox import _outcome
from tests.scanner.conftest import PRELUDE, item

pytestmark = pytest.mark.slow  # every test here starts the sandbox

UNSAFE_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}
# Every code point of the first planes' troublesome ranges, the surrogates and the bidi and zero-width controls.
HOSTILE_CHARS = [chr(c) for c in (*range(0, 0x250), *range(0x2000, 0x2070), *range(0xD7F0, 0xE010), 0xFEFF, 0xFFFF)]


def _safe(text: str) -> bool:
    text.encode("utf-8")  # strict: a lone surrogate raises here
    return not any(unicodedata.category(ch) in UNSAFE_CATEGORIES for ch in text)


def test_every_unsafe_character_is_removed_or_replaced():
    blob = "".join(HOSTILE_CHARS)
    for width in (1, 7, 64):
        for start in range(0, len(blob), width):
            assert _safe(clean.text(blob[start : start + width] + "BUY"))
    assert clean.text(chr(0xD800) + "BUY") == "\ufffdBUY"
    assert clean.text("a\x00b\u202ec\u2066d\u200be") == "abcde"


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 10**400, 2**70, -(2**60), 1e308, 3])
def test_numbers_are_finite_or_null(value):
    cleaned = clean.number(value)
    assert cleaned is None or (isinstance(cleaned, int | float) and json.dumps(cleaned, allow_nan=False))


def test_sizes_and_depth_are_bounded():
    deep: dict = {}
    node = deep
    for _ in range(800):
        node["x"] = {}
        node = node["x"]
    block = clean.debug({"variables": deep, "printed": "p" * 10**6, "inputs": list(range(10**4))})
    text = json.dumps(block, allow_nan=False)
    assert text.count("{") <= clean.MAX_DEPTH + 2 and len(text) < 60_000
    with pytest.raises(clean.BadResult):
        clean.result({"signal": "BUY", "metrics": {f"m{i}": i for i in range(51)}})
    with pytest.raises(clean.BadResult):
        clean.result({"signal": "BUY", "metrics": {"x": {"nested": 1}}})
    long = clean.result({"signal": "B" * 500, "metrics": {"k" * 500: "v" * 5000}})
    assert len(long["signal"]) == 50 and all(len(k) <= 64 and len(v) <= 200 for k, v in long["metrics"].items())


def test_the_host_cleans_again_whatever_arrives():
    """A forged row that got past the worker is cleaned or refused by the host, per symbol."""
    forged = {"i": 0, "result": {"signal": "\u202eBUY\x00", "metrics": {"k\x00": float("nan"), "s": "\ud800x"}}}
    outcome = _outcome("AAA", forged)
    assert outcome.result == {"signal": "BUY", "metrics": {"k": None, "s": "\ufffdx"}}
    assert "malformed" in _outcome("AAA", {"i": 0, "result": {"signal": 5, "metrics": {}}}).error
    assert "malformed" in _outcome("AAA", {"i": 0, "result": [1]}).error
    assert _safe(_outcome("AAA", {"error": "boom\x00\u202e" * 500}).error)


HOSTILE_REPORTS = [
    ("surrogate_signal", "signal = chr(0xD800) + 'BUY'"),
    ("nul_metric", "signal = True\nmetrics = {'note': 'a' + chr(0) + 'b'}"),
    ("bidi_key", "signal = True\nmetrics = {chr(0x202E) + 'gnp.exe': 1}"),
    ("nan_extras", "signal = True\nsignal_strength = float('nan')\ntarget = float('inf')\nmetrics = {'x': -np.inf}"),
    ("huge_int", "signal = True\nmetrics = {'x': 10 ** 400}"),
    ("control_signal_type", "signal = True\nsignal_type = 'SELL' + chr(27) + '[31m' + chr(7)"),
    ("filter_columns", "Filter = True\nAddColumn(chr(0xDFFF) * 100, chr(0) * 1000)"),
    (
        "scan_dict",
        "def scan(data, params):\n    return {'signal': chr(0x2066) + 'WATCH', 'metrics': {'a': chr(0xD800)}}",
    ),
]


@pytest.mark.parametrize(("case", "code"), HOSTILE_REPORTS, ids=[h[0] for h in HOSTILE_REPORTS])
def test_hostile_reports_arrive_clean_in_both_modes(either_mode, case, code):
    box, _, _ = either_mode
    outcomes = box.run(code, [item("AAA"), item("BBB", seed=2)])
    for outcome in outcomes:
        payload = json.dumps({"result": outcome.result, "error": outcome.error}, allow_nan=False)
        assert _safe(json.loads(payload) and payload) and "\\u0000" not in payload
        if outcome.result:
            assert outcome.result["signal"] and _safe(outcome.result["signal"])


FORGED = [
    ("nan", b'{"i": 0, "result": {"signal": "BUY", "metrics": {"x": NaN}}}'),
    ("infinity", b'{"i": 0, "result": {"signal": "BUY", "metrics": {"x": Infinity}}}'),
    ("not_json", b"hello"),
    ("huge", b'{"i": 0, "result": {"signal": "BUY", "metrics": {"x": "' + b"y" * 200_000 + b'"}}}'),
    ("wrong_index", b'{"i": 7, "result": {"signal": "BUY", "metrics": {}}}'),
    ("deep_debug", b'{"i": 0, "result": null, "debug": ' + b'{"a": ' * 800 + b"1" + b"}" * 801),
    ("surrogate_escape", b'{"i": 0, "result": {"signal": "\\ud800BUY", "metrics": {"\\u0000": "\\u202e"}}}'),
]


@pytest.mark.parametrize(("case", "line"), FORGED, ids=[f[0] for f in FORGED])
def test_forged_lines_fail_only_their_symbol(either_mode, case, line):
    """A taken-over child writes its own line for symbol BAD and exits: BAD fails (or arrives clean), the symbols
    before and after it in the same batch are scanned, and the same worker goes on."""
    box, _, _ = either_mode
    code = PRELUDE + (
        "if symbol == 'BAD':\n    for fd in range(3, 12):\n        try:\n"
        "            OS['write'](fd, params['line'].encode() + b'\\n')\n        except Exception:\n            pass\n"
        "    OS['_exit'](0)\nsignal = True\nmetrics = {'close': close[-1]}"
    )
    symbols = [item("AAA"), item("BAD", seed=3), item("CCC", seed=4)]
    outcomes = box.run(code, symbols, {"line": line.decode()}, check=False)
    assert outcomes[0].result is not None and outcomes[2].result is not None, outcomes
    bad = outcomes[1]
    if bad.result is not None:
        assert _safe(bad.result["signal"]) and all(_safe(k) for k in bad.result["metrics"])
    else:
        assert bad.error
    assert box.run("signal = True", [item()])[0].result is not None


def test_dry_run_debug_is_bounded(either_mode):
    box, _, _ = either_mode
    code = "d = {}\nn = d\nfor i in range(800):\n    n['x'] = {}\n    n = n['x']\nprint(chr(0) * 100 + 'x' * 10 ** 6)"
    outcome = box.run(code, [item()], debug=True)[0]
    text = json.dumps(outcome.debug, allow_nan=False)
    assert len(text) < 100_000 and "\\u0000" not in text


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (pd.Timestamp("2027-01-08"), "2027-01-08"),  # an expiry: a date, not 2027-01-08T00:00:00
        (np.datetime64("2027-01-08"), "2027-01-08"),
        (dt.date(2027, 1, 8), "2027-01-08"),
        (dt.datetime(2027, 1, 8), "2027-01-08"),
        (pd.Series(pd.to_datetime(["2027-01-01", "2027-01-08"])), "2027-01-08"),
        (pd.Timestamp("2027-01-08 15:30"), "2027-01-08T15:30:00"),  # a moment keeps its time
        (pd.Timestamp("2027-01-08", tz="UTC"), "2027-01-08T00:00:00+00:00"),
        (pd.NaT, None),
    ],
)
def test_dates_are_reported_as_dates(value, shown):
    assert report.scalar(value) == shown

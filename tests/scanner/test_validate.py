"""The validator accepts what FluxScan scanners write and reports every problem at its line and column."""

from __future__ import annotations

import pytest

from core.scanner.box.validate import Issue, names_used, validate
from core.scanner.templates import TEMPLATES

FLUXSCAN_STYLE = [
    "rsi = RSI(close, 14)\nif rsi[-1] < 30:\n    signal = True\n    signal_type = 'BUY'\n"
    "    metrics = {'rsi': rsi[-1]}",
    "import talib\nimport numpy as np\nimport pandas as pd\nsma = talib.SMA(close, timeperiod=20)\n"
    "Filter = close[-1] > sma[-1]\nAddColumn('SMA20', sma[-1])",
    "from datetime import datetime, timedelta\nimport math\nimport statistics\n"
    "def scan(data, params):\n    x = statistics.mean(data['close'][-5:])\n"
    "    return {'signal': 'SELL', 'metrics': {'mean': x, 'sqrt': math.sqrt(x), 'when': str(datetime.now())}}",
    "from numpy.lib.stride_tricks import sliding_window_view\nw = sliding_window_view(close.values, 5)\n"
    "Filter = w.mean(axis=1)[-1] > 0",
    "vals = [c for c in close[-10:] if c > 0]\nd = {k: v for k, v in zip('abc', vals)}\nf = lambda x: x * 2\n"
    "try:\n    y = 1 / 0\nexcept ZeroDivisionError:\n    y = 0\n"
    "with np.errstate(all='ignore'):\n    z = np.log(close)\n"
    "signal = f'{close[-1]:.2f}' != '' and (n := len(vals)) > 0",
    "highest = df['high'].rolling(20).max()\nsignal = close[-1] >= highest[-2]\nmetrics = df.iloc[-1].to_dict()",
]


@pytest.mark.parametrize("code", FLUXSCAN_STYLE)
def test_fluxscan_style_code_passes(code):
    assert validate(code) == []


@pytest.mark.parametrize("template", TEMPLATES, ids=[t.name for t in TEMPLATES])
def test_every_template_passes(template):
    assert validate(template.code) == []


def test_every_problem_is_reported_with_its_line_and_column():
    code = "x = 1\nimport os\ny = close.__class__\nz = eval('1')\n"
    issues = validate(code)
    assert [(i.line, i.column) for i in issues] == [(2, 1), (3, 11), (4, 5)]
    assert str(issues[1]) == "line 3, column 11: dunder attribute '.__class__' is not allowed"


def test_syntax_errors_have_their_position():
    [issue] = validate("if close[-1] > 1\n    signal = True")
    assert issue.line == 1 and issue.message.startswith("syntax error")


def test_non_text_and_null_bytes_are_rejected():
    assert validate(None) == [Issue(1, 1, "scanner code must be text")]
    assert validate("x = 1\x00")[0].message.startswith(("syntax error", "cannot parse"))


def test_names_used_drives_what_data_is_loaded():
    assert names_used("rsi = RSI(close, 14)") >= {"RSI", "close"}
    assert "scan" in names_used("def scan(data, params):\n    return None")
    assert names_used("x = (") == frozenset()

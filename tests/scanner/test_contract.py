"""The FluxScan contract (DESIGN section 7): scanners written for FluxScan run unmodified in the sandbox."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import talib

from core.scanner.box.series import PositionalSeries, ohlcv_frame
from core.scanner.box.validate import validate
from core.scanner.engine import scan_symbols
from core.scanner.market import MarketData
from core.scanner.sandbox import SymbolInput
from tests.scanner.conftest import bars, item, run_one


def test_positional_series_matches_old_pandas_semantics():
    block = bars(50)
    frame = ohlcv_frame(block)
    close = frame["close"]
    assert isinstance(close, PositionalSeries) and isinstance(frame.close, PositionalSeries)
    assert close[-1] == block[4, -1] and close[0] == block[4, 0] and frame["close"][-2] == block[4, -2]
    assert list(close[-3:]) == list(block[4, -3:]) and list(close[[0, -1]]) == [block[4, 0], block[4, -1]]
    assert close[close.index[5]] == block[4, 5]  # labels still work
    assert close.rolling(5).mean()[-1] == pytest.approx(block[4, -5:].mean())
    assert (close > 0)[-1] and isinstance(close.pct_change(), PositionalSeries)
    with pytest.raises(KeyError):  # a plain pandas 3 Series no longer falls back to positions
        pd.Series(block[4], index=frame.index)[-1]


def test_reporting_style_signal(sandbox):
    code = (
        "rsi = RSI(close, 14)\nsignal = rsi[-1] < 101\nsignal_type = 'SELL'\nsignal_strength = 80\n"
        "entry_price = close[-1]\ntarget = close[-1] * 1.1\nstop_loss = close[-1] * 0.9\n"
        "metrics = {'rsi': rsi[-1], 'last': close[-1], 'when': df.index[-1]}"
    )
    block = bars()
    outcome = sandbox.run(code, [SymbolInput("AAA", block)])[0]
    expected = talib.RSI(block[4], 14)[-1]
    assert outcome.error is None and outcome.result["signal"] == "SELL"
    metrics = outcome.result["metrics"]
    assert metrics["rsi"] == pytest.approx(expected) and metrics["last"] == pytest.approx(block[4, -1])
    assert metrics["signal_strength"] == 80 and metrics["target"] == pytest.approx(block[4, -1] * 1.1)
    assert metrics["stop_loss"] == pytest.approx(block[4, -1] * 0.9) and metrics["entry_price"] == metrics["last"]
    assert metrics["when"].startswith(str(pd.Timestamp(int(block[0, -1]), unit="D").date()))


def test_signal_type_defaults_to_buy_and_false_signal_reports_nothing(sandbox):
    assert run_one(sandbox, "signal = True").result == {"signal": "BUY", "metrics": {}}
    assert run_one(sandbox, "signal = False\nmetrics = {'x': 1}").result is None
    assert run_one(sandbox, "x = 1").result is None


def test_reporting_style_filter_with_addcolumn(sandbox):
    code = (
        "Filter = close > SMA(close, 20)\nAddColumn('close', close[-1])\nAddColumn('sma', SMA(close, 20)[-1])\n"
        "AddColumn('n', len(columns))"
    )
    block = bars(trend=0.01)  # a rising series: the last close is above its 20-day mean
    outcome = sandbox.run(code, [SymbolInput("UP", block)])[0]
    assert outcome.result["signal"] == "EXPLORE"
    assert outcome.result["metrics"]["close"] == pytest.approx(block[4, -1])
    assert outcome.result["metrics"]["sma"] == pytest.approx(block[4, -20:].mean())
    assert outcome.result["metrics"]["n"] == 2


def test_filter_is_read_before_signal_and_scan(sandbox):
    code = (
        "Filter = True\nAddColumn('style', 'filter')\nsignal = True\nmetrics = {'style': 'signal'}\n"
        "def scan(data, params):\n    return {'signal': 'SELL', 'metrics': {'style': 'scan'}}"
    )
    assert run_one(sandbox, code).result == {"signal": "EXPLORE", "metrics": {"style": "filter"}}
    without_filter = code.replace("Filter = True", "Filter = False")
    assert run_one(sandbox, without_filter).result == {"signal": "BUY", "metrics": {"style": "signal"}}
    only_scan = without_filter.replace("signal = True", "signal = False")
    assert run_one(sandbox, only_scan).result == {"signal": "SELL", "metrics": {"style": "scan"}}


def test_reporting_style_scan_function(sandbox):
    code = (
        "def scan(data, params):\n"
        "    if data['close'][-1] > params['level']:\n"
        "        return {'signal': True, 'metrics': {'close': data['close'][-1], 'bars': len(data)}}\n"
        "    return None"
    )
    block = bars()
    hit = sandbox.run(code, [SymbolInput("AAA", block)], {"level": 0})[0]
    assert hit.result == {"signal": "BUY", "metrics": {"close": pytest.approx(block[4, -1]), "bars": 300}}
    assert sandbox.run(code, [SymbolInput("AAA", block)], {"level": 10**9})[0].result is None
    bad = run_one(sandbox, "def scan(data, params):\n    return [1]")
    assert "scan() must return a dict" in bad.error


def test_every_contract_name_is_defined(sandbox):
    code = """
import math as m
from datetime import timedelta
names = [data is df, isinstance(open, pd.Series), len(high) == len(low) == len(volume), symbol == 'XYZ',
         params is parameters, np is numpy, talib.RSI(close, 14)[-1] == RSI(close, 14)[-1], math.pi == m.pi,
         datetime(2024, 1, 2).year == 2024, callable(AddColumn), columns == {}, timedelta(days=1).days == 1]
for f in (SMA, EMA, RSI, MACD, BBANDS, ATR, ADX, STOCH, CCI, MFI, OBV, SAR, WILLR, ROC, MOM):
    names.append(callable(f))
signal = all(names)
metrics = {'failed': [i for i, ok in enumerate(names) if not ok]}
"""
    outcome = sandbox.run(code, [SymbolInput("XYZ", bars())], {"a": 1})[0]
    assert outcome.error is None and outcome.result is not None, outcome


def test_talib_results_index_by_position(sandbox):
    code = """
macd, macd_signal, hist = MACD(close)
upper, middle, lower = BBANDS(close, timeperiod=20)
k, d = STOCH(high, low, close)
atr = ATR(high, low, close, timeperiod=14)
obv = OBV(close, volume)
signal = True
metrics = {'macd': macd[-1], 'upper': upper[-1], 'k': k[-1], 'atr': atr[-1], 'obv': obv[-1], 'rsi_prev': RSI(close)[-2],
           'direct': talib.SMA(close.values, timeperiod=5)[-1]}
"""
    block = bars()
    metrics = sandbox.run(code, [SymbolInput("AAA", block)])[0].result["metrics"]
    high, low, close, volume = block[2], block[3], block[4], block[5]
    assert metrics["macd"] == pytest.approx(talib.MACD(close)[0][-1])
    assert metrics["upper"] == pytest.approx(talib.BBANDS(close, timeperiod=20)[0][-1])
    assert metrics["k"] == pytest.approx(talib.STOCH(high, low, close)[0][-1])
    assert metrics["atr"] == pytest.approx(talib.ATR(high, low, close, timeperiod=14)[-1])
    assert metrics["obv"] == pytest.approx(talib.OBV(close, volume)[-1])
    assert metrics["rsi_prev"] == pytest.approx(talib.RSI(close)[-2])
    assert metrics["direct"] == pytest.approx(close[-5:].mean())


def test_params_are_typed_by_the_schema(sandbox, tmp_path):
    """Form strings become numbers; {"default": v} definitions are unwrapped; run values override defaults."""
    code = (
        "signal = True\nmetrics = {'period': params['period'], 'is_int': isinstance(params['period'], int),"
        " 'level': parameters['level'], 'flag': params['flag'], 'name': params['name'], 'extra': params['extra']}"
    )
    schema = {"period": {"default": 14, "type": "int"}, "level": 30.5, "flag": {"default": False}, "name": "x"}
    report = scan_symbols(
        code,
        ["AAA"],
        market=_FixedMarket({"AAA": bars()}),
        params={"period": "21", "flag": "true", "extra": "2.5"},
        schema=schema,
        sandbox=sandbox,
    )
    assert report.errors == []
    assert report.results[0]["metrics"] == {
        "period": 21,
        "is_int": True,
        "level": 30.5,
        "flag": True,
        "name": "x",
        "extra": 2.5,
    }
    bad = scan_symbols(
        code, ["AAA"], market=_FixedMarket({"AAA": bars()}), params={"period": "abc"}, schema=schema, sandbox=sandbox
    )
    assert bad.errors == [{"symbol": None, "error": "parameter 'period': expected an integer, got 'abc'"}]


def test_errors_name_the_line_and_other_symbols_go_on(sandbox):
    code = "x = close[-1]\nif symbol == 'BAD':\n    y = 1 / 0\nsignal = True"
    outcomes = sandbox.run(code, [item("GOOD"), item("BAD"), item("ALSO")])
    assert [o.result is not None for o in outcomes] == [True, False, True]
    assert outcomes[1].error == "line 3: ZeroDivisionError: division by zero"


def test_numpy_values_come_back_as_json_scalars(sandbox):
    code = (
        "signal = True\nmetrics = {'i': np.int64(3), 'f': np.float32(1.5), 'b': np.bool_(True), 'nan': np.nan,"
        " 'series': close, 'ts': df.index[-1], 'arr': np.array([1, 2])}"
    )
    metrics = run_one(sandbox, code).result["metrics"]
    assert metrics["i"] == 3 and metrics["f"] == 1.5 and metrics["b"] is True and metrics["nan"] is None
    assert isinstance(metrics["series"], float) and metrics["ts"].startswith("20") and metrics["arr"] == 2


def test_option_scanner_gets_options_and_spot(sandbox):
    rows = [
        {
            "contract_symbol": "AAA250117P00095000",
            "option_type": "put",
            "expiration_date": "2030-01-18",
            "dte": 30,
            "strike": 95.0,
            "bid": 1.9,
            "ask": 2.1,
            "mid": 2.0,
            "premium": 200.0,
            "delta": -0.25,
            "monthly_return": 2.1,
            "quality_flag": None,
        }
    ]
    code = (
        "puts = options[(options['option_type'] == 'put') & (options['delta'].abs() < 0.3)]\n"
        "Filter = len(puts) > 0\nif Filter:\n    AddColumn('spot', spot)\n"
        "    AddColumn('strike', puts['strike'][0])\n"
        "    AddColumn('expiry_year', puts['expiration_date'][0].year)\n    AddColumn('ivr', iv_rank)"
    )
    assert validate(code) == []
    outcome = sandbox.run(code, [SymbolInput("AAA", None, rows, 100.0, {"iv_rank": 55.0})])[0]
    assert outcome.result == {
        "signal": "EXPLORE",
        "metrics": {"spot": 100.0, "strike": 95.0, "expiry_year": 2030, "ivr": 55.0},
    }
    empty = sandbox.run(code, [SymbolInput("AAA", None, [], None, {"iv_rank": None})])[0]
    assert empty.error is None and empty.result is None


def test_dry_run_debug_shows_the_namespace(sandbox):
    outcome = sandbox.run(
        "rsi = RSI(close, 14)\nlevel = rsi[-1]\nprint('level', round(level, 1))", [item()], debug=True
    )[0]
    assert outcome.debug["variables"]["level"] == pytest.approx(outcome.debug["variables"]["rsi"]["last"])
    assert outcome.debug["variables"]["rsi"]["type"] == "PositionalSeries"
    assert outcome.debug["inputs"]["close"]["length"] == 300
    assert outcome.debug["printed"].startswith("level ")


class _FixedMarket(MarketData):
    """Bars from a dict, no database or provider: for tests of the engine alone."""

    def __init__(self, blocks: dict[str, np.ndarray]):
        super().__init__(None)
        self.blocks = blocks

    def bars(self, symbols, columns=None):
        return (
            {s: self.blocks[s] for s in symbols if s in self.blocks},
            {s: "no daily bars" for s in symbols if s not in self.blocks},
        )


def test_data_needs_follow_the_names_the_code_uses():
    from core.scanner.engine import data_needs

    assert data_needs("rsi = RSI(close, 14)\nsignal = volume[-1] > 0") == (("close", "volume"), False)
    assert data_needs("x = df['close'][-1]")[0] == ("open", "high", "low", "close", "volume")
    assert data_needs("Filter = len(options) > 0") == ((), True)
    assert data_needs("def scan(data, params):\n    return None\nx = spot")[1] is True
    assert data_needs("signal = True") == (("open", "high", "low", "close", "volume"), False)

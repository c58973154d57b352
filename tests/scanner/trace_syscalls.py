"""Derive the sandbox's seccomp allow-lists by tracing real scanners: `python -m tests.scanner.trace_syscalls`.

Starts a sandbox worker (both modes: bubblewrap when it works here, and degraded) under strace with its seccomp
filters switched off; the worker and every child write a marker (`write(-1, "wheelhouse-seccomp-...")`) where
they would install their filter. Then it runs every template (core/scanner/templates.py) and the scanners of
the FluxScan contract tests over real-looking bars and option rows, and reads the traces: the system calls each
process made after its marker are what that filter has to allow. It prints them, and what they add to or
leave out of box/seccomp.py's lists; tests/scanner/test_seccomp.py asserts nothing traced is missing.
Needs strace (Debian `strace`) and root or ptrace rights over the worker.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path

from core.scanner import launch
from core.scanner.box import seccomp
from core.scanner.params import typed_params
from core.scanner.sandbox import Limits, Sandbox, SymbolInput
from core.scanner.templates import TEMPLATES
from tests.scanner.conftest import bars

SYSCALL = re.compile(r"^(?:\[pid\s+\d+\]\s+)?([a-z0-9_]+)\(")
MARK = "wheelhouse-seccomp-"
# The scanners of the contract tests (tests/scanner/test_contract.py), as code: the reporting styles, TA-Lib,
# option rows, printing, errors, pandas windows and string dispatch, and the dry run's debug block.
CONTRACT = [
    "rsi = RSI(close, 14)\nsignal = rsi[-1] < 101\nsignal_type = 'SELL'\n"
    "metrics = {'rsi': rsi[-1], 'when': df.index[-1]}",
    "Filter = close > SMA(close, 20)\nAddColumn('close', close[-1])\nAddColumn('n', len(columns))",
    "def scan(data, params):\n    return {'signal': True, 'metrics': {'close': data['close'][-1], 'bars': len(data)}}",
    "macd, s, h = MACD(close)\nu, m, l = BBANDS(close, timeperiod=20)\nk, d = STOCH(high, low, close)\n"
    "atr = ATR(high, low, close, timeperiod=14)\nobv = OBV(close, volume)\nsignal = True\n"
    "metrics = {'direct': talib.SMA(close.values, timeperiod=5)[-1], 'k': k[-1]}",
    "import math as m\nfrom datetime import timedelta\nimport statistics\nx = statistics.mean(close[-5:])\n"
    "signal = datetime(2024, 1, 2).year == 2024 and timedelta(days=1).days == 1 and m.sqrt(x) > 0",
    "x = close[-1]\nif symbol == 'BAD':\n    y = 1 / 0\nsignal = True",
    "signal = True\nmetrics = {'i': np.int64(3), 'f': np.float32(1.5), 'nan': np.nan, 'arr': np.array([1, 2]),"
    " 'mean': close.values.mean(), 'std': close.values.std()}",
    "weekly = df.resample('W').agg({'open': 'first', 'close': 'last'})\nstats = df.agg(['sum', 'mean'])\n"
    "monthly = df.groupby(df.index.month).agg(top=('close', 'max'))\nsignal = True\n"
    "metrics = {'w': len(weekly), 'r': close.rolling(5).agg('mean')[-1], 'e': close.ewm(span=5).mean()[-1],"
    " 'text': len(str(df.tail(3))), 'q': close.quantile(0.9), 'p': close.pct_change()[-1]}",
    "from numpy.lib.stride_tricks import sliding_window_view\nw = sliding_window_view(close.values, 5)\n"
    "Filter = w.mean(axis=1)[-1] > 0\nprint('filter', Filter)",
    "x = [0] * (10 ** 10)",  # a MemoryError is a normal outcome too: the allocator's calls must be allowed
    "def f(n):\n    return f(n + 1)\n\nf(0)",
]
OPTION_ROWS = [
    {
        "contract_symbol": f"AAA300118{kind[0].upper()}{strike:08d}",
        "option_type": kind,
        "expiration_date": "2030-01-18",
        "dte": 30,
        "strike": strike / 1000,
        "bid": 1.9,
        "ask": 2.1,
        "mid": 2.0,
        "premium": 200.0,
        "delta": -0.25 if kind == "put" else 0.3,
        "monthly_return": 2.1,
        "annualized_return": 25.0,
        "cushion_pct": 5.0,
        "open_interest": 500,
        "quality_flag": None,
    }
    for kind in ("put", "call")
    for strike in (95_000, 105_000)
]


def trace(mode: str, folder: Path) -> dict[str, set[str]]:
    """Run the scanners in a traced worker of `mode`; the system calls after each marker, by role."""
    prefix = str(folder / f"{mode}.trace")
    box = Sandbox(mode, limits=Limits(wall_per_symbol=1.0, cpu_base=2, max_kills=1), max_children=2, trace_to=prefix)
    if mode == "degraded":
        box.status = launch.SandboxStatus(confined=False, mode="degraded", reason="traced without bubblewrap")
    with box:
        inputs = [SymbolInput(f"S{i}", bars(300, seed=i), OPTION_ROWS, 100.0, {"iv_rank": 60.0}) for i in range(6)]
        for template in TEMPLATES:
            box.run(template.code, inputs, typed_params(template.parameters), batch_size=3)
        for code in CONTRACT:
            box.run(code, inputs[:2], {})
            box.run(code, inputs[:1], {}, debug=True)
        box.run("while True:\n    pass", inputs[:2], {})  # the worker kills a child that overruns
    roles: dict[str, set[str]] = {"worker": set(), "child": set()}
    for path in folder.glob(f"{mode}.trace.*"):
        lines = path.read_text(errors="replace").splitlines()
        marks = [i for i, line in enumerate(lines) if MARK in line]
        if not marks:
            continue
        child = f"{MARK}child" in lines[marks[0]]
        # A child's trace starts at its fork: until its marker it runs under the worker's filter only.
        spans = (
            {"worker": lines[: marks[0]], "child": lines[marks[0] + 1 :]}
            if child
            else {"worker": lines[marks[0] + 1 :]}
        )
        for role, span in spans.items():
            roles[role] |= {m.group(1) for m in map(SYSCALL.match, span) if m}
    return roles


def main() -> None:
    modes = ["required", "degraded"] if launch.sandbox_status("required").confined else ["degraded"]
    seen: dict[str, set[str]] = {"worker": set(), "child": set()}
    with tempfile.TemporaryDirectory() as folder:
        for mode in modes:
            for role, calls in trace(mode, Path(folder)).items():
                seen[role] |= calls
    child_list = set(seccomp.CHILD_ALLOW) | seccomp.ARGUMENT_CHECKED
    worker_list = child_list | set(seccomp.WORKER_ALLOW)
    report = {
        "modes": modes,
        "child": sorted(seen["child"]),
        "worker": sorted(seen["worker"]),
        "child_missing": sorted(seen["child"] - child_list),
        "worker_missing": sorted(seen["worker"] - worker_list),
        "child_unused": sorted(set(seccomp.CHILD_ALLOW) - seen["child"]),
    }
    json.dump(report, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()

"""Run a scanner over symbols: validate, type its params, gather its data, run it in the sandbox, report.

`scan_symbols` is the one path every caller takes -- the command line, the dashboard's dry run, the queued
runs of core.scanner.jobs and the benchmark -- so the rules (validation first, params typed by the schema,
user code only in the sandbox) hold everywhere. It never raises for the scanner's faults: a rejected scanner,
a bad parameter or a sandbox that cannot start are errors in the report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.scanner.box.validate import Issue, names_used, validate
from core.scanner.market import OHLCV, MarketData
from core.scanner.params import ParamError, typed_params
from core.scanner.sandbox import Limits, Sandbox, SandboxFailed, SandboxUnavailable, SymbolInput, SymbolOutcome

FRAME_NAMES = frozenset({"data", "df", "scan"})
OPTION_NAMES = frozenset({"options", "spot", "iv_rank", "iv_percentile", "iv30"})
OPTION_EXTRAS = {"iv_rank": None, "iv_percentile": None, "iv30": None}


@dataclass
class ScanReport:
    """The outcome of one scan: the CLI's JSON document (`to_json`), plus per-symbol detail."""

    results: list[dict[str, Any]] = field(default_factory=list)  # {"symbol", "signal", "metrics"}
    errors: list[dict[str, Any]] = field(default_factory=list)  # {"symbol", "error"}; symbol None: the scanner
    symbols_scanned: int = 0
    seconds: float = 0.0
    sandbox: str = ""
    issues: list[Issue] = field(default_factory=list)
    outcomes: list[SymbolOutcome] = field(default_factory=list)

    @property
    def signals_found(self) -> int:
        return len(self.results)

    @property
    def rejected(self) -> bool:
        return any(e["symbol"] is None for e in self.errors)

    def to_json(self) -> dict[str, Any]:
        return {
            "results": self.results,
            "errors": self.errors,
            "symbols_scanned": self.symbols_scanned,
            "signals_found": self.signals_found,
        }


def data_needs(code: str, everything: bool = False) -> tuple[tuple[str, ...], bool]:
    """(the OHLCV columns to read, whether option rows are needed), from the names the code reads.

    A scanner that names `df`, `data` or `scan` gets every column; one that names only `close` gets close
    (the sandbox builds only the Series a scanner names, so the others are never seen). An option scanner that
    names no bar data gets no bars.
    """
    names = names_used(code)
    wants_options = bool(names & OPTION_NAMES)
    if everything or names & FRAME_NAMES:
        return OHLCV, wants_options
    columns = tuple(c for c in OHLCV if c in names)
    if not columns and not wants_options:
        columns = OHLCV
    return columns, wants_options


def gather_inputs(
    code: str, symbols: Sequence[str], market: MarketData, everything: bool = False
) -> tuple[list[SymbolInput], dict[str, str]]:
    """The sandbox inputs for `symbols` and the symbols that have no data (symbol -> reason)."""
    columns, wants_options = data_needs(code, everything)
    blocks, errors = market.bars(symbols, columns) if columns else ({}, {})
    options = market.options([s for s in symbols if s not in errors]) if wants_options else {}
    inputs = []
    for symbol in symbols:
        if symbol in errors:
            continue
        chain = options.get(symbol)
        inputs.append(
            SymbolInput(
                symbol=symbol,
                bars=blocks.get(symbol),
                options=chain.rows if chain else ([] if wants_options else None),
                spot=chain.spot if chain else None,
                extras={**OPTION_EXTRAS, **(chain.extras if chain else {})} if wants_options else {},
            )
        )
    return inputs, errors


def scan_symbols(
    code: str,
    symbols: Sequence[str],
    *,
    market: MarketData,
    params: dict[str, Any] | None = None,
    schema: dict[str, Any] | None = None,
    sandbox: Sandbox | None = None,
    limits: Limits | None = None,
    batch_size: int = 100,
    debug: bool = False,
    on_progress: Callable[[int], None] | None = None,
) -> ScanReport:
    """Run `code` over `symbols` and report; see the module docstring."""
    started = time.perf_counter()
    report = ScanReport()
    report.issues = validate(code)
    if report.issues:
        report.errors = [{"symbol": None, "error": f"rejected: {issue}"} for issue in report.issues]
        return _timed(report, started)
    try:
        typed = typed_params(schema, params)
    except ParamError as exc:
        report.errors = [{"symbol": None, "error": str(exc)}]
        return _timed(report, started)
    inputs, missing = gather_inputs(code, list(dict.fromkeys(symbols)), market, everything=debug)
    if not inputs:  # nothing to run: no worker to start
        collect(report, [], missing)
        return _timed(report, started)
    try:
        if sandbox is None:
            with Sandbox(limits=limits) as own:
                outcomes = own.run(code, inputs, typed, batch_size=batch_size, debug=debug, on_progress=on_progress)
                report.sandbox = own.status.describe()
        else:
            outcomes = sandbox.run(code, inputs, typed, batch_size=batch_size, debug=debug, on_progress=on_progress)
            report.sandbox = sandbox.status.describe()
    except (SandboxUnavailable, SandboxFailed) as exc:
        report.errors = [{"symbol": None, "error": str(exc)}]
        return _timed(report, started)
    report.outcomes = outcomes
    collect(report, outcomes, missing)
    return _timed(report, started)


def collect(report: ScanReport, outcomes: Sequence[SymbolOutcome], missing: dict[str, str]) -> None:
    """Fold per-symbol outcomes and data errors into `report`."""
    for outcome in outcomes:
        if outcome.error is not None:
            report.errors.append({"symbol": outcome.symbol, "error": outcome.error})
            continue
        report.symbols_scanned += 1
        if outcome.result is not None:
            report.results.append({"symbol": outcome.symbol, **outcome.result})
    report.errors.extend({"symbol": s, "error": e} for s, e in missing.items())


def _timed(report: ScanReport, started: float) -> ScanReport:
    report.seconds = time.perf_counter() - started
    return report

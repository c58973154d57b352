"""The host side of the scanner sandbox: start a worker (core/scanner/launch.py), feed it batches, read JSON back.

One worker per run (or per `Sandbox` context): a Python that has imported pandas, NumPy and TA-Lib, started
by bubblewrap from an empty environment on a minimal read-only filesystem. It forks one child per batch
(box/worker.py); rlimits and seccomp bind the child. The host sends code and data as JSON plus raw float64
arrays and reads JSON back, checked here again; it never calls into an object the scanner made. A worker that
dies or stops answering is killed with its whole pid namespace and replaced on the next run. docs/sandbox.md.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import queue
import select
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.scanner.box import clean, wire
from core.scanner.launch import PACKAGES, SandboxStatus, boot_command, box_archive, sandbox_mode, sandbox_status

__all__ = [
    "Limits",
    "Sandbox",
    "SandboxFailed",
    "SandboxStatus",
    "SandboxUnavailable",
    "SymbolInput",
    "SymbolOutcome",
    "sandbox_mode",
    "sandbox_status",
]

log = logging.getLogger("wheelhouse.scanner")

MAX_REPLY = 64 << 20  # a batch of 100 symbols is at most about 3.3 MB


class SandboxUnavailable(RuntimeError):
    """The sandbox cannot start here (no bubblewrap, no user namespaces, no seccomp) and is required."""


class SandboxFailed(RuntimeError):
    """The worker died or stopped answering; the symbols in flight failed and the worker is replaced."""


@dataclass(frozen=True)
class Limits:
    """Per-child limits (enforced inside the sandbox) and the host's patience."""

    wall_per_symbol: float = 5.0  # a child that reports no symbol for this long is killed
    cpu_base: int = 5  # RLIMIT_CPU of a child: cpu_base + cpu_per_symbol x symbols in its batch
    cpu_per_symbol: int = 2
    address_space_mb: int = 1536  # RLIMIT_AS of a child (the warmed worker itself uses about 330 MB)
    open_files: int = 64
    max_result_bytes: int = 32_768  # one symbol's JSON line
    max_kills: int = 3  # children killed in one run before the rest of the run is refused
    startup_seconds: float = 30.0

    def to_wire(self) -> dict[str, Any]:
        return {
            "wall_per_symbol": self.wall_per_symbol,
            "cpu_base": self.cpu_base,
            "cpu_per_symbol": self.cpu_per_symbol,
            "address_space_mb": self.address_space_mb,
            "open_files": self.open_files,
            "max_result_bytes": self.max_result_bytes,
        }


@dataclass(frozen=True)
class SymbolInput:
    symbol: str
    bars: np.ndarray | None = None  # (6, n) float64: day number since 1970, open, high, low, close, volume
    options: list[dict[str, Any]] | None = None
    spot: float | None = None
    extras: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SymbolOutcome:
    symbol: str
    result: dict[str, Any] | None = None  # {"signal": str, "metrics": {str: scalar}}
    error: str | None = None
    debug: dict[str, Any] | None = None
    ms: float = 0.0


class Sandbox:
    """A running sandbox worker; use as a context manager and call `run` for each batch of symbols."""

    def __init__(
        self,
        mode: str | None = None,
        limits: Limits | None = None,
        max_children: int | None = None,
        trace_to: str | None = None,
    ):
        """`trace_to`: run the worker under strace, writing one trace per process to that path prefix, with no
        seccomp filter (tests/scanner/trace_syscalls.py derives the allow-lists this way; never in production)."""
        self.mode = mode or sandbox_mode()
        self.trace_to = trace_to
        self.limits = limits or Limits()
        self.max_children = max_children or max(1, min(os.cpu_count() or 1, 4))
        self.status = sandbox_status(self.mode)
        self.facts: dict[str, Any] = {}
        self._proc: subprocess.Popen | None = None
        self._stderr = None
        self._next_id = 0

    @property
    def confined(self) -> bool:
        return self.status.confined

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # -- the worker process ------------------------------------------------------------------------------
    def start(self) -> None:
        if not self.status.usable:
            raise SandboxUnavailable(
                f"the scanner sandbox cannot run here: {self.status.reason}. Install bubblewrap and allow user "
                "namespaces, or set SCANNER_SANDBOX=degraded to run scanners with rlimits and seccomp only "
                "(docs/sandbox.md)"
            )
        if not self.status.confined:
            log.warning("scanner sandbox DEGRADED (%s): running without namespaces", self.status.reason)
        memfd = os.memfd_create("wheelhouse-box", 0)
        try:
            os.write(memfd, box_archive())
            os.lseek(memfd, 0, os.SEEK_SET)
            command, env = boot_command(memfd, self.confined)
            if self.trace_to:
                command = ["strace", "-f", "-ff", "-qq", "-o", self.trace_to, *command]
            self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 -- lives as long as the worker; close() ends it
            self._proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=env,
                cwd="/",
                pass_fds=(memfd,),
                start_new_session=True,
                bufsize=0,
            )
        finally:
            os.close(memfd)  # bwrap has copied it; a degraded worker holds its own inherited descriptor
        try:
            self._send(
                {
                    "op": "config",
                    "max_children": self.max_children,
                    "limits": self.limits.to_wire(),
                    "require_seccomp": True,
                    "confined": self.confined,
                    "packages": list(PACKAGES),
                    "trace_syscalls": bool(self.trace_to),
                }
            )
            ready = self._receive(self.limits.startup_seconds)
        except (OSError, SandboxFailed, wire.WireError, ValueError) as exc:
            ready = {"error": str(exc)}
        if ready is None or ready.get("op") != "ready" or ready.get("error"):
            ready = ready or {}
            said = ready.get("error") if ready.get("op") == "ready" else None  # the worker's own reason first
            reason = said or self._stderr_tail() or ready.get("error") or "no answer"
            self.close()
            raise SandboxUnavailable(f"the scanner sandbox worker did not start: {reason}")
        self.facts = ready

    def close(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                proc.stdin.close()
                proc.wait(timeout=2)
            except (OSError, subprocess.TimeoutExpired):
                pass
            if proc.poll() is None:
                _kill_group(proc)
            proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _send(self, header: dict[str, Any], payload: bytes = b"") -> None:
        wire.write(self._proc.stdin.fileno(), header, payload)

    def _receive(self, timeout: float) -> dict[str, Any] | None:
        fd = self._proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            raise SandboxFailed(f"the sandbox worker gave no answer for {timeout:g} s")
        message = wire.read(fd, MAX_REPLY, 0)
        return None if message is None else message[0]

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0, os.SEEK_END)
        self._stderr.seek(max(0, self._stderr.tell() - 2000))
        lines = self._stderr.read().decode(errors="replace").strip().splitlines()
        return lines[-1] if lines else ""

    # -- running code --------------------------------------------------------------------------------------
    def run(
        self,
        code: str,
        inputs: Sequence[SymbolInput],
        params: dict[str, Any] | None = None,
        *,
        batch_size: int = 100,
        debug: bool = False,
        on_progress: Callable[[int], None] | None = None,
        check: bool = True,
    ) -> list[SymbolOutcome]:
        """Run `code` over `inputs` (in batches, children in parallel); one outcome per input, in input order.

        `check=False` skips the worker's re-validation: only the tests of the operating-system layer use it, to
        show that the sandbox holds for code the validator would have rejected.
        """
        if not inputs:
            return []
        if not self._alive():
            self.close()
            self.start()
        outcomes: list[SymbolOutcome | None] = [None] * len(inputs)
        pending: dict[int, list[int]] = {}
        outbox: queue.Queue = queue.Queue()
        sender = threading.Thread(target=self._sender, args=(outbox,), daemon=True, name="sandbox-sender")
        sender.start()

        def submit(indices: list[int]) -> None:
            self._next_id += 1
            pending[self._next_id] = indices
            outbox.put(_batch_message(self._next_id, code, params or {}, debug, [inputs[i] for i in indices], check))

        for start in range(0, len(inputs), batch_size):
            submit(list(range(start, min(start + batch_size, len(inputs)))))
        kills = 0
        patience = self.limits.wall_per_symbol * batch_size + 30
        try:
            while pending:
                try:
                    reply = self._receive(patience)
                except (SandboxFailed, wire.WireError, ValueError, RecursionError) as exc:
                    raise SandboxFailed(str(exc)) from None
                if reply is None:
                    raise SandboxFailed(f"the sandbox worker exited unexpectedly: {self._stderr_tail() or 'no reason'}")
                indices = pending.pop(reply.get("id"), None)
                if indices is None:
                    continue
                rows = reply.get("rows") if isinstance(reply.get("rows"), list) else []
                for position, row in enumerate(rows[: len(indices)]):
                    outcomes[indices[position]] = _outcome(inputs[indices[position]].symbol, row)
                died = reply.get("died")
                if died:
                    kills += 1
                    reported = min(len(rows), len(indices))
                    if reported < len(indices):
                        i = indices[reported]
                        outcomes[i] = SymbolOutcome(inputs[i].symbol, error=f"stopped: {str(died)[:300]}")
                    rest = indices[reported + 1 :]
                    if kills >= self.limits.max_kills:
                        # A scanner that keeps breaking the limits is stopped whole: the worker goes (it is
                        # replaced on the next run) and nothing else of this run is tried.
                        _kill_group(self._proc)
                        for i, outcome in enumerate(outcomes):
                            if outcome is None:
                                outcomes[i] = SymbolOutcome(
                                    inputs[i].symbol,
                                    error=(
                                        f"not run: the scanner was stopped {kills} times in this run (last: {died})"
                                    ),
                                )
                        break
                    if rest:
                        submit(rest)
                if on_progress:
                    on_progress(sum(o is not None for o in outcomes))
        except SandboxFailed as exc:
            _kill_group(self._proc)
            for i, outcome in enumerate(outcomes):
                if outcome is None:
                    outcomes[i] = SymbolOutcome(inputs[i].symbol, error=f"sandbox failure: {exc}")
        finally:
            outbox.put(None)
            sender.join(timeout=5)
        return [
            o if o is not None else SymbolOutcome(inputs[i].symbol, error="not run") for i, o in enumerate(outcomes)
        ]

    def _sender(self, outbox: queue.Queue) -> None:
        while True:
            message = outbox.get()
            if message is None:
                return
            try:
                self._send(*message)
            except OSError:  # the worker is gone; the reader notices and reports it
                return


def _batch_message(
    batch_id: int, code: str, params: dict[str, Any], debug: bool, items: list[SymbolInput], check: bool = True
) -> tuple[dict[str, Any], bytes]:
    specs, blocks = [], []
    for item in items:
        bars = item.bars
        rows = 0
        if bars is not None and bars.size:
            bars = np.ascontiguousarray(bars, dtype=np.float64)
            if bars.ndim != 2 or bars.shape[0] != 6:
                raise ValueError(f"{item.symbol}: bars must have shape (6, n), not {bars.shape}")
            rows = bars.shape[1]
            blocks.append(bars.tobytes())
        specs.append(
            {
                "symbol": item.symbol,
                "rows": rows,
                "options": _json_safe(item.options),
                "spot": _json_safe(item.spot),
                "extras": _json_safe(item.extras),
            }
        )
    header = {
        "op": "batch",
        "id": batch_id,
        "code": code,
        "params": _json_safe(params),
        "debug": debug,
        "check": check,
        "symbols": specs,
    }
    return header, b"".join(blocks)


def _json_safe(value: Any) -> Any:
    """NaN and infinities become None (strict JSON); NumPy scalars become Python numbers."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _outcome(symbol: str, row: Any) -> SymbolOutcome:
    """What the sandbox sent for one symbol, cleaned again here (box/clean.py): a child that was taken over can
    write any line, so nothing it says is trusted. Anything that is not a clean result fails that symbol only."""
    if not isinstance(row, dict):
        return SymbolOutcome(symbol, error="malformed result from the sandbox")
    ms = clean.number(row.get("ms")) if isinstance(row.get("ms"), int | float) else 0.0
    debug = clean.debug(row["debug"]) if isinstance(row.get("debug"), dict) else None
    if row.get("error") is not None:
        return SymbolOutcome(symbol, error=clean.error(row["error"]), debug=debug, ms=ms or 0.0)
    try:
        result = clean.result(row.get("result"))
    except clean.BadResult as exc:
        return SymbolOutcome(symbol, error=f"malformed result from the sandbox: {exc}", ms=ms or 0.0)
    return SymbolOutcome(symbol, result=result, debug=debug, ms=ms or 0.0)


def _kill_group(proc: subprocess.Popen | None) -> None:
    """Kill bwrap's whole process group; its pid namespace takes every sandboxed process with it."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, 9)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)

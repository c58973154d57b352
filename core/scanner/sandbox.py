"""The host side of the scanner sandbox: start a worker (core/scanner/launch.py), feed it batches, read JSON back.

One worker per run (or per `Sandbox` context): a Python that has imported pandas, NumPy and TA-Lib, started
by bubblewrap from an empty environment on a minimal read-only filesystem. It forks one child per batch
(box/worker.py); no capabilities, Landlock, seccomp allow-lists and rlimits bind the child. The host sends code
and data as JSON plus raw float64 arrays and reads JSON back, cleaned here again (box/clean.py); it never calls
into an object the scanner made. The worker says "alive" while it works: one that dies, is stopped or falls
silent for `silence_seconds` is killed with its whole pid namespace and replaced mid-run. docs/sandbox.md.
"""

from __future__ import annotations

import logging
import os
import queue
import select
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.scanner.box import clean, wire
from core.scanner.launch import (
    PACKAGES,
    SandboxStatus,
    boot_command,
    box_archive,
    kill_group,
    sandbox_mode,
    sandbox_status,
    silence,
)

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
    silence_seconds: float = 5.0  # a worker that sends nothing (not even "alive") for this long is replaced
    max_restarts: int = 2  # workers replaced in one run before the rest of the run fails

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


@dataclass
class _Job:
    """One `run` call: its code and symbols, the outcomes so far, and how often its children were killed."""

    code: str
    inputs: Sequence[SymbolInput]
    params: dict[str, Any]
    debug: bool
    check: bool
    batch_size: int
    outcomes: list[SymbolOutcome | None]
    on_progress: Callable[[int], None] | None
    kills: int = 0
    stopped: bool = False


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
        self._inbox = bytearray()
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
                kill_group(proc)
            proc.stdout.close()
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        self._inbox = bytearray()

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _send(self, header: dict[str, Any], payload: bytes = b"") -> None:
        wire.write(self._proc.stdin.fileno(), header, payload)

    def _receive(self, timeout: float) -> dict[str, Any] | None:
        """The worker's next message within `timeout` seconds (a frame cut off by a stopped worker counts as
        nothing); None when it closed its end."""
        fd = self._proc.stdout.fileno()
        deadline = time.monotonic() + timeout
        while True:
            frame = wire.take(self._inbox, MAX_REPLY, 0)
            if frame is not None:
                return frame[0]
            remaining = deadline - time.monotonic()
            ready = select.select([fd], [], [], max(0.0, remaining))[0] if remaining > 0 else []
            if not ready:
                raise SandboxFailed(f"the sandbox worker {silence(self._proc)} for {timeout:g} s")
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return None
            self._inbox += chunk

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
        outcomes: list[SymbolOutcome | None] = [None] * len(inputs)
        job = _Job(code, inputs, params or {}, debug, check, batch_size, outcomes, on_progress)
        restarts = 0
        while any(o is None for o in outcomes) and not job.stopped:
            try:
                if not self._alive():
                    self.close()
                    self.start()
                self._work(job)
            except (SandboxFailed, SandboxUnavailable) as exc:
                # The worker died, was stopped or fell silent: replace it and give the unfinished symbols to a
                # fresh one, a few times; then the rest of the run fails with the reason.
                kill_group(self._proc)
                self.close()
                restarts += 1
                log.warning(
                    "scanner sandbox worker lost (%s); %s", exc, "replacing it" if restarts <= 2 else "giving up"
                )
                if restarts > self.limits.max_restarts or isinstance(exc, SandboxUnavailable):
                    for i, outcome in enumerate(outcomes):
                        if outcome is None:
                            outcomes[i] = SymbolOutcome(inputs[i].symbol, error=f"sandbox failure: {exc}")
        return [
            o if o is not None else SymbolOutcome(inputs[i].symbol, error="not run") for i, o in enumerate(outcomes)
        ]

    def _work(self, job: _Job) -> None:
        """Send the unfinished symbols of `job` to this worker in batches and read the replies until none is
        left; raises SandboxFailed when the worker exits or sends nothing, not even "alive", for a while."""
        outcomes, inputs = job.outcomes, job.inputs
        pending: dict[int, list[int]] = {}
        outbox: queue.Queue = queue.Queue()
        sender = threading.Thread(target=self._sender, args=(outbox,), daemon=True, name="sandbox-sender")
        sender.start()

        def submit(indices: list[int]) -> None:
            self._next_id += 1
            pending[self._next_id] = indices
            items = [inputs[i] for i in indices]
            outbox.put(wire.batch(self._next_id, job.code, job.params, job.debug, items, job.check))

        todo = [i for i, o in enumerate(outcomes) if o is None]
        for start in range(0, len(todo), job.batch_size):
            submit(todo[start : start + job.batch_size])
        try:
            while pending:
                try:
                    reply = self._receive(self.limits.silence_seconds)
                except (wire.WireError, ValueError, RecursionError) as exc:
                    raise SandboxFailed(f"unreadable reply from the sandbox worker: {exc}") from None
                if reply is None:
                    raise SandboxFailed(f"the sandbox worker exited: {self._stderr_tail() or 'no reason given'}")
                indices = pending.pop(reply.get("id"), None) if reply.get("op") == "batch" else None
                if indices is None:
                    continue  # "alive", or a reply to a batch this run no longer waits for
                rows = reply.get("rows") if isinstance(reply.get("rows"), list) else []
                for position, row in enumerate(rows[: len(indices)]):
                    outcomes[indices[position]] = _outcome(inputs[indices[position]].symbol, row)
                died = reply.get("died")
                if died:
                    rest = self._child_died(job, indices, min(len(rows), len(indices)), str(died))
                    if job.stopped:
                        return
                    if rest:
                        submit(rest)
                if job.on_progress:
                    job.on_progress(sum(o is not None for o in outcomes))
        finally:
            outbox.put(None)
            sender.join(timeout=5)

    def _child_died(self, job: _Job, indices: list[int], reported: int, died: str) -> list[int]:
        """The symbol a killed child was on fails with the reason; the rest of its batch is returned for a new
        child, unless the scanner has been stopped too often in this run (then nothing more of it runs)."""
        job.kills += 1
        if reported < len(indices):
            i = indices[reported]
            job.outcomes[i] = SymbolOutcome(job.inputs[i].symbol, error=f"stopped: {clean.error(died)[:300]}")
        if job.kills < self.limits.max_kills:
            return indices[reported + 1 :]
        # A scanner that keeps breaking the limits is stopped whole: the worker goes (replaced on the next run).
        kill_group(self._proc)
        job.stopped = True
        for i, outcome in enumerate(job.outcomes):
            if outcome is None:
                reason = f"not run: the scanner was stopped {job.kills} times in this run (last: {clean.error(died)})"
                job.outcomes[i] = SymbolOutcome(job.inputs[i].symbol, error=reason)
        return []

    def _sender(self, outbox: queue.Queue) -> None:
        while True:
            message = outbox.get()
            if message is None:
                return
            try:
                self._send(*message)
            except OSError:  # the worker is gone; the reader notices and reports it
                return


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

"""The sandbox worker: imports pandas/NumPy/TA-Lib once, then forks a limited child per batch of symbols.

Started by the host (core/scanner/sandbox.py) under bubblewrap with an empty environment. Protocol on stdin /
stdout (box.wire): the host sends `config`, then `batch` messages and finally `end`; the worker answers
`ready`, then one `batch` reply per batch, in completion order, and `alive` every HEARTBEAT seconds while
children run. Up to `max_children` children run at once.

First the worker drops every capability, confines itself with Landlock and installs its seccomp allow-list
(box/limits.py, box/landlock.py, box/seccomp.py); then, before the warm-up and the first fork, it neutralises
pandas' and NumPy's string evaluators and file I/O and limits pandas' dispatch of method names given as strings
(box/lockdown.py); every child inherits all of it. A child closes every descriptor but its result pipe, sets
its rlimits, installs the child allow-list, re-validates the code and runs it symbol by symbol, writing one
cleaned JSON line per symbol (box/clean.py). The worker reads those lines as strict JSON, cleans them again,
kills a child that makes no progress for `wall_per_symbol` seconds or writes more than its output allowance,
and reports how the child ended, so the host can say why a symbol failed and decide what to retry.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import select
import signal
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from . import clean, landlock, limits, lockdown, seccomp, wire
from .namespace import FILENAME, SymbolData, run_one
from .validate import names_used, validate

MAX_REQUEST_HEADER = 64 << 20
HEARTBEAT = 0.5  # seconds between "alive" messages while children run
MAX_REQUEST_PAYLOAD = 1 << 30
# A child's 0, 1 and 2: the read end of a pipe nobody writes (EOF) and the write end of one nobody reads (EPIPE).
# The sandbox has no /dev/null: its /dev is empty.
_STDIO: list[int] = []
_CHILD_FILTER: list[Any] = []  # the children's seccomp filter, built once by the worker (box/seccomp.py)
TRACE_MARK = b"wheelhouse-seccomp-"  # written to fd -1 in trace mode, where each filter would be installed


@dataclass
class Child:
    batch_id: int
    pid: int
    pipe: int
    pidfd: int | None
    count: int
    wall_per_symbol: float
    started: float
    max_bytes: int
    max_line: int = 1 << 20
    buffer: bytearray = field(default_factory=bytearray)
    lines: int = 0
    progress_at: float = 0.0
    kill_reason: str | None = None
    exited: bool = False
    pipe_closed: bool = False

    @property
    def deadline(self) -> float:
        return self.progress_at + self.wall_per_symbol


def main() -> None:
    config = _startup()
    max_children = max(1, int(config.get("max_children", 1)))
    conf_limits = config.get("limits", {})
    children: dict[int, Child] = {}
    beat = [time.monotonic()]
    stdin_open = True
    while stdin_open or children:
        poller = select.poll()
        if stdin_open and len(children) < max_children:
            poller.register(0, select.POLLIN)
        for child in children.values():
            if not child.pipe_closed:
                poller.register(child.pipe, select.POLLIN)
            if child.pidfd is not None:
                poller.register(child.pidfd, select.POLLIN)
        events = poller.poll(_timeout_ms(children))
        for fd, _ in events:
            if fd == 0:
                stdin_open = _accept(children, conf_limits)
                continue
            for child in children.values():
                if fd == child.pipe:
                    _drain(child, blocking=False)
                elif fd == child.pidfd:
                    child.exited = True
        now = time.monotonic()
        if children and now - beat[0] >= HEARTBEAT:  # the host replaces a worker that stays silent
            wire.write(1, {"op": "alive", "running": len(children)})
            beat[0] = now
        for child in children.values():
            if child.pidfd is None and not child.exited:
                child.exited = os.waitpid(child.pid, os.WNOHANG)[0] != 0 or child.exited
            if not child.exited and child.kill_reason is None and now > child.deadline:
                _kill(child, f"wall-time limit exceeded: no result within {child.wall_per_symbol:g} s")
        for pid in [pid for pid, c in children.items() if c.exited]:
            _finish(children.pop(pid))
    sys.stdout.flush()


def _startup() -> dict[str, Any]:
    """Harden this process, read the host's config and say ready (or why not)."""
    header = wire.read(0, MAX_REQUEST_HEADER, 0)
    config = header[0] if header else {}
    facts: dict[str, Any] = {
        "op": "ready",
        "pid": os.getpid(),
        "uid": os.getuid(),
        "python": sys.version.split()[0],
        "pandas": pd.__version__,
        "numpy": np.__version__,
        "proc_mounted": os.path.exists("/proc/self"),
        "environment": sorted(os.environ),
    }
    _STDIO.extend(limits.dead_ends())
    try:
        _harden(config, facts)
    except (limits.PrivilegeError, landlock.LandlockUnavailable, seccomp.SeccompUnavailable, OSError) as exc:
        facts["error"] = str(exc)
        wire.write(1, facts)
        sys.exit(3)
    config.setdefault("limits", {})["seccomp"] = facts["seccomp"]
    config["limits"]["trace_syscalls"] = bool(config.get("trace_syscalls"))
    try:  # before the warm-up and every fork: each child inherits the neutralised modules (box/lockdown.py)
        facts["lockdown"] = len(lockdown.install())
    except Exception as exc:  # never run user code with half of it in place, in either mode
        facts["error"] = f"could not neutralise pandas/NumPy evaluators and I/O: {type(exc).__name__}: {exc}"
        wire.write(1, facts)
        sys.exit(3)
    _warm_up()
    gc.collect()
    gc.freeze()  # objects made so far are never scanned again, so children do not copy their pages
    wire.write(1, facts)
    return config


def _harden(config: dict[str, Any], facts: dict[str, Any]) -> None:
    """No capabilities, Landlock, then the worker's seccomp filter; every child inherits all three.

    Landlock is required where bubblewrap is not (degraded mode: it is the filesystem boundary there); under
    bubblewrap a kernel without it leaves the namespaces' minimal tree as the only wall, and says so in facts.
    """
    limits.not_dumpable()
    limits.worker_limits()
    facts["privileges"] = limits.drop_privileges()
    try:
        facts["landlock"] = landlock.restrict(list(config.get("packages", [])), bool(config.get("confined")))
    except landlock.LandlockUnavailable as exc:
        if not config.get("confined", False):
            raise landlock.LandlockUnavailable(
                f"degraded mode needs Landlock to confine the filesystem: {exc}"
            ) from None
        facts["landlock"] = {"abi": 0, "error": str(exc)}
    if config.get("trace_syscalls"):  # tests/scanner/trace_syscalls.py: strace records what follows
        _mark("worker")
    else:
        seccomp.install("worker")
    _CHILD_FILTER.append(seccomp.build("child"))  # once; each child adds its own pid's signal rules and loads it
    facts["seccomp"] = True


WARM_UP = """
rsi = RSI(close, 14)
sma = SMA(close, 20).rolling(5).mean()
upper, middle, lower = BBANDS(close)
frame = df.tail(5)
signal = bool(rsi[-1] < 101 and close[-1] > 0 and (sma > 0).any())
metrics = {"rsi": rsi[-1], "when": df.index[-1], "n": len(frame)}
"""


def _warm_up() -> None:
    """Run a small scan once before any fork: lazy imports and first-call caches are then warm in every child."""
    days = np.arange(19_000, 19_060, dtype=np.float64)
    prices = np.linspace(10.0, 20.0, days.size)
    block = np.vstack([days, prices, prices * 1.01, prices * 0.99, prices, np.full(days.size, 1e6)])
    run_one(compile(WARM_UP, FILENAME, "exec"), SymbolData("WARM", block), {}, debug=True)
    run_one(compile(WARM_UP, FILENAME, "exec"), SymbolData("WARM", block), {}, needed=names_used(WARM_UP))


def _timeout_ms(children: dict[int, Child]) -> int | None:
    if not children:
        return None
    wait = min(HEARTBEAT, min(c.deadline for c in children.values()) - time.monotonic())
    if any(c.pidfd is None for c in children.values()):
        wait = min(wait, 0.02)
    return max(0, int(wait * 1000) + 1)


def _accept(children: dict[int, Child], conf: dict[str, Any]) -> bool:
    """Read one request; start a child for a batch. False once the host is done."""
    message = wire.read(0, MAX_REQUEST_HEADER, MAX_REQUEST_PAYLOAD)
    if message is None or message[0].get("op") == "end":
        return False
    batch, payload = message
    if batch.get("op") != "batch":
        return True
    count = len(batch["symbols"])
    wall = float(conf.get("wall_per_symbol", 5.0))
    cpu = int(conf.get("cpu_base", 5) + conf.get("cpu_per_symbol", 2) * count)
    max_result = int(conf.get("max_result_bytes", 32_768))
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(read_fd)
        _child(write_fd, batch, payload, cpu, conf, max_result)
    os.close(write_fd)
    os.set_blocking(read_fd, False)
    try:
        pidfd = os.pidfd_open(pid)
    except (AttributeError, OSError):
        pidfd = None
    now = time.monotonic()
    children[pid] = Child(
        batch_id=batch["id"],
        pid=pid,
        pipe=read_fd,
        pidfd=pidfd,
        count=count,
        wall_per_symbol=wall,
        started=now,
        progress_at=now,
        max_bytes=max_result * count + 65_536,
        max_line=max_result + 1024,
    )
    return True


def _drain(child: Child, blocking: bool) -> None:
    if blocking:
        os.set_blocking(child.pipe, True)
    while True:
        try:
            chunk = os.read(child.pipe, 65_536)
        except BlockingIOError:
            return
        if not chunk:
            child.pipe_closed = True
            return
        child.buffer += chunk
        if len(child.buffer) > child.max_bytes:
            _kill(child, f"output limit exceeded: more than {child.max_bytes:,} bytes")
            return
        lines = child.buffer.count(b"\n")
        if lines > child.lines:
            child.lines, child.progress_at = lines, time.monotonic()


def _kill(child: Child, reason: str) -> None:
    if child.kill_reason is None:
        child.kill_reason = reason
    with contextlib.suppress(ProcessLookupError):
        os.kill(child.pid, signal.SIGKILL)


def _finish(child: Child) -> None:
    _, status = os.waitpid(child.pid, 0)
    if child.kill_reason is None:
        _drain(child, blocking=True)
    os.close(child.pipe)
    if child.pidfd is not None:
        os.close(child.pidfd)
    rows, problem = _rows(child)
    died = child.kill_reason or problem or _ended(status)
    if died is None and len(rows) < child.count:
        died = "stopped before finishing its symbols"
    wire.write(1, {"op": "batch", "id": child.batch_id, "rows": rows, "died": died})


def _rows(child: Child) -> tuple[list[dict[str, Any]], str | None]:
    rows: list[dict[str, Any]] = []
    for line in bytes(child.buffer).split(b"\n"):
        if not line:
            continue
        try:  # strict JSON: NaN and Infinity are not numbers here (they would break the reply to the host)
            row = json.loads(line, parse_constant=clean.refuse_constant) if len(line) <= child.max_line else None
        except (ValueError, RecursionError):
            row = None
        if isinstance(row, dict) and "fatal" in row:
            return rows, f"sandbox child failed: {clean.error(row['fatal'])[:300]}"
        if not isinstance(row, dict) or row.get("i") != len(rows) or len(rows) >= child.count:
            return rows, "malformed output from the scanner process"
        rows.append(clean.row(row))
    return rows, None


def _ended(status: int) -> str | None:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGSYS:
            return "forbidden system call: stopped by the seccomp filter"
        if number in (signal.SIGXCPU, signal.SIGKILL):
            return "CPU time limit exceeded (or killed for memory)"
        if number == signal.SIGSEGV:
            return "crashed (segmentation fault)"
        return f"killed by signal {signal.Signals(number).name}"
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) != 0:
        return f"exited with status {os.WEXITSTATUS(status)}"
    return None


def _child(
    result_fd: int, batch: dict[str, Any], payload: bytes, cpu: int, conf: dict[str, Any], max_result: int
) -> None:
    status = 0
    try:
        _isolate(result_fd)
        limits.child_limits(cpu, int(conf.get("address_space_mb", 1536)), int(conf.get("open_files", 64)))
        limits.die_with_parent()
        if conf.get("trace_syscalls"):
            seccomp.own_signals(_CHILD_FILTER[0], os.getpid())  # traced too, under the worker's filter
            _mark("child")
        elif conf.get("seccomp", True):
            seccomp.install("child", os.getpid(), prebuilt=_CHILD_FILTER[0])
        _run_batch(result_fd, batch, payload, max_result)
    except BaseException as exc:
        status = 70
        try:
            note = json.dumps({"fatal": f"{type(exc).__name__}: {str(exc)[:300]}"})
            os.write(result_fd, ("\n" + note + "\n").encode())
        except BaseException:  # the exit status still tells the worker
            pass
    finally:
        os._exit(status)


def _mark(where: str) -> None:
    with contextlib.suppress(OSError):
        os.write(-1, TRACE_MARK + where.encode())


def _isolate(result_fd: int) -> None:
    """Only the result pipe stays open: dead ends on 0-2, every other descriptor (the host's stdin) closed."""
    for fd, source in zip((0, 1, 2), (_STDIO[0], _STDIO[1], _STDIO[1]), strict=True):
        os.dup2(source, fd)
    os.closerange(3, result_fd)
    os.closerange(result_fd + 1, 65_536)


def _run_batch(result_fd: int, batch: dict[str, Any], payload: bytes, max_result: int) -> None:
    code, params, debug = batch["code"], batch.get("params") or {}, bool(batch.get("debug"))
    issues = validate(code) if batch.get("check", True) else []  # "check": false only in tests of the OS layer
    if issues:
        message = "rejected: " + "; ".join(str(i) for i in issues[:5])
        for i in range(len(batch["symbols"])):
            _emit(result_fd, {"i": i, "result": None, "error": message}, max_result)
        return
    compiled = compile(code, FILENAME, "exec")
    needed = names_used(code)
    offset = 0
    for i, spec in enumerate(batch["symbols"]):
        rows = int(spec.get("rows") or 0)
        block = None
        if rows:
            block = np.frombuffer(payload, dtype=np.float64, count=6 * rows, offset=offset).reshape(6, rows).copy()
            offset += 6 * rows * 8
        item = SymbolData(
            symbol=spec["symbol"],
            block=block,
            options=spec.get("options"),
            spot=spec.get("spot"),
            extras=spec.get("extras") or {},
        )
        outcome = run_one(compiled, item, params, debug=debug, needed=needed)
        row = {"i": i, "result": outcome.result, "error": outcome.error, "ms": round(outcome.seconds * 1000, 3)}
        if debug:
            row["debug"] = outcome.debug
        _emit(result_fd, clean.row(row), max_result)


def _emit(fd: int, row: dict[str, Any], max_result: int) -> None:
    try:
        line = json.dumps(row, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as exc:
        line = json.dumps({"i": row["i"], "result": None, "error": f"result could not be encoded: {exc}"})
    if len(line) > max_result:
        line = json.dumps(
            {"i": row["i"], "result": None, "error": f"result too large: {len(line):,} bytes (at most {max_result:,})"}
        )
    data = (line + "\n").encode()
    while data:
        data = data[os.write(fd, data) :]


if __name__ == "__main__":
    main()

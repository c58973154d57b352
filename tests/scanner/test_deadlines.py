"""Deadlines per symbol, not per batch: the worker sends "alive" while it works, and the host replaces a worker
that is stopped, killed or silent within a few seconds -- the run goes on with a fresh worker. (Before, the host
waited wall x batch_size + 30 s for each reply: a stopped worker held the command line for nine minutes.)"""

from __future__ import annotations

import contextlib
import os
import signal
import time

import pytest

from core.scanner.sandbox import Limits, Sandbox
from tests.scanner.conftest import item

pytestmark = pytest.mark.slow  # every test here starts the sandbox

LIMITS = Limits(wall_per_symbol=15.0, cpu_base=10, cpu_per_symbol=5, silence_seconds=3.0, max_restarts=2)
SLOW = "x = 0\nfor i in range(2 * 10 ** 6):\n    x += i\nsignal = True\nmetrics = {'close': close[-1]}"


def _signal_all(box: Sandbox, number: int) -> None:
    """Signal the worker's whole tree: under bubblewrap the worker is in a session of its own below bwrap."""
    pids, todo = [], [box._proc.pid]
    while todo:
        pid = todo.pop()
        pids.append(pid)
        try:
            with open(f"/proc/{pid}/task/{pid}/children") as children:
                todo += [int(p) for p in children.read().split()]
        except OSError:
            pass
    for pid in reversed(pids):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, number)


@pytest.fixture(params=["required", "degraded"])
def fresh(request, sandbox_required, monkeypatch):
    """A worker of its own per test (these tests stop and kill it)."""
    if request.param == "degraded":
        from core.scanner import launch

        monkeypatch.setattr(launch, "_probe", lambda: (False, "bubblewrap (bwrap) is not installed (simulated)"))
    with Sandbox(request.param, limits=LIMITS, max_children=1) as box:
        yield box


@pytest.mark.parametrize("how", [signal.SIGSTOP, signal.SIGKILL], ids=["stopped", "killed"])
def test_a_worker_stopped_or_killed_mid_run_is_replaced(fresh, how):
    symbols = [item(f"S{i}", seed=i) for i in range(4)]
    hit = []

    def progress(done: int) -> None:
        if not hit:  # after the first symbol's reply, stop (or kill) the worker and its whole sandbox
            hit.append(fresh._proc.pid)
            _signal_all(fresh, how)

    started = time.monotonic()
    outcomes = fresh.run(SLOW, symbols, batch_size=1, on_progress=progress)
    elapsed = time.monotonic() - started
    assert hit and all(o.error is None and o.result["signal"] == "BUY" for o in outcomes), outcomes
    assert fresh._proc.pid != hit[0], "a fresh worker finished the run"
    assert elapsed < 60, f"took {elapsed:.0f} s"  # not wall x batch + 30 s per reply, nor nine minutes


def test_a_worker_that_keeps_dying_fails_the_run_with_the_reason(fresh):
    symbols = [item(f"S{i}", seed=i) for i in range(6)]

    def progress(done: int) -> None:  # every worker is stopped after its first symbol
        _signal_all(fresh, signal.SIGSTOP)

    outcomes = fresh.run(SLOW, symbols, batch_size=1, on_progress=progress)
    assert outcomes[0].result is not None
    failed = [o for o in outcomes if o.error]
    assert failed and all("sandbox failure" in o.error and "stopped" in o.error for o in failed), outcomes
    assert fresh.run("signal = True", [item()])[0].result is not None, "the next run gets a fresh worker"


def test_a_silent_worker_is_noticed_within_seconds(fresh):
    """Stopped before it gets the batch: the host says so after `silence_seconds`, not after the batch's wall."""
    _signal_all(fresh, signal.SIGSTOP)
    started = time.monotonic()
    outcome = fresh.run(SLOW, [item()], batch_size=100)[0]
    assert outcome.error is None and outcome.result["signal"] == "BUY"
    assert time.monotonic() - started < 30

"""The sandbox's modes and its life: required refuses without namespaces, degraded keeps rlimits and seccomp,
a worker that dies is replaced (the seccomp allow-list has its own tests: test_seccomp.py)."""

from __future__ import annotations

import os
import signal

import pytest

from core.config import get_settings
from core.scanner import launch
from core.scanner.sandbox import Sandbox, SandboxUnavailable, sandbox_mode, sandbox_status
from tests.scanner.conftest import PRELUDE, TEST_LIMITS, item

pytestmark = pytest.mark.slow  # every test here starts the sandbox


@pytest.fixture
def no_namespaces(monkeypatch):
    monkeypatch.setattr(launch, "_probe", lambda: (False, "user namespaces are disabled here"))


def test_mode_comes_from_scanner_sandbox(monkeypatch):
    monkeypatch.setenv("SCANNER_SANDBOX", "degraded")
    get_settings.cache_clear()
    try:
        assert sandbox_mode() == "degraded"
        monkeypatch.setenv("SCANNER_SANDBOX", "required")
        get_settings.cache_clear()
        assert sandbox_mode() == "required"
    finally:
        monkeypatch.delenv("SCANNER_SANDBOX")
        get_settings.cache_clear()


def test_required_refuses_to_run_unconfined(no_namespaces):
    status = sandbox_status("required")
    assert not status.usable and "unavailable" in status.describe()
    with pytest.raises(SandboxUnavailable, match="SCANNER_SANDBOX=degraded"):
        Sandbox("required").start()


def test_degraded_still_has_rlimits_seccomp_and_an_empty_environment(no_namespaces, monkeypatch):
    monkeypatch.setenv("WHEELHOUSE_TEST_SECRET", "degraded-secret")
    with Sandbox("degraded", limits=TEST_LIMITS) as box:
        assert box.status.describe().startswith("DEGRADED")
        assert box.run("signal = close[-1] > 0", [item()])[0].result["signal"] == "BUY"
        fork = box.run(PRELUDE + "OS['fork']()", [item()], check=False)[0]
        assert "forbidden system call" in fork.error
        memory = box.run("x = np.ones(10 ** 11)", [item()])[0]
        assert "MemoryError" in memory.error
        env = box.run(PRELUDE + "signal = True\nmetrics = {'env': str(dict(OS['environ']))}", [item()], check=False)[0]
        assert "degraded-secret" not in env.result["metrics"]["env"]


def test_a_worker_killed_from_outside_is_replaced(sandbox_required):
    with Sandbox("required", limits=TEST_LIMITS) as box:
        assert box.run("signal = True", [item()])[0].result is not None
        os.killpg(box._proc.pid, signal.SIGKILL)
        box._proc.wait()
        outcome = box.run("signal = True", [item()])[0]  # a dead worker is noticed and started again
        assert outcome.error is None and outcome.result["signal"] == "BUY"

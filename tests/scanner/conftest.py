"""Fixtures of the scanner tests: one sandbox worker per module, OHLCV blocks, a canary outside the sandbox."""

from __future__ import annotations

import os

import numpy as np
import pytest

from core.scanner import launch
from core.scanner.sandbox import Limits, Sandbox, SymbolInput, sandbox_status
from tests.conftest import IN_CI

# Code that reaches `os` and `__import__` through object subclasses: what a scanner could do if validation were
# switched off, so the sandbox's own layers are tested (test_hostile, test_sandbox).
PRELUDE = (
    "OS = [c for c in ().__class__.__base__.__subclasses__() if c.__name__ == '_wrap_close'][0]"
    ".__init__.__globals__\nB = OS['sys'].modules['builtins']\nIMP = B.__import__\n"
)

SECRET = "wh-secret-7d1f0c9a"
CANARY_TEXT = "canary-content-do-not-read-51c2"
# Short limits: a hostile scanner costs a second or two, not the production five.
TEST_LIMITS = Limits(wall_per_symbol=2.0, cpu_base=3, cpu_per_symbol=1, max_kills=2)


def bars(n: int = 300, seed: int = 1, start_day: int = 19_000, trend: float = 0.0) -> np.ndarray:
    """A (6, n) block: day numbers, then open/high/low/close/volume of a seeded random walk."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(trend, 0.02, n)))
    opens = close * (1 + rng.normal(0, 0.005, n))
    high = np.maximum(opens, close) * 1.01
    low = np.minimum(opens, close) * 0.99
    volume = rng.integers(100_000, 1_000_000, n).astype(float)
    return np.vstack([np.arange(start_day, start_day + n, dtype=float), opens, high, low, close, volume])


def item(symbol: str = "AAA", **kw) -> SymbolInput:
    return SymbolInput(symbol, bars(**kw))


@pytest.fixture(scope="session")
def sandbox_required():
    """Skip (or fail under CI) where bubblewrap namespaces are unavailable: the tests are about the real sandbox."""
    status = sandbox_status("required")
    if not status.confined:
        if IN_CI:
            pytest.fail(f"CI=true but the scanner sandbox cannot run: {status.reason}", pytrace=False)
        pytest.skip(f"scanner sandbox unavailable here: {status.reason}")
    return status


@pytest.fixture(scope="module")
def sandbox(sandbox_required):
    with Sandbox("required", limits=TEST_LIMITS, max_children=2) as box:
        yield box


def run_one(box: Sandbox, code: str, params=None, check: bool = True, **kw):
    return box.run(code, [item(**kw)], params or {}, check=check)[0]


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    """A canary file in a folder of its own, and a secret in this process's environment while workers start."""
    folder = tmp_path_factory.mktemp("outside")
    canary = folder / "canary.txt"
    canary.write_text(CANARY_TEXT)
    os.environ["WHEELHOUSE_TEST_SECRET"] = SECRET
    try:
        yield folder, canary
    finally:
        os.environ.pop("WHEELHOUSE_TEST_SECRET", None)


@pytest.fixture(scope="module")
def hostile(sandbox_required, outside):
    """A worker in bubblewrap (SCANNER_SANDBOX=required) started while this process holds the secret."""
    with Sandbox("required", limits=TEST_LIMITS, max_children=2) as box:
        yield box, *outside


@pytest.fixture(scope="module")
def hostile_degraded(outside):
    """A SCANNER_SANDBOX=degraded worker on a machine where bubblewrap is missing (simulated): no namespaces, so
    it sees the host's files; only validation, the lockdown, rlimits and seccomp stand in the way."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(launch, "_probe", lambda: (False, "bubblewrap (bwrap) is not installed (simulated)"))
        box = Sandbox("degraded", limits=TEST_LIMITS, max_children=2)
    assert not box.confined and box.status.describe().startswith("DEGRADED")
    with box:
        yield box, *outside


@pytest.fixture(params=["required", "degraded"])
def either_mode(request):
    """The same case against both workers."""
    return request.getfixturevalue("hostile" if request.param == "required" else "hostile_degraded")

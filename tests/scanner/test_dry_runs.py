"""Dry runs through a bounded pool (issue 10, class 4): a small global cap, one per caller, refused with a clear
reason at once, and every slot given back however the dry run ends."""

from __future__ import annotations

import json
import threading

import pytest

from core.scanner import service
from core.scanner.dryruns import DRY_RUN_CAP, DryRunBusy, DryRunPool
from tests.support.actors import TRADER


def test_the_pool_admits_its_cap_and_one_per_caller():
    pool = DryRunPool(cap=2)
    with pool.slot("tab-1"):
        with pytest.raises(DryRunBusy, match="your previous dry run is still running"), pool.slot("tab-1"):
            pass
        with pool.slot("tab-2"):
            assert pool.running == 2
            with pytest.raises(DryRunBusy, match="2 dry runs are already running"), pool.slot("tab-3"):
                pass
        with pool.slot("tab-3"):
            assert pool.running == 2
    assert pool.running == 0


def test_a_slot_is_given_back_when_the_dry_run_fails():
    pool = DryRunPool(cap=1)
    with pytest.raises(RuntimeError, match="worker died"), pool.slot("tab-1"):
        raise RuntimeError("worker died")
    with pool.slot("tab-1"):
        assert pool.running == 1


def test_many_callers_at_once_never_exceed_the_cap():
    pool, cap, callers = DryRunPool(cap=DRY_RUN_CAP), DRY_RUN_CAP, 12
    start, hold = threading.Barrier(callers), threading.Event()
    admitted, refused, peak = [], [], []

    def click(n: int) -> None:
        start.wait()
        try:
            with pool.slot(f"tab-{n}"):
                admitted.append(n)
                peak.append(pool.running)
                hold.wait(timeout=30)
        except DryRunBusy:
            refused.append(n)

    threads = [threading.Thread(target=click, args=(n,)) for n in range(callers)]
    for thread in threads:
        thread.start()
    for _ in range(3000):  # until every refused caller has come back (the admitted ones hold their slots)
        if len(admitted) + len(refused) == callers or len(refused) == callers - cap:
            break
        threading.Event().wait(0.01)
    hold.set()
    for thread in threads:
        thread.join()
    assert len(admitted) == cap and len(refused) == callers - cap and max(peak) <= cap
    assert pool.running == 0


def test_the_service_refuses_a_second_dry_run_of_the_same_session_without_starting_a_worker(committed_engine):
    pool = DryRunPool(cap=2)
    with pool.slot("session-a"):
        dry = service.dry_run(committed_engine, TRADER, "signal = True", "AAPL", "{}", caller="session-a", pool=pool)
    assert dry.error == "your previous dry run is still running: wait for it to finish"
    assert (dry.signal, dry.variables, dry.sandbox) == (None, {}, "")
    assert pool.running == 0


@pytest.mark.slow  # starts the sandbox
def test_a_dry_run_holds_a_slot_only_while_it_runs(committed_engine, sandbox_required):
    pool = DryRunPool(cap=1)
    for _ in range(2):  # the first gives its slot back, so the second is admitted
        dry = service.dry_run(committed_engine, TRADER, "signal = True", "AAPL", "{}", caller="session-a", pool=pool)
        assert dry.error is None and dry.signal == "BUY" and dry.sandbox
    assert pool.running == 0


def test_the_debug_view_is_bounded_whatever_the_scanner_made():
    values = {f"v{i}": "x" * 3000 for i in range(100)} | {"huge": list(range(50_000))}
    view = service.bounded_view(values, budget=20_000)
    assert len(json.dumps(view)) < 20_000 + 200
    assert list(view)[:3] == ["v0", "v1", "v2"] and view["v0"] == "x" * 3000
    assert view["..."].endswith("more not shown")
    assert service.bounded_view({"huge": list(range(50_000))}, budget=1000) == {
        "huge": "(not shown: 338,890 characters)"
    }
    assert service.bounded_view(["not", "a", "mapping"]) == {}


@pytest.mark.slow  # starts the sandbox
def test_a_dry_run_of_a_scanner_that_builds_huge_and_deep_values_shows_a_bounded_view(
    committed_engine, sandbox_required
):
    code = (
        "deep = {}\nnode = deep\nfor i in range(800):\n    node['x'] = {}\n    node = node['x']\n"
        "wide = {str(i): 'y' * 150 for i in range(5000)}\nprint('z' * 10 ** 6)\nsignal = True"
    )
    dry = service.dry_run(committed_engine, TRADER, code, "AAPL", "{}", caller="session-a", pool=DryRunPool())
    assert dry.error is None and dry.signal == "BUY"
    assert len(json.dumps(dry.variables)) <= service.MAX_VIEW_CHARS + 200
    assert len(json.dumps(dry.inputs)) <= service.MAX_VIEW_CHARS + 200
    assert "deep" in dry.variables and len(dry.printed) <= 10_000

"""A queue no scan run can jam (issue 10, class 3), driven through the real sidecar loop on both databases.

Three kinds of poison, each followed by an ordinary run queued behind it:
- the issue's own results (a lone surrogate in a signal, NUL in a metric) -- cleaned at the boundary, stored;
- a result the database refuses (whatever the reason: here a trigger, so no future sanitiser can hide the class)
  -- that symbol fails with the reason, the chunk's other results are kept, the run completes;
- a run whose every write is refused, after claiming its items or before (it cannot even start) -- its items
  spend their attempts, fail with the reason after MAX_ATTEMPTS and its run closes, while the run behind it
  completes on the first pass.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.db.engine import create_db_engine, unit_of_work
from core.db.models import CriticalErrorLog, JobItem, JobRun, ScanHistory, ScanResult
from core.jobs import queue
from core.jobs.settings import SidecarSettings
from core.jobs.sidecar import Sidecar
from core.scanner import jobs
from tests import factories
from tests.support import sidecars
from tests.support.refuse import refusing

pytestmark = pytest.mark.slow  # every test here runs scanners in the sandbox

SETTINGS = SidecarSettings.from_settings(poll_seconds=0.05, lease_seconds=30, batch_size=10)
ORDINARY = "signal = close[-1] > 0\nsignal_type = 'WATCH'\nmetrics = {'close': close[-1]}"
# The issue's examples: chr(0xD800) + "BUY" broke the SQLite insert, a NUL byte the PostgreSQL one.
ISSUE_POISON = (
    "signal = True\n"
    "signal_type = chr(0xD800) + 'BUY' if symbol == 'AAPL' else 'WATCH'\n"
    "metrics = {'note': 'a' + chr(0) + 'b', 'close': close[-1]}"
)


@pytest.fixture
def sidecar_engine(committed_engine, db_url):
    """The sidecar's own engine, as `python -m core.sync` makes it."""
    engine = create_db_engine(db_url, sqlite_immediate=True)
    yield engine
    engine.dispose()


def _enqueue(engine, code: str, symbols: list[str]) -> tuple[int, int]:
    """A scanner over `symbols`, queued; returns (scanner id, run id)."""
    with unit_of_work(engine, write=True) as session:
        scanner = factories.scanner(session, code=code)
        run, created = jobs.enqueue_scan(session, scanner.id, symbols=symbols, provider="synthetic")
        assert created
        return scanner.id, run.id


def _drain(engine) -> Sidecar:
    sidecar = Sidecar(engine, SETTINGS, sidecars.job_kinds(jobs.scan_run_kind()), worker_only=True)
    assert sidecar.drain() == 0
    return sidecar


def _run(engine, run_id):
    with unit_of_work(engine) as session:
        run = session.get(JobRun, run_id)
        items = {
            i.symbol: (i.status, i.attempts, i.error_message)
            for i in session.scalars(select(JobItem).where(JobItem.run_id == run_id))
        }
        results = {
            r.symbol: r
            for r in session.scalars(select(ScanResult).where(ScanResult.scan_history_id == run.scan_history_id))
        }
        history = session.get(ScanHistory, run.scan_history_id) if run.scan_history_id else None
        return run, items, results, history


def _assert_completed_behind(engine, run_id):
    run, items, results, history = _run(engine, run_id)
    assert (run.status, run.failed_items, run.active_scope) == ("completed", 0, None)
    assert set(results) == {"MSFT", "NVDA"} and history.status == "completed"
    assert all(attempts == 1 for _, attempts, _ in items.values())


def test_the_issues_poison_results_are_stored_clean_and_the_run_behind_completes(sidecar_engine, sandbox_required):
    _, poisoned = _enqueue(sidecar_engine, ISSUE_POISON, ["AAPL", "MSFT"])
    _, behind = _enqueue(sidecar_engine, ORDINARY, ["MSFT", "NVDA"])
    _drain(sidecar_engine)
    run, items, results, history = _run(sidecar_engine, poisoned)
    assert run.status == "completed" and history.status == "completed"
    assert results["AAPL"].signal == "BUY" and results["MSFT"].signal == "WATCH"
    assert all(r.metrics["note"] == "ab" for r in results.values())
    _assert_completed_behind(sidecar_engine, behind)


def test_a_result_the_database_refuses_fails_its_symbol_and_keeps_the_others(sidecar_engine, sandbox_required):
    poison_scanner, poisoned = _enqueue(sidecar_engine, ORDINARY, ["AAPL", "MSFT", "NVDA"])
    _, behind = _enqueue(sidecar_engine, ORDINARY, ["MSFT", "NVDA"])
    poison = f"NEW.symbol = 'MSFT' AND NEW.scanner_id = {poison_scanner}"
    with refusing(sidecar_engine, "scan_results", "INSERT", poison):
        _drain(sidecar_engine)
    run, items, results, history = _run(sidecar_engine, poisoned)
    assert run.status == "completed" and (run.done_items, run.failed_items) == (3, 1)
    assert set(results) == {"AAPL", "NVDA"}
    status, attempts, error = items["MSFT"]
    assert (status, attempts) == ("failed", 1)
    assert error.startswith("the database refused its result: IntegrityError: ") and "wh_refuse" in error
    assert (history.status, history.symbols_scanned, history.signals_found) == ("completed", 2, 2)
    assert "MSFT: the database refused its result" in history.error_message
    _assert_completed_behind(sidecar_engine, behind)


@pytest.mark.parametrize("event", ["UPDATE", "INSERT"], ids=["breaks-after-claiming", "breaks-before-claiming"])
def test_a_run_that_always_breaks_fails_after_max_attempts_and_the_run_behind_completes(
    sidecar_engine, sandbox_required, event
):
    poison_scanner, poisoned = _enqueue(sidecar_engine, ORDINARY, ["AAPL", "MSFT"])
    _, behind = _enqueue(sidecar_engine, ORDINARY, ["MSFT", "NVDA"])
    with refusing(sidecar_engine, "scan_history", event, f"NEW.scanner_id = {poison_scanner}"):
        _drain(sidecar_engine)
    run, items, results, _ = _run(sidecar_engine, poisoned)
    assert (run.status, run.failed_items, run.active_scope) == ("failed", 2, None) and results == {}
    for status, attempts, error in items.values():
        assert (status, attempts) == ("failed", queue.MAX_ATTEMPTS)
        assert error.startswith(f"gave up after {queue.MAX_ATTEMPTS} attempts: IntegrityError: ")
    _assert_completed_behind(sidecar_engine, behind)
    with unit_of_work(sidecar_engine) as session:  # one record per failed pass, not one every poll for ever
        logged = session.scalar(
            select(func.count()).select_from(CriticalErrorLog).where(CriticalErrorLog.error_type == "scan_run_failed")
        )
    assert 1 <= logged <= queue.MAX_ATTEMPTS + 1

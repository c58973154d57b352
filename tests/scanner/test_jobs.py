"""Queued scan runs on both databases: scan_history, linked results, item outcomes, rejected and refused runs."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db.engine import unit_of_work
from core.db.models import JobItem, JobRun, ScanHistory, ScanResult
from core.scanner import jobs, launch, sandbox
from tests import factories
from tests.scanner.conftest import TEST_LIMITS

SYMBOLS = ["AAPL", "MSFT", "NVDA", "NOPE"]
ABOVE_ZERO = "signal = close[-1] > 0\nsignal_type = 'WATCH'\nmetrics = {'close': close[-1], 'n': params['n']}"


def _setup(engine, code=ABOVE_ZERO, symbols=SYMBOLS, parameters=None):
    with unit_of_work(engine, write=True) as session:
        scanner = factories.scanner(session, code=code, parameters=parameters or {"n": {"default": 3}})
        watchlist = factories.watchlist(session, symbols=symbols, exchange="NASDAQ")
        run, created = jobs.enqueue_scan(
            session, scanner.id, watchlist_id=watchlist.id, requested_by="test", provider="synthetic"
        )
        assert created
        return scanner.id, watchlist.id, run.id


def _state(engine, run_id):
    with unit_of_work(engine) as session:
        run = session.get(JobRun, run_id)
        history = session.get(ScanHistory, run.scan_history_id) if run.scan_history_id else None
        results = session.scalars(select(ScanResult).order_by(ScanResult.symbol)).all()
        items = {
            i.symbol: (i.status, i.error_message)
            for i in session.scalars(select(JobItem).where(JobItem.run_id == run_id))
        }
        return run, history, results, items


@pytest.mark.slow
def test_a_run_records_history_and_its_linked_results(committed_engine, sandbox_required):
    scanner_id, watchlist_id, run_id = _setup(committed_engine)
    jobs.run_scan_run(committed_engine, run_id, limits=TEST_LIMITS)
    run, history, results, items = _state(committed_engine, run_id)
    assert run.status == "completed" and (run.done_items, run.failed_items) == (4, 1)
    assert (history.status, history.symbols_scanned, history.signals_found) == ("completed", 3, 3)
    assert history.scanner_id == scanner_id and history.watchlist_id == watchlist_id
    assert history.started_at <= history.completed_at and history.execution_time_ms >= 0
    assert "NOPE" in history.error_message and "unknown symbol" in history.error_message
    assert [(r.symbol, r.signal, r.exchange, r.scan_history_id) for r in results] == [
        (s, "WATCH", "NASDAQ", history.id) for s in ("AAPL", "MSFT", "NVDA")
    ]
    assert all(r.metrics["n"] == 3 and r.metrics["close"] > 0 for r in results)
    assert items["AAPL"] == ("synced", None) and items["NOPE"][0] == "failed"
    jobs.run_scan_run(committed_engine, run_id, limits=TEST_LIMITS)  # a finished run is left alone
    assert len(_state(committed_engine, run_id)[2]) == 3


def test_the_same_scope_while_queued_returns_the_queued_run(committed_engine):
    scanner_id, watchlist_id, run_id = _setup(committed_engine)
    with unit_of_work(committed_engine, write=True) as session:
        again, created = jobs.enqueue_scan(session, scanner_id, watchlist_id=watchlist_id)
        other, created_other = jobs.enqueue_scan(session, scanner_id, symbols=["aapl", "msft"])
    assert (again.id, created) == (run_id, False)
    assert created_other and other.id != run_id and other.total_items == 2


def test_unknown_scanner_or_empty_request_is_refused(session):
    with pytest.raises(jobs.ScanRequestError, match="no scanner"):
        jobs.enqueue_scan(session, 999_999, symbols=["AAPL"])
    scanner = factories.scanner(session)
    with pytest.raises(jobs.ScanRequestError, match="say what to scan"):
        jobs.enqueue_scan(session, scanner.id)
    with pytest.raises(jobs.ScanRequestError, match="not ticker symbols"):
        jobs.enqueue_scan(session, scanner.id, symbols=["AAPL", "rm -rf"])


def test_a_rejected_scanner_fails_every_item_with_the_reason(committed_engine):
    _, _, run_id = _setup(committed_engine, code="import os\nsignal = True")
    jobs.run_scan_run(committed_engine, run_id)
    run, history, results, items = _state(committed_engine, run_id)
    assert run.status == "failed" and history.status == "failed" and results == []
    assert {status for status, _ in items.values()} == {"failed"}
    assert all(error.startswith("rejected: line 1, column 1: import of 'os'") for _, error in items.values())
    assert history.error_message.startswith("rejected:")


def test_a_bad_parameter_fails_the_run_with_its_name(committed_engine):
    _, _, run_id = _setup(committed_engine, parameters={"n": {"default": "x", "type": "int"}})
    jobs.run_scan_run(committed_engine, run_id)
    run, history, _, _ = _state(committed_engine, run_id)
    assert run.status == "failed" and "parameter 'n'" in history.error_message


def test_without_a_sandbox_the_run_is_refused_not_run_unconfined(committed_engine, monkeypatch):
    monkeypatch.setattr(launch, "_probe", lambda: (False, "user namespaces are disabled"))
    monkeypatch.setattr(sandbox, "sandbox_mode", lambda: "required")
    _, _, run_id = _setup(committed_engine)
    jobs.run_scan_run(committed_engine, run_id)
    run, history, results, items = _state(committed_engine, run_id)
    assert run.status == "failed" and results == []
    assert "user namespaces are disabled" in history.error_message
    assert "SCANNER_SANDBOX=degraded" in items["AAPL"][1]


@pytest.mark.slow
def test_a_scanner_error_fails_only_its_symbol(committed_engine, sandbox_required):
    code = "if symbol == 'MSFT':\n    x = 1 / 0\nsignal = True"
    _, _, run_id = _setup(committed_engine, code=code, symbols=["AAPL", "MSFT", "NVDA"])
    jobs.run_scan_run(committed_engine, run_id, limits=TEST_LIMITS)
    run, history, results, items = _state(committed_engine, run_id)
    assert run.status == "completed" and [r.symbol for r in results] == ["AAPL", "NVDA"]
    assert items["MSFT"] == ("failed", "line 2: ZeroDivisionError: division by zero")
    assert history.symbols_scanned == 2 and history.signals_found == 2

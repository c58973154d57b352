"""`python -m core scanner save NAME FILE [--params JSON]` and `scanner enqueue NAME (--watchlist W | --symbols A,B)`
(DESIGN section 8) on both databases: stored or updated, problems at their line and column with the draft kept,
bad input losing nothing, and a queued run that the sidecar works into `scan_history` like any other."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.db.engine import create_db_engine, unit_of_work
from core.db.models import JobRun, ScanHistory, Scanner, ScanResult
from core.jobs.settings import SidecarSettings
from core.jobs.sidecar import Sidecar
from core.scanner.jobs import scan_run_kind
from tests import factories
from tests.support import sidecars
from tests.support.cli import run_cli

GOOD = "rsi = RSI(close, params['period'])\nsignal = rsi[-1] < 101\nmetrics = {'rsi': rsi[-1]}\n"
BETTER = "signal = close[-1] > 0\nsignal_type = 'WATCH'\nmetrics = {'close': close[-1]}\n"
BROKEN = "signal = True\nimport os\ny = df.__class__\n"


@pytest.fixture
def files(tmp_path):
    for name, code in (("good.py", GOOD), ("better.py", BETTER), ("broken.py", BROKEN)):
        (tmp_path / name).write_text(code)
    return tmp_path


def _scanner(engine, name: str) -> tuple[str, dict, bool] | None:
    with unit_of_work(engine) as session:
        row = session.scalar(select(Scanner).where(Scanner.name == name))
        return None if row is None else (row.code, row.parameters, row.draft)


def test_save_creates_then_updates_in_place(files, db_url, committed_engine):
    first = run_cli("scanner", "save", "RSI low", str(files / "good.py"), "--params", '{"period": 14}',
                    "--database-url", db_url, "--format", "json")  # fmt: skip
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert doc == {"id": doc["id"], "name": "RSI low", "created": True, "draft": False, "errors": []}
    assert _scanner(committed_engine, "RSI low") == (GOOD, {"period": 14}, False)

    again = run_cli("scanner", "save", "RSI low", str(files / "better.py"), "--database-url", db_url)
    assert again.returncode == 0 and again.stdout.strip() == f"updated scanner 'RSI low' (id {doc['id']}): ready to run"
    assert _scanner(committed_engine, "RSI low") == (BETTER, {"period": 14}, False)  # no --params: kept


def test_problems_are_reported_at_their_line_and_the_draft_is_kept(files, db_url, committed_engine):
    run_cli("scanner", "save", "Mine", str(files / "good.py"), "--params", '{"period": 14}', "--database-url", db_url)
    broken = str(files / "broken.py")
    result = run_cli("scanner", "save", "Mine", broken, "--database-url", db_url)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert lines[:2] == [
        f"{broken}:2:1: import of 'os' is not allowed (only datetime, math, numpy, pandas, statistics, talib)",
        f"{broken}:3:8: dunder attribute '.__class__' is not allowed",
    ]
    assert "kept as a draft with 2 validation problems" in lines[2]
    assert _scanner(committed_engine, "Mine") == (BROKEN, {"period": 14}, True)

    refused = run_cli("scanner", "enqueue", "Mine", "--symbols", "AAPL", "--database-url", db_url)
    assert refused.returncode == 1 and refused.stdout == ""
    assert refused.stderr.strip() == (
        "error: scanner 'Mine' is a draft (saved with validation problems): fix them and save it first"
    )
    fixed = run_cli("scanner", "save", "Mine", str(files / "good.py"), "--database-url", db_url)
    assert fixed.returncode == 0 and _scanner(committed_engine, "Mine")[2] is False


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--params", "{not json"), "error: not saved: parameters are not valid JSON: "),
        (("--params", "[1, 2]"), "error: not saved: parameters must be a JSON object"),
        (("--params", '{"period": {"default": 500, "max": 100}}'), "error: not saved: "),
    ],
    ids=["not-json", "not-an-object", "out-of-bounds"],
)
def test_bad_parameters_store_nothing(files, db_url, committed_engine, args, message):
    run_cli("scanner", "save", "Mine", str(files / "good.py"), "--params", '{"period": 14}', "--database-url", db_url)
    result = run_cli("scanner", "save", "Mine", str(files / "better.py"), *args, "--database-url", db_url)
    assert result.returncode == 1 and result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1
    assert _scanner(committed_engine, "Mine") == (GOOD, {"period": 14}, False)


def test_bad_names_and_files_are_one_line_errors(files, db_url, committed_engine):
    long_name = run_cli("scanner", "save", "x" * 101, str(files / "good.py"), "--database-url", db_url)
    assert long_name.stderr.strip() == "error: not saved: a scanner's name has at most 100 characters"
    blank = run_cli("scanner", "save", "  ", str(files / "good.py"), "--database-url", db_url)
    assert blank.stderr.strip() == "error: not saved: a scanner needs a name"
    missing = run_cli("scanner", "save", "Mine", str(files / "nope.py"), "--database-url", db_url)
    assert missing.returncode == 1 and missing.stderr.startswith("error: cannot read scanner file")
    with unit_of_work(committed_engine) as session:
        assert session.scalars(select(Scanner)).all() == []


def test_enqueue_refuses_unknown_names_and_bad_symbols(files, db_url, committed_engine):
    run_cli("scanner", "save", "Mine", str(files / "better.py"), "--database-url", db_url)
    cases = {
        ("Nope", "--symbols", "AAPL"): "error: no scanner called 'Nope' (see the Scanners page, or `scanner save`)",
        ("Mine", "--watchlist", "Nope"): "error: no watchlist called 'Nope'",
    }
    for args, message in cases.items():
        result = run_cli("scanner", "enqueue", *args, "--database-url", db_url)
        assert (result.returncode, result.stdout, result.stderr.strip()) == (1, "", message)
    bad = run_cli("scanner", "enqueue", "Mine", "--symbols", "AAPL,rm -rf", "--database-url", db_url)
    assert bad.returncode == 1 and "not ticker symbols" in bad.stderr
    with unit_of_work(committed_engine) as session:
        assert session.scalars(select(JobRun)).all() == []


@pytest.mark.slow  # starts the sandbox
def test_enqueued_runs_end_in_scan_history_through_the_sidecar(files, db_url, committed_engine, sandbox_required):
    run_cli("scanner", "save", "Mine", str(files / "better.py"), "--database-url", db_url)
    with unit_of_work(committed_engine, write=True) as session:
        factories.watchlist(session, name="Tech", symbols=["AAPL", "MSFT", "NOPE"])
    by_list = run_cli("scanner", "enqueue", "Mine", "--watchlist", "Tech", "--database-url", db_url)
    by_symbols = run_cli("scanner", "enqueue", "Mine", "--symbols", "nvda,amd", "--database-url", db_url,
                         "--format", "json", env={"MARKET_DATA_PROVIDER": "synthetic"})  # fmt: skip
    assert by_list.returncode == 0 and by_list.stdout.strip().isdigit(), by_list.stderr
    list_run, symbols_run = int(by_list.stdout), json.loads(by_symbols.stdout)
    assert symbols_run["created"] is True
    again = run_cli("scanner", "enqueue", "Mine", "--watchlist", "Tech", "--database-url", db_url)
    assert int(again.stdout) == list_run and "already queued or running" in again.stderr

    engine = create_db_engine(db_url, sqlite_immediate=True)
    try:
        settings = SidecarSettings.from_settings(poll_seconds=0.05, lease_seconds=30, batch_size=10)
        Sidecar(engine, settings, sidecars.job_kinds(scan_run_kind()), worker_only=True).drain()
    finally:
        engine.dispose()
    with unit_of_work(committed_engine) as session:
        for run_id, symbols in ((list_run, {"AAPL", "MSFT"}), (symbols_run["run_id"], {"NVDA", "AMD"})):
            run = session.get(JobRun, run_id)
            history = session.get(ScanHistory, run.scan_history_id)
            results = session.scalars(select(ScanResult.symbol).where(ScanResult.scan_history_id == history.id))
            assert run.status == history.status == "completed" and set(results) == symbols
        assert "NOPE" in session.get(ScanHistory, session.get(JobRun, list_run).scan_history_id).error_message


def test_names_ignore_case_for_save_and_enqueue(files, db_url, committed_engine):
    first = run_cli("scanner", "save", "Wheel TV", str(files / "good.py"), "--database-url", db_url, "--format", "json")
    scanner_id = json.loads(first.stdout)["id"]
    again = run_cli("scanner", "save", "wheel tv", str(files / "better.py"), "--database-url", db_url)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == f"updated scanner 'Wheel TV' (id {scanner_id}): ready to run"
    assert _scanner(committed_engine, "Wheel TV")[0] == BETTER
    with unit_of_work(committed_engine) as session:
        assert session.scalars(select(Scanner.name)).all() == ["Wheel TV"]
    queued = run_cli("scanner", "enqueue", "WHEEL TV", "--symbols", "AAPL", "--database-url", db_url)
    assert queued.returncode == 0, queued.stderr

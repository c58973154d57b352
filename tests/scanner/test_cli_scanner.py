"""`python -m core scanner validate|run`: the JSON contract of DESIGN section 8, and no traceback ever."""

from __future__ import annotations

import json

import pytest

from core.db import migrate
from core.db.engine import get_engine, unit_of_work
from tests import factories
from tests.support.cli import run_cli

GOOD = (
    "rsi = RSI(close, params['period'])\nsignal = rsi[-1] < 101\n"
    "metrics = {'rsi': rsi[-1], 'period': params['period']}\n"
)
HOSTILE = "x = ().__class__.__base__.__subclasses__()\nsignal = True\n"


@pytest.fixture
def files(tmp_path):
    (tmp_path / "good.py").write_text(GOOD)
    (tmp_path / "hostile.py").write_text(HOSTILE)
    (tmp_path / "loop.py").write_text("while True:\n    pass\n")
    return tmp_path


def test_validate_ok_and_rejected(files):
    ok = run_cli("scanner", "validate", str(files / "good.py"))
    assert ok.returncode == 0 and ok.stdout.strip().endswith(": ok")
    bad = run_cli("scanner", "validate", str(files / "hostile.py"), "--format", "json")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr
    doc = json.loads(bad.stdout)
    assert doc["valid"] is False and doc["errors"][0] == {
        "line": 1,
        "column": 8,
        "message": "dunder attribute '.__class__' is not allowed",
    }


@pytest.mark.slow
def test_run_symbols_json_contract(files, sandbox_required, tmp_path):
    result = run_cli(
        "scanner",
        "run",
        str(files / "good.py"),
        "--symbols",
        "AAPL,msft,NOPE",
        "--params",
        '{"period": "9"}',
        "--provider",
        "synthetic",
        "--format",
        "json",
        "--database-url",
        f"sqlite:///{tmp_path / 'absent.db'}",
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert set(doc) == {"results", "errors", "symbols_scanned", "signals_found"}
    assert [r["symbol"] for r in doc["results"]] == ["AAPL", "MSFT"]
    assert all(set(r) == {"symbol", "signal", "metrics"} and r["signal"] == "BUY" for r in doc["results"])
    assert doc["results"][0]["metrics"]["period"] == 9
    assert doc["errors"] == [{"symbol": "NOPE", "error": "no daily bars: synthetic: unknown symbol 'NOPE'"}]
    assert (doc["symbols_scanned"], doc["signals_found"]) == (2, 2)
    assert not (tmp_path / "absent.db").exists(), "no database was asked for, none is made"


@pytest.mark.parametrize(
    ("name", "fragment"), [("hostile.py", "rejected: line 1, column 8"), ("loop.py", "wall-time limit")]
)
@pytest.mark.slow
def test_rejected_or_rule_breaking_scanner_is_an_error_in_the_document(files, sandbox_required, name, fragment):
    result = run_cli(
        "scanner",
        "run",
        str(files / name),
        "--symbols",
        "AAPL",
        "--format",
        "json",
        env={"DATABASE_URL": "sqlite:////nonexistent/x.db"},
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    doc = json.loads(result.stdout)
    assert doc["results"] == [] and doc["symbols_scanned"] == 0 and fragment in doc["errors"][0]["error"]


@pytest.mark.slow
def test_run_watchlist_from_the_database(files, sandbox_required, tmp_path):
    url = f"sqlite:///{tmp_path / 'w.db'}"
    migrate.upgrade(url)
    with unit_of_work(get_engine(url), write=True) as session:
        factories.watchlist(session, name="Tech", symbols=["NVDA", "AMD"])
    result = run_cli(
        "scanner",
        "run",
        str(files / "good.py"),
        "--watchlist",
        "Tech",
        "--params",
        '{"period": 14}',
        "--format",
        "json",
        "--database-url",
        url,
    )
    assert result.returncode == 0, result.stderr
    assert [r["symbol"] for r in json.loads(result.stdout)["results"]] == ["NVDA", "AMD"]
    missing = run_cli("scanner", "run", str(files / "good.py"), "--watchlist", "Nope", "--database-url", url)
    assert missing.returncode == 1 and missing.stderr.strip() == "error: no watchlist named 'Nope'"


@pytest.mark.slow
def test_run_over_recorded_prices_that_end_in_the_past(files, sandbox_required, shared_data, tmp_path):
    """The recorded daily histories end on 2023-10-27: today's window finds nothing and says where they end;
    `--as-of` moves the window there, and the scan sees no bar after that day."""
    (files / "last.py").write_text("signal = True\nmetrics = {'close': close[-1]}\n")
    common = ("--symbols", "AAPL,KO", "--provider", "csv", "--source", str(shared_data), "--format", "json")
    absent = ("--database-url", f"sqlite:///{tmp_path / 'absent.db'}")

    today = run_cli("scanner", "run", str(files / "last.py"), *common, *absent)
    assert today.returncode == 1, today.stderr
    errors = json.loads(today.stdout)["errors"]
    assert [e["symbol"] for e in errors] == ["AAPL", "KO"]
    assert all("this source's prices end on 2023-10-27 (scan as of 2023-10-27" in e["error"] for e in errors)

    past = run_cli("scanner", "run", str(files / "last.py"), *common, "--as-of", "2023-06-30", *absent)
    assert past.returncode == 0, past.stderr
    doc = json.loads(past.stdout)
    assert doc["errors"] == [] and doc["symbols_scanned"] == 2
    closes = {r["symbol"]: r["metrics"]["close"] for r in doc["results"]}
    assert closes["AAPL"] == pytest.approx(193.97, abs=0.01)  # AAPL's close on Friday 2023-06-30

    bad = run_cli("scanner", "run", str(files / "last.py"), *common, "--as-of", "30/06/2023", *absent)
    assert bad.returncode != 0 and "--as-of: expected a date YYYY-MM-DD, got '30/06/2023'" in bad.stderr
    assert "Traceback" not in bad.stderr

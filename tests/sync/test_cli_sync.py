"""`python -m core sync` and `import-chains` end to end, in a subprocess, on both databases."""

from __future__ import annotations

import json
import shutil

from sqlalchemy import func, select

from core.db.models import JobItem, JobRun, StockData, StockPremium
from tests.support.cli import run_cli


def _count(engine, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(StockPremium).where(*where)).scalar_one()


def test_sync_inline_then_resync_keeps_one_row_per_contract(committed_engine, db_url):
    args = [
        "sync",
        "--symbols",
        "AAPL,MSFT,NOPE",
        "--max-dte",
        "0",
        "--inline",
        "--as-of",
        "2026-11-20",
        "--format",
        "json",
        "--provider",
        "synthetic",
        "--database-url",
        db_url,
    ]
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr  # a failed symbol does not fail the run
    doc = json.loads(first.stdout)
    assert (doc["status"], doc["symbols"], doc["failed"], doc["done"]) == ("completed", 3, 1, 3)
    assert [f["symbol"] for f in doc["failures"]] == ["NOPE"] and doc["failures"][0]["error"]
    stored = _count(committed_engine)
    assert stored == doc["contracts"] > 300

    again = json.loads(run_cli(*args).stdout)
    assert again["contracts"] == doc["contracts"]
    assert _count(committed_engine) == stored
    with committed_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(JobRun)).scalar_one() == 2


def test_sync_inline_prints_why_a_symbol_failed(committed_engine, db_url):
    args = ["sync", "--symbols", "AAPL,NOPE", "--inline", "--as-of", "2026-11-20", "--provider", "synthetic"]
    result = run_cli(*args, "--database-url", db_url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "1 failed" in lines[0]
    with committed_engine.connect() as conn:
        reason = conn.execute(select(JobItem.error_message).where(JobItem.symbol == "NOPE")).scalar_one()
    assert reason and lines[1:] == [f"  failed NOPE: {reason}"]


def test_sync_enqueue_twice_returns_the_same_run(committed_engine, db_url):
    args = ["sync", "--all", "--provider", "synthetic", "--format", "json", "--database-url", db_url]
    one, two = json.loads(run_cli(*args).stdout), json.loads(run_cli(*args).stdout)
    assert one["created"] and not two["created"]
    assert one["run_id"] == two["run_id"]
    with committed_engine.connect() as conn:
        run = conn.execute(select(JobRun.status, JobRun.total_items)).one()
    assert run.status == "queued" and run.total_items >= 1200  # the synthetic universe: no stocks stored yet


def test_sync_rejects_bad_input_with_one_line(db_url):
    for args, expected in (
        (["--symbols", "AAPL,bad sym!"], "not ticker symbols"),
        (["--watchlist", "nope"], "no watchlist named 'nope'"),
        (["--all", "--provider", "csv"], "needs a folder"),
    ):
        result = run_cli("sync", *args, "--database-url", db_url)
        assert result.returncode == 1
        assert result.stderr.strip().startswith("error:") and expected in result.stderr
        assert "Traceback" not in result.stderr


def test_sync_from_a_csv_folder(committed_engine, db_url, shared_data, tmp_path):
    source = tmp_path / "chains"
    source.mkdir()
    shutil.copy(shared_data / "options/cboe_quotedata/AMD_quotedata_2023-08-18.csv", source)
    result = run_cli(
        "sync",
        "--all",
        "--provider",
        "csv",
        "--source",
        str(source),
        "--max-dte",
        "0",
        "--inline",
        "--format",
        "json",
        "--database-url",
        db_url,
    )
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["done"] == 1 and doc["failed"] == 0
    assert _count(committed_engine, StockPremium.symbol == "AMD") == doc["contracts"] > 1000


def test_import_chains_real_files(committed_engine, db_url, shared_data):
    result = run_cli(
        "import-chains", str(shared_data / "options/cboe_quotedata"), "--format", "json", "--database-url", db_url
    )
    assert result.returncode == 0, result.stderr
    files = {f["path"].rsplit("/", 1)[-1]: f for f in json.loads(result.stdout)["files"]}
    spy = files["SPY_quotedata_2023-09-14.csv"]
    assert spy["layout"] == "cboe" and spy["symbols"] == ["SPY"]
    assert spy["quarantined"]["expired"] > 0  # the 0DTE expiry of the download day
    table = run_cli("import-chains", str(shared_data / "options/cboe_quotedata"), "--database-url", db_url).stdout
    assert "{" not in table and "Counter" not in table  # words, not a Python dict
    assert f"{spy['contracts']:,} contracts loaded for SPY" in table
    assert f"{spy['quarantined']['expired']:,} expired" in table and "not loaded:" in table
    assert _count(committed_engine, StockPremium.symbol == "SPY") == spy["contracts"]
    with committed_engine.connect() as conn:
        price = conn.execute(select(StockData.price).where(StockData.symbol == "SPY")).scalar_one()
    assert price == 450.81


def test_import_does_not_replace_newer_data(committed_engine, db_url, shared_data):
    newer = shared_data / "options/yfinance_derived/NVDA-SPY-VIX_asof2025-02-12.csv"
    older = shared_data / "options/cboe_quotedata/SPY_quotedata_2023-09-14.csv"
    assert run_cli("import-chains", str(newer), "--database-url", db_url).returncode == 0
    before = _count(committed_engine, StockPremium.symbol == "SPY")
    result = run_cli("import-chains", str(older), "--database-url", db_url)
    assert result.returncode == 0
    assert "newer quote" in result.stdout
    assert _count(committed_engine, StockPremium.symbol == "SPY") == before


def test_import_bad_file_is_reported_and_others_load(committed_engine, db_url, shared_data, tmp_path):
    bad = tmp_path / "broken.csv"
    bad.write_text("contractSymbol,strike,bid\n\x00\x01garbage")
    good = shared_data / "options/cboe_quotedata/AMD_quotedata_2023-08-18.csv"
    result = run_cli("import-chains", str(bad), str(good), "--database-url", db_url)
    assert result.returncode == 1
    assert "FAILED" in result.stdout and "broken.csv" in result.stdout
    assert _count(committed_engine, StockPremium.symbol == "AMD") > 1000


def test_commands_refuse_an_unmigrated_database(tmp_path):
    result = run_cli("sync", "--symbols", "AAPL", "--database-url", f"sqlite:///{tmp_path / 'new.db'}")
    assert result.returncode == 1
    assert "no Wheelhouse schema yet" in result.stderr and "db upgrade" in result.stderr


def test_sync_is_attributed_to_the_operator_or_to_the_user_named_by_as(committed_engine, db_url):
    from core.auth import LOCAL_OPERATOR
    from core.auth.users import create_user
    from core.db.models import ActivityLog

    for name, role in (("vera", "viewer"), ("tom", "trader")):
        create_user(committed_engine, LOCAL_OPERATOR, name, "correct horse battery staple", role)
    base = ["sync", "--symbols", "AAPL", "--database-url", db_url]

    refused = run_cli(*base, "--as", "vera")
    assert refused.returncode == 1
    assert refused.stderr.strip() == "error: vera (viewer) cannot start a sync: that needs the trader role."
    assert run_cli(*base, "--as", "nobody").stderr.strip() == "error: unknown user 'nobody'"

    assert run_cli(*base, "--as", "tom").returncode == 0
    assert run_cli(*base).returncode == 0  # no --as: the local operator, exactly as before
    with committed_engine.connect() as conn:
        runs = conn.execute(select(JobRun.requested_by).order_by(JobRun.id)).scalars().all()
        logged = conn.execute(
            select(ActivityLog.username, ActivityLog.action)
            .order_by(ActivityLog.id)
            .where(ActivityLog.action == "sync_enqueue")
        ).all()
    assert len(runs) == 1 and runs[0] == "cli:tom"  # the second asked for the same queued run
    assert logged == [("tom", "sync_enqueue"), ("local operator", "sync_enqueue")]

"""`python -m core demo`: seeds stocks, history, a synced run, watchlists and the synthetic flag; idempotent."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from core.db.engine import unit_of_work
from core.db.models import (
    JobRun,
    ScannerTemplate,
    Setting,
    Stock,
    StockData,
    StockPremium,
    SymbolDailyHistory,
    TvWatchlist,
    Watchlist,
)
from core.operations.service import sidebar_status
from core.operations.status import DATA_SOURCE_KEY
from tests.support.cli import run_cli


def _counts(engine) -> dict[str, int]:
    with unit_of_work(engine) as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model))
            for model in (
                Stock,
                StockData,
                StockPremium,
                SymbolDailyHistory,
                Watchlist,
                TvWatchlist,
                JobRun,
                ScannerTemplate,
            )
        }


def test_demo_twice_gives_the_same_data(committed_engine, db_url):
    args = [
        "demo",
        "--symbols",
        "12",
        "--history-weeks",
        "2",
        "--as-of",
        "2026-11-20",
        "--format",
        "json",
        "--database-url",
        db_url,
    ]
    first = run_cli(*args)
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert (doc["symbols"], doc["status"], doc["failed"]) == (12, "completed", 0)
    assert doc["watchlists"] == ["Tech leaders", "Dividend payers", "High IV"]
    assert doc["seconds"] < 30
    counts = _counts(committed_engine)
    assert counts["stocks"] == counts["stock_data"] == 12
    assert counts["stock_premiums"] == doc["contracts"] > 1000
    assert counts["symbol_daily_history"] >= 12 * 3  # two weeks backfilled + the sync's own day
    assert counts["watchlists"] == counts["tv_watchlists"] == 3

    again = run_cli(*args)
    assert again.returncode == 0, again.stderr
    after = _counts(committed_engine)
    assert after == {**counts, "job_runs": 2}  # one more run, nothing else duplicated
    with unit_of_work(committed_engine) as session:
        assert session.get(Setting, DATA_SOURCE_KEY).value["provider"] == "synthetic"
        ranks = session.scalars(select(StockData.iv_rank).where(StockData.iv_rank.is_not(None))).all()
    assert ranks  # the backfilled history gives IV rank something to rank against
    status = sidebar_status(committed_engine)
    assert status.synthetic and status.symbols_with_data == 12


def test_demo_if_empty_skips_a_database_with_stocks(committed_engine, db_url):
    from core.demo import demo_symbols, seed_stocks

    with unit_of_work(committed_engine, write=True) as session:
        seed_stocks(session, demo_symbols(3))
    result = run_cli("demo", "--if-empty", "--format", "json", "--database-url", db_url)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["skipped"] is True
    assert _counts(committed_engine)["job_runs"] == 0


def test_demo_refuses_more_symbols_than_the_universe(db_url):
    result = run_cli("demo", "--symbols", "999999", "--database-url", db_url)
    assert result.returncode == 1
    assert "SYNTHETIC_UNIVERSE_SIZE" in result.stderr and "Traceback" not in result.stderr

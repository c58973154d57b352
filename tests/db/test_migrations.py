"""Migrations: up, down, up again on both backends; no drift; every seed table and documented index exists."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from core.db import migrate
from core.db.engine import create_db_engine
from core.db.models import Base

SEED_TABLES = {
    # FluxScan
    "scanners",
    "watchlists",
    "scan_results",
    "scan_schedules",
    "scan_history",
    "settings",
    "scanner_templates",
    # AlgoMirror
    "users",
    "trading_accounts",
    "orders",
    "positions",
    "holdings",
    "activity_logs",
    "strategies",
    "strategy_deployments",
    "trading_hours_templates",
    "trading_sessions",
    "market_holidays",
    "websocket_connections",
    "failover_events",
    # opportunity / sandbox / error log
    "critical_error_logs",
    "system_health_status",
    "scan_sessions",
    "opportunity_snapshots",
    "sandbox_strategy_configs",
    "sandbox_test_runs",
    "sandbox_ai_conversations",
    "sandbox_historical_cache",
    "sandbox_stats",
    # Database Scan
    "stocks",
    "stock_premiums",
    "stock_data",
    "tv_watchlists",
    "tv_watchlist_symbols",
}

SEED_INDEXES = {
    "scanners": {"idx_scanner_name", "idx_scanner_category", "idx_scanner_active"},
    "watchlists": {"idx_watchlist_name", "idx_watchlist_exchange"},
    "scan_results": {"idx_result_scanner", "idx_result_symbol", "idx_result_signal", "idx_result_timestamp"},
    "scan_schedules": {
        "idx_schedule_scanner",
        "idx_schedule_watchlist",
        "idx_schedule_active",
        "idx_schedule_next_run",
    },
    "scan_history": {"idx_history_scanner", "idx_history_watchlist", "idx_history_status", "idx_history_started"},
    "scanner_templates": {"idx_template_category"},
    "users": {"idx_username", "idx_email"},
    "activity_logs": {"idx_user_timestamp", "idx_action_timestamp"},
}


def _index_names(url: str) -> dict[str, set[str]]:
    engine = create_db_engine(url)
    try:
        insp = inspect(engine)
        return {t: {ix["name"] for ix in insp.get_indexes(t)} for t in insp.get_table_names()}
    finally:
        engine.dispose()


def test_seed_tables_are_all_modelled():
    assert set(Base.metadata.tables) >= SEED_TABLES


def test_upgrade_downgrade_upgrade_and_no_drift(backend, empty_database_url):
    url = empty_database_url(backend)
    migrate.upgrade(url)
    tables = set(_index_names(url))
    assert tables >= SEED_TABLES
    assert set(Base.metadata.tables) <= tables
    assert migrate.drift(url) is None

    migrate.downgrade(url, "base")
    assert set(_index_names(url)) <= {"alembic_version"}
    assert migrate.current_revision(url) is None

    migrate.upgrade(url)
    assert set(Base.metadata.tables) <= set(_index_names(url))
    assert migrate.drift(url) is None


def test_documented_indexes_exist(db_url):
    present = _index_names(db_url)
    for table, expected in SEED_INDEXES.items():
        missing = expected - present[table]
        assert not missing, f"{table} lacks {missing}"


def test_index_names_are_unique_across_tables():
    names = [ix.name for t in Base.metadata.tables.values() for ix in t.indexes]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("table", ["stock_premiums"])
def test_stock_premiums_keyed_by_contract(db_url, table):
    engine = create_db_engine(db_url)
    try:
        uniques = inspect(engine).get_unique_constraints(table)
    finally:
        engine.dispose()
    keys = {tuple(u["column_names"]) for u in uniques}
    assert ("symbol", "expiration_date", "option_type", "strike_price") in keys

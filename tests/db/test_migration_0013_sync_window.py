"""Migration 0013 adds the sync window and request accounting columns to tables that already hold rows: the rows
stay, the new columns start empty (NULL: not known), and the downgrade gives back 0012's tables with the rows."""

from __future__ import annotations

from sqlalchemy import inspect, text

from core.db import migrate
from core.db.engine import create_db_engine


def test_upgrade_keeps_rows_and_downgrade_gives_0012_back(backend, empty_database_url):
    url = empty_database_url(backend)
    migrate.upgrade(url, "0012")
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO stocks (symbol) VALUES ('AAPL')"))
            conn.execute(text("INSERT INTO stock_data (symbol, contracts, expirations) VALUES ('AAPL', 84, 19)"))
            conn.execute(text("INSERT INTO watchlists (name, symbols) VALUES ('Wheel', :s)"), {"s": '["AAPL"]'})
            conn.execute(text("INSERT INTO job_runs (kind, scope, status) VALUES ('sync', 'sync:all', 'completed')"))
            conn.execute(text("INSERT INTO job_items (run_id, symbol, status) VALUES (1, 'AAPL', 'synced')"))
        migrate.upgrade(url)
        with engine.connect() as conn:
            assert conn.execute(text("SELECT contracts, sync_max_dte FROM stock_data")).one() == (84, None)
            assert conn.execute(text("SELECT name, sync_max_dte FROM watchlists")).one() == ("Wheel", None)
            item = conn.execute(
                text(
                    "SELECT symbol, requests, retries, rate_limited, bytes_received, wait_seconds, network_seconds"
                    " FROM job_items"
                )
            ).one()
            assert item == ("AAPL", None, None, None, None, None, None)
        migrate.downgrade(url, "0012")
        engine.dispose()
        columns = {c["name"] for c in inspect(engine).get_columns("job_items")}
        assert "requests" not in columns and "status" in columns
        assert "sync_max_dte" not in {c["name"] for c in inspect(engine).get_columns("watchlists")}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT contracts FROM stock_data")).scalar_one() == 84
            assert conn.execute(text("SELECT count(*) FROM job_items")).scalar_one() == 1
    finally:
        engine.dispose()

"""Migration 0011 (Strategy Lab): job_runs takes the 'lab' kind, config names are unique ignoring case, and
sandbox_stats counts test runs; the downgrade removes lab runs with their items and refuses the kind again."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.db import migrate
from core.db.engine import create_db_engine


def test_upgrade_and_downgrade(backend, empty_database_url):
    url = empty_database_url(backend)
    migrate.upgrade(url, "0010")
    engine = create_db_engine(url)
    try:
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("INSERT INTO job_runs (kind, scope, status) VALUES ('lab', 'lab:x', 'queued')"))
        migrate.upgrade(url)
        with engine.begin() as conn:
            run = conn.execute(
                text("INSERT INTO job_runs (kind, scope, status) VALUES ('lab', 'lab:x', 'queued') RETURNING id")
            ).scalar_one()
            conn.execute(text("INSERT INTO job_items (run_id, symbol, status) VALUES (:r, 'AAPL', 'queued')"),
                         {"r": run})  # fmt: skip
            conn.execute(text("INSERT INTO sandbox_strategy_configs (id, strategy_id, config_data) "
                              "VALUES ('a', 'Wheel 30', '{}')"))  # fmt: skip
            conn.execute(text("INSERT INTO sandbox_stats (id, user_id) VALUES ('s', 'tom')"))
            assert conn.execute(text("SELECT test_runs FROM sandbox_stats")).scalar_one() == 0
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("INSERT INTO sandbox_strategy_configs (id, strategy_id, config_data) "
                              "VALUES ('b', 'WHEEL 30', '{}')"))  # fmt: skip
        migrate.downgrade(url, "0010")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM job_runs WHERE kind = 'lab'")).scalar_one() == 0
            assert conn.execute(text("SELECT count(*) FROM job_items")).scalar_one() == 0
            conn.execute(text("INSERT INTO sandbox_strategy_configs (id, strategy_id, config_data) "
                              "VALUES ('b', 'WHEEL 30', '{}')"))  # fmt: skip
            conn.execute(text("DELETE FROM sandbox_strategy_configs WHERE id = 'b'"))
        migrate.upgrade(url)
    finally:
        engine.dispose()

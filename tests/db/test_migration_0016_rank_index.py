"""Migration 0016 makes idx_sp_rank cover the screen's rank stage: the rows stay, the index gains the rank inputs,
the downgrade gives the three-column index back, and the default put screen's rank stage can be answered from the
index alone (an index-only scan on PostgreSQL, a covering index on SQLite)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from core.db import migrate
from core.db.engine import create_db_engine
from core.premiums.filters import PremiumFilters
from core.premiums.screen import DatabaseScanner

NEW = ["option_type", "expiration_date", "symbol", "strike_price", "mid", "underlying_price", "delta", "contract_size",
       "quality_flag"]  # fmt: skip


def _rank_index(engine) -> dict:
    return next(ix for ix in inspect(engine).get_indexes("stock_premiums") if ix["name"] == "idx_sp_rank")


def test_upgrade_keeps_rows_and_downgrade_gives_the_three_column_index_back(backend, empty_database_url):
    url = empty_database_url(backend)
    migrate.upgrade(url, "0016-1")
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO stocks (symbol) VALUES ('AAPL')"))
            conn.execute(
                text(
                    "INSERT INTO stock_premiums (symbol, expiration_date, option_type, strike_price, mid, delta,"
                    " underlying_price, fetched_at) VALUES ('AAPL', '2026-12-18', 'put', 180, 2.5, -0.3, 190,"
                    " '2026-12-01 21:00:00')"
                )
            )
        assert _rank_index(engine)["column_names"] == NEW[:3]
        migrate.upgrade(url, "0016")
        engine.dispose()
        index = _rank_index(engine)
        assert index["column_names"] == NEW
        if backend == "postgresql":
            assert list(index["dialect_options"]["postgresql_include"]) == ["id"]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT symbol, mid FROM stock_premiums")).one() == ("AAPL", 2.5)
        migrate.downgrade(url, "0016-1")
        engine.dispose()
        assert _rank_index(engine)["column_names"] == NEW[:3]
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM stock_premiums")).scalar_one() == 1
    finally:
        engine.dispose()


def test_the_default_screen_ranks_from_the_index_alone(engine):
    filters = PremiumFilters(as_of=dt.date(2026, 11, 20))
    with Session(engine) as session:
        stmt, values = DatabaseScanner(session).statement(filters, filters.as_of)
    sql = str(stmt.params(values).compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            # an empty table would be scanned whole: forbid that, so the plan shows what the index can answer
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
            conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
            plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + sql).scalars())
            assert "Index Only Scan using idx_sp_rank on stock_premiums candidate" in plan, plan
        else:
            plan = "\n".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
            assert "SEARCH candidate USING COVERING INDEX idx_sp_rank" in plan, plan

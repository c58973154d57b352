"""Migration 0014 adds fees, source and an import key to `trades`, which already hold synced rows: the rows stay
with fees unknown (NULL, never 0) and source 'openalgo'; an import key is unique per account (NULL keys never
clash); the downgrade gives the previous tables back with the rows."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from core.db import migrate
from core.db.engine import create_db_engine

TRADE = (
    "INSERT INTO trades (account_id, order_id, symbol, exchange, action, quantity, trade_date{extra})"
    " VALUES (1, :order, 'AAPL', 'NASDAQ', 'BUY', 100, '2026-01-16'{values})"
)


def test_upgrade_keeps_trades_with_unknown_fees_and_downgrade_gives_them_back(backend, empty_database_url):
    url = empty_database_url(backend)
    before = ScriptDirectory.from_config(migrate.alembic_config(url)).get_revision("0014").down_revision
    migrate.upgrade(url, before)
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO users (username, email, password_hash) VALUES ('a', 'a@x', 'h')"))
            conn.execute(
                text(
                    "INSERT INTO trading_accounts (user_id, account_name, broker) VALUES (1, 'main-account', 'zerodha')"
                )
            )
            for order in ("o1", "o2"):
                conn.execute(text(TRADE.format(extra="", values="")), {"order": order})
        migrate.upgrade(url, "0014")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT order_id, fees, source, import_key FROM trades ORDER BY id")).all()
        assert rows == [("o1", None, "openalgo", None), ("o2", None, "openalgo", None)]
        imported = TRADE.format(extra=", fees, source, import_key", values=", 0.65, 'import', 'k1'")
        with engine.begin() as conn:
            conn.execute(text(imported), {"order": "k1"})
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text(imported), {"order": "k1"})  # the same key again for the same account
        migrate.downgrade(url, before)
        engine.dispose()
        assert {"fees", "source", "import_key"}.isdisjoint(c["name"] for c in inspect(engine).get_columns("trades"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM trades")).scalar_one() == 3
    finally:
        engine.dispose()

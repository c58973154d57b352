"""Migration 0003 keeps what is stored: rebuilding `users` on SQLite (email becomes optional) must not cascade
into trading accounts or activity logs, and the way down gives email-less users a placeholder."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.db import migrate
from core.db.engine import create_db_engine


def test_upgrade_keeps_accounts_and_logs_and_down_again(backend, empty_database_url):
    url = empty_database_url(backend)
    migrate.upgrade(url, "0002")
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO users (username, email, password_hash, role) "
                    "VALUES ('alice', 'alice@example.com', 'x', 'trader')"
                )
            )
            alice = conn.execute(text("SELECT id FROM users")).scalar_one()
            conn.execute(
                text("INSERT INTO trading_accounts (user_id, account_name, broker) VALUES (:u, 'main', 'zerodha')"),
                {"u": alice},
            )
            conn.execute(text("INSERT INTO activity_logs (user_id, action) VALUES (:u, 'login')"), {"u": alice})
        migrate.upgrade(url)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT user_id FROM trading_accounts")).scalar_one() == alice
            assert conn.execute(text("SELECT user_id FROM activity_logs")).scalar_one() == alice
            conn.execute(text("INSERT INTO users (username, password_hash, role) VALUES ('bob', 'x', 'viewer')"))
        with pytest.raises(IntegrityError), engine.begin() as conn:  # one user, whatever the case
            conn.execute(text("INSERT INTO users (username, password_hash, role) VALUES ('ALICE', 'x', 'viewer')"))

        migrate.downgrade(url, "0002")
        with engine.begin() as conn:
            emails = dict(conn.execute(text("SELECT username, email FROM users")).all())
            assert emails["alice"] == "alice@example.com"
            assert emails["bob"].endswith("@wheelhouse.invalid")
            assert conn.execute(text("SELECT count(*) FROM trading_accounts")).scalar_one() == 1
        migrate.upgrade(url)
        assert migrate.drift(url) is None
    finally:
        engine.dispose()

"""Migration 0008 makes names ignore case, on a database that already holds names differing only by case: the
later row of each group is renamed "<name> (2)" (a watchlist and its TradingView mirror alike), then the
case-insensitive unique indexes refuse the next variant."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.db import migrate
from core.db.engine import create_db_engine


def test_upgrade_renames_case_variants_then_refuses_them(backend, empty_database_url, caplog):
    url = empty_database_url(backend)
    migrate.upgrade(url, "0007")
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            for name in ("Wheel TV", "wheel tv", "WHEEL TV", "wheel tv (2)"):
                conn.execute(text("INSERT INTO watchlists (name, symbols) VALUES (:n, '[]')"), {"n": name})
            for name in ("Wheel TV", "wheel tv"):
                conn.execute(text("INSERT INTO tv_watchlists (name, source) VALUES (:n, 'manual')"), {"n": name})
            for name in ("Momentum", "momentum"):
                conn.execute(text("INSERT INTO scanners (name, code) VALUES (:n, 'x')"), {"n": name})
            for user in ("alice", "bob"):
                conn.execute(
                    text("INSERT INTO users (username, password_hash, role) VALUES (:u, 'x', 'trader')"), {"u": user}
                )
            ids = dict(conn.execute(text("SELECT username, id FROM users")).all())
            for user, account in (("alice", "Main"), ("alice", "main"), ("bob", "MAIN")):
                conn.execute(
                    text("INSERT INTO trading_accounts (user_id, account_name, broker) VALUES (:u, :a, 'zerodha')"),
                    {"u": ids[user], "a": account},
                )
        with caplog.at_level("WARNING"):
            migrate.upgrade(url)
        with engine.begin() as conn:
            watchlists = [r[0] for r in conn.execute(text("SELECT name FROM watchlists ORDER BY id"))]
            tv = [r[0] for r in conn.execute(text("SELECT name FROM tv_watchlists ORDER BY id"))]
            scanners = [r[0] for r in conn.execute(text("SELECT name FROM scanners ORDER BY id"))]
            accounts = conn.execute(text("SELECT user_id, account_name FROM trading_accounts ORDER BY id")).all()
        assert watchlists == ["Wheel TV", "wheel tv (3)", "WHEEL TV (4)", "wheel tv (2)"]
        assert tv == ["Wheel TV", "wheel tv (3)"]  # the mirror follows its watchlist's new name
        assert scanners == ["Momentum", "momentum (2)"]
        assert [a[1] for a in accounts] == ["Main", "main (2)", "MAIN"]  # bob's own "MAIN" is not a clash
        assert "'wheel tv' renamed to 'wheel tv (3)'" in caplog.text

        refused = {
            "watchlists": "INSERT INTO watchlists (name, symbols) VALUES ('wheel TV', '[]')",
            "tv_watchlists": "INSERT INTO tv_watchlists (name, source) VALUES ('WHEEL tv', 'manual')",
            "scanners": "INSERT INTO scanners (name, code) VALUES ('MOMENTUM', 'x')",
            "trading_accounts": f"INSERT INTO trading_accounts (user_id, account_name, broker) "
            f"VALUES ({ids['bob']}, 'main', 'zerodha')",
        }
        for statement in refused.values():
            with pytest.raises(IntegrityError), engine.begin() as conn:
                conn.execute(text(statement))

        migrate.downgrade(url, "0007")
        with engine.begin() as conn:  # the way down drops the indexes; the renamed names stay
            conn.execute(text("INSERT INTO scanners (name, code) VALUES ('MOMENTUM', 'x')"))
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM scanners WHERE name = 'MOMENTUM'"))
        migrate.upgrade(url)
        assert migrate.drift(url) is None
    finally:
        engine.dispose()

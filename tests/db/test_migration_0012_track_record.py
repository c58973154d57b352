"""Migration 0012 adds the track record's columns to a database that already holds sessions and snapshots: the
old rows stay valid (unresolved, no screen), one session per screen and quote date is enforced, an outcome must be
a known one, and the way down drops the columns and keeps the rows."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from core.db import migrate
from core.db.engine import create_db_engine


def test_upgrade_keeps_old_rows_then_enforces_the_record_and_downgrades(backend, empty_database_url):
    url = empty_database_url(backend)
    migrate.upgrade(url, "0011")
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO scan_sessions (id, strategy) VALUES ('s1', 'csp')"))
            conn.execute(
                text(
                    "INSERT INTO opportunity_snapshots (opportunity_id, symbol, strategy_type, data, expires_at, "
                    "scan_session_id) VALUES ('o1', 'SPY', 'csp', '{}', CURRENT_TIMESTAMP, 's1')"
                )
            )
        migrate.upgrade(url)
        with engine.begin() as conn:
            assert conn.execute(text("SELECT outcome, pnl FROM opportunity_snapshots")).one() == (None, None)
            assert conn.execute(text("SELECT screen_name, quote_date FROM scan_sessions")).one() == (None, None)
            conn.execute(
                text("INSERT INTO scan_sessions (id, strategy, screen_name, quote_date) VALUES ('s2', 'csp', 'w', :d)"),
                {"d": "2026-12-01"},
            )
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(
                text("INSERT INTO scan_sessions (id, strategy, screen_name, quote_date) VALUES ('s3', 'csp', 'w', :d)"),
                {"d": "2026-12-01"},
            )
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("UPDATE opportunity_snapshots SET outcome = 'won'"))
        migrate.downgrade(url, "0011")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM scan_sessions")).scalar() == 2
            assert conn.execute(text("SELECT count(*) FROM opportunity_snapshots")).scalar() == 1
        migrate.upgrade(url)
        assert migrate.drift(url) is None
    finally:
        engine.dispose()

"""Saved screen names ignore case like every other name: a case variant is refused by the service with the name
it clashes with, and by the database's unique index when a writer forgets to check (migration 0010 renames
variants already stored, then builds the index)."""

from __future__ import annotations

import pytest
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError

from core.db import migrate
from core.db.engine import create_db_engine
from core.db.models import Setting
from core.premiums import service
from core.premiums.filters import PremiumFilters
from core.premiums.service import ScreenError
from tests.support.actors import TRADER

CALLS = PremiumFilters(strategy="cc")


def test_a_case_variant_of_a_saved_screen_is_refused(committed_engine):
    service.save_screen(committed_engine, TRADER, "Wheel TV", CALLS)
    with pytest.raises(ScreenError, match=r"'Wheel TV' already exists \(names ignore case\)"):
        service.save_screen(committed_engine, TRADER, "wheel tv", PremiumFilters())
    assert service.screen_names(committed_engine, TRADER) == ["Wheel TV"]
    assert service.load_screen(committed_engine, TRADER, "Wheel TV") == CALLS  # nothing stored was lost
    service.save_screen(committed_engine, TRADER, "Wheel TV", PremiumFilters())  # its own name: replaced
    service.save_screen(committed_engine, TRADER, "Wheel TV 2", CALLS)  # another name: fine
    assert service.screen_names(committed_engine, TRADER) == ["Wheel TV", "Wheel TV 2"]


def test_the_database_refuses_a_case_variant_itself(committed_engine):
    with committed_engine.begin() as conn:
        conn.execute(insert(Setting).values(key="screen:Wheel TV", value={}))
    with pytest.raises(IntegrityError), committed_engine.begin() as conn:
        conn.execute(insert(Setting).values(key="screen:WHEEL tv", value={}))


def test_upgrade_renames_stored_case_variants_then_refuses_them(backend, empty_database_url, caplog):
    url = empty_database_url(backend)
    migrate.upgrade(url, "0009")
    engine = create_db_engine(url)
    try:
        with engine.begin() as conn:
            for n, key in enumerate(("screen:Wheel TV", "screen:wheel tv", "screen:WHEEL TV", "screen:wheel tv (2)")):
                conn.execute(
                    text("INSERT INTO settings (key, value, updated_at) VALUES (:k, '{}', :t)"),
                    {"k": key, "t": f"2026-12-0{n + 1} 00:00:00"},
                )
        with caplog.at_level("WARNING"):
            migrate.upgrade(url)
        with engine.begin() as conn:
            keys = [r[0] for r in conn.execute(text("SELECT key FROM settings ORDER BY updated_at"))]
        assert keys == ["screen:Wheel TV", "screen:wheel tv (3)", "screen:WHEEL TV (4)", "screen:wheel tv (2)"]
        assert "'screen:wheel tv' renamed to 'screen:wheel tv (3)'" in caplog.text
        with pytest.raises(IntegrityError), engine.begin() as conn:
            conn.execute(text("INSERT INTO settings (key, value) VALUES ('screen:wheel TV', '{}')"))
        migrate.downgrade(url, "0009")
        with engine.begin() as conn:  # the downgrade drops the index and keeps the names
            conn.execute(text("INSERT INTO settings (key, value) VALUES ('screen:wheel TV', '{}')"))
    finally:
        engine.dispose()

"""Fixtures for the dashboard's AppTest tests: open a page against a database as a signed-in user, seed a demo."""

from __future__ import annotations

import secrets
import uuid
from functools import cache

import pytest
import streamlit as st
from sqlalchemy.exc import DBAPIError
from streamlit.testing.v1 import AppTest

from core.config import get_settings
from tests.conftest import REPO_ROOT

DOWN_URL = "postgresql+psycopg2://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1
DEMO_SYMBOLS = 20
TEST_PASSWORD = "correct horse battery staple"


@cache
def _test_password_hash() -> str:
    from core.auth.passwords import hash_password

    return hash_password(TEST_PASSWORD)  # argon2 is slow on purpose: once per test run


def signed_in(app: AppTest, url: str, role: str = "admin", username: str | None = None) -> AppTest:
    """Sign a new user with `role` (or `username`) into `app` before its first run: one line per existing test.

    The user and session are real rows made by core.auth. When the database cannot be used (down, never
    migrated) the app gets a token that cannot validate, as a signed-in user would when the database goes away:
    the page must then show the database's problem.
    """
    from core.auth import Client, Role
    from core.auth.sessions import open_session
    from core.auth.users import add_user, find_user
    from core.db.base import utcnow
    from core.db.engine import DatabaseError, get_engine, unit_of_work
    from ui.auth import TOKEN_KEY

    try:
        with unit_of_work(get_engine(url), write=True) as session:
            user = find_user(session, username) if username else None
            if user is None:
                name = username or f"test-{role}-{uuid.uuid4().hex[:8]}"
                user = add_user(session, name, _test_password_hash(), Role(role))
            token = open_session(session, user, Client(), utcnow())
    except (DatabaseError, DBAPIError):
        token = secrets.token_urlsafe(32)
    app.session_state[TOKEN_KEY] = token
    return app


@pytest.fixture
def open_page(monkeypatch):
    """open_page(url, "pages/premiums.py") -> the page run once against `url` by a signed-in admin (caches
    cleared first); `role="viewer"` signs in someone else, `role=None` no one."""

    def open_with(url: str, page: str = "dashboard.py", role: str | None = "admin") -> AppTest:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("MARKET_DATA_PROVIDER", "synthetic")
        get_settings.cache_clear()
        st.cache_data.clear()
        app = AppTest.from_file(str(REPO_ROOT / page), default_timeout=60)
        return (signed_in(app, url, role) if role else app).run()

    yield open_with
    get_settings.cache_clear()
    st.cache_data.clear()


@pytest.fixture
def demo_url(committed_engine, db_url, monkeypatch):
    """A database holding a small synced demo (20 symbols, two weeks of history, three watchlists)."""
    from core.demo import run_demo

    monkeypatch.setenv("MARKET_DATA_PROVIDER", "synthetic")
    get_settings.cache_clear()
    result = run_demo(committed_engine, n_symbols=DEMO_SYMBOLS, history_weeks=2)
    assert result.status == "completed"
    return db_url


def no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)

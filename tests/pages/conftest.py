"""Fixtures for the dashboard's AppTest tests: open a page against a database as a signed-in user, seed a demo."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from functools import cache

import pytest
import streamlit as st
from sqlalchemy import select, text
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
        app = (signed_in(app, url, role) if role else app).run()
        assert_tables_read_well(app)
        return app

    yield open_with
    get_settings.cache_clear()
    st.cache_data.clear()


def assert_tables_read_well(app: AppTest) -> None:
    """Every table on a page shows a missing value as a dash, never the word "None" (or "nan") as if it were data.

    Checked on every page any test opens, so a new table (or a new column of an old one) is held to it too.
    """
    from ui.tables import MISSING

    for table in app.dataframe:
        assert table.proto.placeholder == MISSING, "a table drawn without ui.tables.show"
        frame = table.value
        text = frame.select_dtypes(include=["object", "str"]).astype(str)
        words = text.isin(["None", "nan", "NaN", "NaT", "<NA>"])
        assert not words.any().any(), f"missing values written out as words: {frame[words.any(axis=1)].head()}"


@pytest.fixture(scope="session")
def _demo_copies() -> dict:
    """db_url -> (when it was made, every table's rows): the demo, made once per test process and backend."""
    return {}


@pytest.fixture
def demo_url(committed_engine, db_url, monkeypatch, _demo_copies):
    """A database holding a small synced demo (20 symbols, two weeks of history, three watchlists).

    The first test of a process runs the real `run_demo`; later ones get a copy of its rows (the database is
    emptied after every test), with every timestamp moved forward by the time since, so the copy is the demo as
    if it had just run: ages, freshness and "last synced" read the same. About 40 page tests use it.
    """
    from core.demo import run_demo

    monkeypatch.setenv("MARKET_DATA_PROVIDER", "synthetic")
    get_settings.cache_clear()
    if db_url in _demo_copies:
        _restore(committed_engine, *_demo_copies[db_url])
    else:
        result = run_demo(committed_engine, n_symbols=DEMO_SYMBOLS, history_weeks=2)
        assert result.status == "completed"
        _demo_copies[db_url] = _rows_of(committed_engine)
    return db_url


def _rows_of(engine) -> tuple[dt.datetime, dict]:
    from core.db.base import utcnow
    from core.db.models import Base

    with engine.connect() as conn:
        taken = utcnow()
        return taken, {t: [dict(r._mapping) for r in conn.execute(select(t))] for t in Base.metadata.sorted_tables}


def _restore(engine, taken: dt.datetime, tables: dict) -> None:
    from core.db.base import utcnow

    shift = utcnow() - taken
    with engine.begin() as conn:
        for table, rows in tables.items():
            if not rows:
                continue
            stamps = [c.name for c in table.columns if _python_type(c) is dt.datetime]
            conn.execute(
                table.insert(),
                [{**row, **{c: row[c] + shift for c in stamps if row[c] is not None}} for row in rows],
            )
            if engine.dialect.name == "postgresql":
                _move_sequence_past(conn, table)


def _python_type(column) -> type | None:
    try:
        return column.type.python_type
    except NotImplementedError:
        return None


def _move_sequence_past(conn, table) -> None:
    """The emptying restarted PostgreSQL's sequences: move an integer key's past the restored rows."""
    keys = list(table.primary_key.columns)
    column = keys[0]
    if len(keys) == 1 and _python_type(column) is int:  # setval(NULL, ...) is a no-op where the key has no sequence
        sequence = "pg_get_serial_sequence(:table, :column)"
        conn.execute(
            text(f'SELECT setval({sequence}, (SELECT max("{column.name}") FROM "{table.name}"))'),
            {"table": table.name, "column": column.name},
        )


def no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)

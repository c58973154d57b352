"""The dashboard's database: one cached engine for the configured URL, and the one place a database failure
becomes a message. Pages get the engine here and pass it to their feature's core service."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from core.config import get_settings
from core.operations.database import (
    FAILURES,
    Engine,
    describe_failure,
    describe_url,
    get_engine,
    require_current_schema,
)

HINT = (
    "Check `DATABASE_URL` (or start the database), then run `python -m core db upgrade`; "
    "`make run` does both and seeds a demo."
)


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    return get_engine(url)


def database_url() -> str:
    return get_settings().database_url


def engine() -> Engine:
    """The process-wide engine for the configured database (cached: never a session)."""
    return _engine(database_url())


def show_database_error(exc: BaseException) -> None:
    """Say in one line what is wrong with the database, with what to do, and stop this run."""
    try:
        current = engine()
    except FAILURES:  # the URL itself is what is wrong
        current = None
    st.error(describe_failure(exc, current), icon=":material/database_off:")
    st.info(HINT)
    st.stop()


@contextmanager
def database_guard() -> Iterator[None]:
    """Turn a database or configuration failure anywhere in the block into a clear message, not a traceback."""
    try:
        yield
    except FAILURES as exc:  # a missing table says "run db upgrade", not "no such table: user_sessions"
        show_database_error(exc)


def require_database() -> Engine:
    """The engine, once the database answers and has the current schema; otherwise a message and stop."""
    with database_guard():
        current = engine()
        require_current_schema(current)
        return current


def masked_url() -> str:
    try:
        return describe_url(database_url())
    except Exception:  # a URL so broken it cannot even be masked: show nothing rather than leak it
        return "(unreadable DATABASE_URL)"

"""The dashboard's database: one cached engine per URL, and the one place database errors become a message."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from core.config import ConfigError, get_settings
from core.db.engine import DatabaseError, describe_url, first_line, get_engine
from core.db.migrate import require_current_schema

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
    if isinstance(exc, DBAPIError):
        message = f"The database cannot be used right now: {first_line(exc)}"
    else:
        message = f"The database cannot be used: {exc}"
    st.error(message, icon=":material/database_off:")
    st.info(HINT)
    st.stop()


def _schema_problem() -> DatabaseError | None:
    """Why the database's schema is not the one this code expects (e.g. never migrated), or None."""
    try:
        require_current_schema(engine())
    except DatabaseError as exc:
        return exc
    except (ConfigError, DBAPIError):
        return None
    return None


@contextmanager
def database_guard() -> Iterator[None]:
    """Turn a database or configuration failure anywhere in the block into a clear message, not a traceback."""
    try:
        yield
    except (DatabaseError, ConfigError) as exc:
        show_database_error(exc)
    except DBAPIError as exc:  # a missing table says "run db upgrade", not "no such table: user_sessions"
        show_database_error(_schema_problem() or exc)


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

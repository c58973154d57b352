"""The dashboard's door to its database: ui/ and pages/ import neither SQLAlchemy nor core.db, so what they need
of them (an engine per URL, the schema check, a masked URL, and any database failure told in one line) is here."""

from __future__ import annotations

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from core.config import ConfigError
from core.db.engine import DatabaseError, describe_url, first_line, get_engine
from core.db.migrate import require_current_schema

FAILURES = (DatabaseError, ConfigError, DBAPIError)  # what a page turns into a message instead of a traceback


def describe_failure(exc: BaseException, engine: Engine | None = None) -> str:
    """One line for a person: what is wrong with the database (the driver's first line, never SQL or secrets).

    A driver error on a database whose schema is missing or old (`no such table: user_sessions`) is told as
    that, with what to do, when `engine` is given.
    """
    if isinstance(exc, DBAPIError):
        problem = schema_problem(engine) if engine is not None else None
        if problem is not None:
            return f"The database cannot be used: {problem}"
        return f"The database cannot be used right now: {first_line(exc)}"
    return f"The database cannot be used: {exc}"


def schema_problem(engine: Engine) -> DatabaseError | None:
    """Why the database's schema is not the one this code expects (never migrated, or older), or None."""
    try:
        require_current_schema(engine)
    except DatabaseError as exc:
        return exc
    except (ConfigError, DBAPIError):
        return None
    return None


__all__ = [
    "FAILURES",
    "Engine",  # for type annotations in ui/ and pages/
    "describe_failure",
    "describe_url",
    "get_engine",
    "require_current_schema",
    "schema_problem",
]

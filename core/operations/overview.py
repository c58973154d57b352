"""What the dashboard's overview shows: which database, its schema revision and table counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from core.db import migrate
from core.db.engine import DatabaseError, check_connection, describe_url
from core.db.inspect import table_counts


@dataclass(frozen=True)
class DatabaseOverview:
    database: str
    revision: str | None = None
    tables: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def database_overview(engine: Engine) -> DatabaseOverview:
    """Describe the database behind `engine`; one that cannot be reached comes back with `error` set."""
    database = describe_url(engine.url)
    try:
        check_connection(engine)
        return DatabaseOverview(database, migrate.revision_of(engine), table_counts(engine))
    except DatabaseError as exc:
        return DatabaseOverview(database, error=str(exc))


__all__ = ["DatabaseOverview", "database_overview"]

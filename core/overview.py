"""What the dashboard's overview shows: which database, its schema revision and table counts."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.db import migrate
from core.db.engine import DatabaseError, check_connection, describe_url, get_engine
from core.db.inspect import table_counts


@dataclass(frozen=True)
class DatabaseOverview:
    database: str
    revision: str | None = None
    tables: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def database_overview(url: str) -> DatabaseOverview:
    """Describe the database at `url`; a database that cannot be reached comes back with `error` set."""
    try:
        engine = get_engine(url)
        check_connection(engine)
        return DatabaseOverview(describe_url(url), migrate.current_revision(url), table_counts(engine))
    except DatabaseError as exc:
        return DatabaseOverview(describe_url(url) if "://" in url else url, error=str(exc))

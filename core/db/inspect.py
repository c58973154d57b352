"""Read-only facts about a database: which tables exist and how many rows each holds."""

from __future__ import annotations

from sqlalchemy import Engine, func, inspect, select

from core.db.models import Base


def table_counts(engine: Engine) -> dict[str, int]:
    """Row count of every Wheelhouse table present in the database, by table name (sorted)."""
    present = set(inspect(engine).get_table_names())
    counts: dict[str, int] = {}
    with engine.connect() as conn:
        for name, table in sorted(Base.metadata.tables.items()):
            if name in present:
                counts[name] = conn.execute(select(func.count()).select_from(table)).scalar_one()
    return counts

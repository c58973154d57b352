"""Database access: engine, unit of work, models."""

from core.db.engine import DatabaseError, get_engine, unit_of_work

__all__ = ["DatabaseError", "get_engine", "unit_of_work"]

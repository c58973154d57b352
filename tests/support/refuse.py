"""A real database refusing a row: a trigger that raises, on SQLite and PostgreSQL alike.

Why a trigger: the queue must survive any per-chunk database error -- a string the driver cannot store, a value
over a column's size, a constraint -- and a test cannot rely on one value the sanitiser might one day catch. The
trigger is the database itself saying no, so no code path is mocked.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from sqlalchemy import Engine, text


@contextlib.contextmanager
def refusing(engine: Engine, table: str, event: str, condition: str, name: str = "wh_refuse") -> Iterator[None]:
    """While inside: `event` ('INSERT' or 'UPDATE') on `table` raises when `condition` (SQL on NEW) holds."""
    message = f"refused by the test trigger {name}"
    if engine.dialect.name == "postgresql":
        create = [
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF {condition} THEN RAISE EXCEPTION '{message}' USING ERRCODE = 'check_violation'; END IF; "
            "RETURN NEW; END $$",
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()",
        ]
        drop = [f"DROP TRIGGER IF EXISTS {name} ON {table}", f"DROP FUNCTION IF EXISTS {name}()"]
    else:
        create = [
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} WHEN {condition} "
            f"BEGIN SELECT RAISE(ABORT, '{message}'); END"
        ]
        drop = [f"DROP TRIGGER IF EXISTS {name}"]
    with engine.begin() as conn:
        for statement in create:
            conn.execute(text(statement))
    try:
        yield
    finally:
        with engine.begin() as conn:
            for statement in drop:
                conn.execute(text(statement))

"""Alembic environment: the same settings and engine code as the app, so migrations hit the same database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from logging.config import fileConfig

from alembic import context

from core.config import get_settings
from core.db.base import UTCDateTime
from core.db.engine import create_db_engine
from core.db.models import Base

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logging", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata


def render_item(type_, obj, autogen_context):
    """Render our UTC timestamp type as the plain column type it is in the database."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _configure(**kwargs) -> None:
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite can only ALTER by copying the table; batch mode does that for us
        compare_type=True,
        compare_server_default=False,
        render_item=render_item,
        **kwargs,
    )


def run_migrations_offline() -> None:
    url = config.attributes.get("database_url") or get_settings().database_url
    _configure(url=url, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection=connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.attributes.get("database_url") or get_settings().database_url
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn, _sqlite_foreign_keys_off(conn):
            _configure(connection=conn)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


@contextmanager
def _sqlite_foreign_keys_off(conn) -> Iterator[None]:
    """On SQLite, run the migrations with foreign keys off, then check them.

    Batch mode alters a SQLite table by copying it and dropping the original, and with foreign keys on, that
    DROP deletes every row that references the table through ON DELETE CASCADE (all of an account's positions
    when `trading_accounts` gains a column). The pragma only takes effect outside a transaction, so it is set on
    the driver connection before Alembic begins one; `foreign_key_check` afterwards proves nothing dangles.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.dbapi_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration left rows with broken foreign keys: {broken[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

"""Alembic environment: the same settings and engine code as the app, so migrations hit the same database."""

from __future__ import annotations

import warnings
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

# SQLite cannot reflect expression indexes (uq_users_username_lower), so SQLAlchemy and Alembic say so on every
# batch rebuild and `db check`. Known and tested on PostgreSQL, which compares them; the notice is only noise.
warnings.filterwarnings("ignore", message="autogenerate skipping metadata-specified expression-based index")
warnings.filterwarnings("ignore", message="Skipped unsupported reflection of expression-based index")


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


def _run(conn) -> None:
    """Run the migrations on `conn`; on SQLite with its foreign keys off, checked afterwards.

    Batch mode rebuilds a SQLite table by copying it and dropping the original; with foreign keys on, that DROP
    first deletes every row through the referencing tables' ON DELETE CASCADE / SET NULL (rebuilding `users`
    would delete every trading account). SQLite only switches foreign keys outside a transaction, so it is done
    on the driver connection before Alembic begins one; `foreign_key_check` then proves nothing was broken.
    """
    sqlite = conn.dialect.name == "sqlite" and not conn.in_transaction()
    if sqlite:
        conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    try:
        _configure(connection=conn)
        with context.begin_transaction():
            context.run_migrations()
            if sqlite:
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"migration left rows with dangling foreign keys: {broken[:5]}")
    finally:
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.attributes.get("database_url") or get_settings().database_url
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            _run(conn)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()

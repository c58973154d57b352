"""One engine per process and a unit of work per click, job or symbol.

SQLite runs with foreign keys on (so documented cascades really happen), WAL (readers never block the
sidecar's writer) and a busy timeout (a writer waits for the lock instead of failing at once).
PostgreSQL connections are pre-pinged so a restarted server costs one retry, not a broken page.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from core.config import get_settings

SQLITE_BUSY_TIMEOUT_MS = 30_000

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


class DatabaseError(RuntimeError):
    """A database problem worth one clear line to the user (bad URL, server down), not a traceback."""


def first_line(exc: BaseException) -> str:
    """The first line of what the database driver said (a DBAPIError's `orig`), else of the exception itself.

    Drivers put the useful part first ("connection refused", "duplicate key value ...") and follow it with
    SQL, parameters and hints that do not belong in a one-line message or a log field.
    """
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def parse_database_url(url: str) -> URL:
    """Parse and sanity-check a database URL, or raise `DatabaseError` saying what is wrong."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        # The text is not echoed: a malformed URL may still hold a password.
        raise DatabaseError(
            "malformed database URL: expected e.g. sqlite:///data/wheelhouse.db "
            "or postgresql+psycopg2://user@host:5432/dbname"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):  # SQLAlchemy 2.1 would pick psycopg 3, not installed
        parsed = parsed.set(drivername="postgresql+psycopg2")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise DatabaseError(f"unsupported database {parsed.get_backend_name()!r}: use sqlite or postgresql")
    return parsed


def describe_url(url: str | URL) -> str:
    """The URL with any password masked, for logs and the sidebar."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # Let SQLAlchemy, not the pysqlite driver, decide when transactions begin (see _sqlite_begin): the
    # driver's own implicit BEGIN breaks SAVEPOINT and transactional DDL.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


WRITE_OPTION = "wheelhouse_write"  # execution option: this transaction will write (SQLite: take the lock now)


def _sqlite_begin(conn) -> None:
    # A deferred transaction that reads and then writes fails at once with "database is locked" when another
    # writer committed in between (SQLite cannot upgrade a stale snapshot, and the busy timeout does not
    # apply); a transaction that says it will write takes the write lock up front and waits its turn instead.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE_OPTION) else "BEGIN")


def _sqlite_begin_immediate(conn) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_db_engine(url: str, *, sqlite_immediate: bool = False) -> Engine:
    """A new engine for `url` with Wheelhouse's connection settings (most callers want `get_engine`).

    `sqlite_immediate` makes every SQLite transaction take the write lock when it begins (the sidecar, whose
    threads all write): a deferred transaction that reads and then writes fails at once with "database is
    locked" when another writer got in between, because SQLite cannot wait on a stale snapshot.
    """
    parsed = parse_database_url(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin_immediate if sqlite_immediate else _sqlite_begin)
        else:
            # values_plus_batch: executemany of UPDATEs goes out in pages, not one round trip per row
            engine = create_engine(
                parsed,
                pool_pre_ping=True,
                pool_size=5,
                max_overflow=5,
                executemany_mode="values_plus_batch",
                connect_args={"connect_timeout": 10},
            )
    except (NoSuchModuleError, ImportError) as exc:
        raise DatabaseError(f"no driver for {describe_url(parsed)}: {exc}") from None
    return engine


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for `url` (default: the configured `DATABASE_URL`)."""
    url = url or get_settings().database_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = create_db_engine(url)
        return engine


def dispose_engines() -> None:
    """Close every pooled connection (tests, and the sidecar after a fork)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def check_connection(engine: Engine) -> None:
    """Raise `DatabaseError` with one readable line if the database cannot be reached."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        raise DatabaseError(f"cannot reach database {describe_url(engine.url)}: {first_line(exc)}") from None


@contextmanager
def unit_of_work(engine: Engine | None = None, *, write: bool = False) -> Iterator[Session]:
    """A session that commits when the block succeeds and rolls back when it raises; read-only unless `write`.

    Managers take this session and never commit themselves, so the caller decides what is atomic. Reading is
    the default: on SQLite a read never waits for the write lock (WAL: readers see the last commit while the
    sidecar writes), and on PostgreSQL the transaction is READ ONLY, so a write slipped into a read path fails
    loudly instead of working by accident. `write=True` is for writers: on SQLite their transaction begins
    IMMEDIATE, so it queues behind the sidecar instead of failing on a stale snapshot.
    """
    engine = engine or get_engine()
    if write:
        engine = engine.execution_options(**{WRITE_OPTION: True})
    elif engine.dialect.name == "postgresql":
        engine = engine.execution_options(postgresql_readonly=True)  # reset when the connection is returned
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()

"""Fixtures every test package shares: the shared market-data folder and the two database backends."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


# argon2id at its production cost takes most of a second a hash, and the sign-in and throttle tests verify dozens
# of passwords. The suite hashes with the cheapest cost argon2 allows instead, through the same settings an
# operator would use (processes the tests start inherit it); tests/auth/test_passwords.py checks the production
# default and that the settings are obeyed. These differ from test_passwords' "old" parameters on purpose.
TEST_PASSWORD_COST = {
    "PASSWORD_HASH_TIME_COST": "1",
    "PASSWORD_HASH_MEMORY_KIB": "1024",
    "PASSWORD_HASH_PARALLELISM": "1",
}
for _name, _value in TEST_PASSWORD_COST.items():
    os.environ.setdefault(_name, _value)


# ---- the fast loop --------------------------------------------------------------------------------------
# `make test-fast` deselects `slow` (a test that starts another process: the sandbox, the sidecar, the dashboard,
# `python -m core`), `postgres` and `browser`. Rather than trust every module to be marked, a fast run refuses to
# start a process: a test that does fails and names the mark it needs, so the next such test is marked too.


def _fast_run(config: pytest.Config) -> bool:
    return "not slow" in (config.getoption("markexpr") or "")


@pytest.fixture(autouse=True)
def _fast_tests_start_no_process(request, monkeypatch):
    if not _fast_run(request.config):
        yield
        return
    import subprocess

    def refuse(self, args, *rest, **kw):
        pytest.fail(
            f"{request.node.nodeid} starts a process ({args!r:.80}): mark it `slow` (pytestmark = pytest.mark.slow)",
            pytrace=False,
        )

    monkeypatch.setattr(subprocess.Popen, "_execute_child", refuse)
    yield


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data` beside the repo (real market data recorded by others; see its SOURCES.md).

    A user's fresh clone does not have it, so tests skip there; CI has it, so under CI=true it must exist.
    """
    if not SHARED_DATA.is_dir():
        if IN_CI:
            pytest.fail(f"CI=true but the shared market data folder is missing: {SHARED_DATA}")
        pytest.skip("../shared/data is not beside this clone (recorded market data used as fixtures)")
    return SHARED_DATA


# ---- databases -------------------------------------------------------------------------------------------
# Every database behaviour is tested on SQLite and PostgreSQL through the `backend` parameter. Each test
# session migrates a private database once per backend (a temporary SQLite file; a PostgreSQL database
# created from TEST_DATABASE_URL's server and dropped at the end), so concurrent runs never collide.

DEFAULT_TEST_PG = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")


def _postgres_server_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_PG)


def _create_private_pg_database() -> tuple[str, Callable[[], None]]:
    """Create a throwaway database on the test server; return its URL and a function that drops it."""
    from core.db.engine import DatabaseError, check_connection, create_db_engine

    server = make_url(_postgres_server_url())
    admin = create_db_engine(server.render_as_string(hide_password=False))
    try:
        check_connection(admin)
    except DatabaseError as exc:
        admin.dispose()
        message = f"PostgreSQL test database unreachable ({exc}); set TEST_DATABASE_URL or start PostgreSQL"
        if IN_CI:
            pytest.fail(f"CI=true requires PostgreSQL: {message}", pytrace=False)
        pytest.skip(message)
    name = f"wh_test_{uuid.uuid4().hex[:12]}"
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        from core.db.engine import dispose_engines

        dispose_engines()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server.set(database=name).render_as_string(hide_password=False), drop


@pytest.fixture(scope="session")
def empty_database_url(tmp_path_factory):
    """Factory: a brand-new, unmigrated database URL for a backend (for migration tests)."""
    drops = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'empty.db'}"
        url, drop = _create_private_pg_database()
        drops.append(drop)
        return url

    yield make
    for drop in drops:
        drop()


@pytest.fixture(scope="session")
def migrated_urls(tmp_path_factory):
    """backend -> URL of a database migrated to head, created lazily once per test session."""
    from core.db import migrate

    urls: dict[str, str] = {}
    drops = []

    def get(backend: str) -> str:
        if backend not in urls:
            if backend == "sqlite":
                url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'wheelhouse.db'}"
            else:
                url, drop = _create_private_pg_database()
                drops.append(drop)
            migrate.upgrade(url)
            urls[backend] = url
        return urls[backend]

    yield get
    for drop in drops:
        drop()


@pytest.fixture(
    params=[pytest.param(name, marks=[pytest.mark.postgres] if name == "postgresql" else []) for name in BACKENDS]
)
def backend(request) -> str:
    return request.param


@pytest.fixture
def db_url(backend, migrated_urls) -> str:
    return migrated_urls(backend)


@pytest.fixture
def engine(db_url):
    from core.db.engine import get_engine

    return get_engine(db_url)


@pytest.fixture
def session(engine):
    """A session inside an outer transaction that is rolled back after the test (savepoints inside)."""
    from sqlalchemy.orm import Session

    with engine.connect() as conn:
        outer = conn.begin()
        sess = Session(bind=conn, join_transaction_mode="create_savepoint", expire_on_commit=False)
        try:
            yield sess
        finally:
            sess.close()
            outer.rollback()


@pytest.fixture
def committed_engine(engine):
    """The migrated database for tests that need real commits across connections; emptied afterwards."""
    yield engine
    from core.db.models import Base

    with engine.begin() as conn:
        names = [t.name for t in reversed(Base.metadata.sorted_tables)]
        if engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))
        else:
            for name in names:
                conn.execute(text(f'DELETE FROM "{name}"'))

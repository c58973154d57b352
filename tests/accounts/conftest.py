"""Fixtures for the accounts tests: a private key file, secret keys per backend, local OpenAlgo servers, owners."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from core.auth import LOCAL_OPERATOR
from core.config import get_settings
from core.db.engine import unit_of_work
from tests import factories
from tests.servers.openalgo import OpenAlgoServer


@pytest.fixture(autouse=True)
def key_file(tmp_path, monkeypatch):
    """Every test gets its own key-file location (never the user's ~/.config) and no configured key."""
    path = tmp_path / "config" / "wheelhouse" / "secret.key"
    monkeypatch.setenv("WHEELHOUSE_SECRET_KEY_FILE", str(path))
    monkeypatch.delenv("WHEELHOUSE_SECRET_KEY", raising=False)
    get_settings.cache_clear()
    yield path
    get_settings.cache_clear()


@pytest.fixture
def set_secret_keys(monkeypatch):
    """Set WHEELHOUSE_SECRET_KEY to these keys (newest first) for the rest of the test."""

    def set_keys(*keys: str) -> None:
        monkeypatch.setenv("WHEELHOUSE_SECRET_KEY", ",".join(keys))
        get_settings.cache_clear()

    return set_keys


@pytest.fixture
def db(committed_engine, backend, set_secret_keys):
    """A migrated database of each backend; PostgreSQL needs WHEELHOUSE_SECRET_KEY, SQLite uses the key file."""
    if backend == "postgresql":
        set_secret_keys(Fernet.generate_key().decode())
    return committed_engine


@pytest.fixture
def make_user(db):
    def make(username: str = "alice", **kw):
        with unit_of_work(db, write=True) as session:
            user = factories.user(session, username=username, email=f"{username}@example.com", **kw)
            return user.id

    return make


@pytest.fixture
def servers():
    """Start local OpenAlgo servers on demand; all are stopped at the end."""
    started: list[OpenAlgoServer] = []

    def start(broker: str = "zerodha") -> OpenAlgoServer:
        server = OpenAlgoServer(broker=broker).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def openalgo(servers) -> OpenAlgoServer:
    return servers()


@pytest.fixture
def add_account(db):
    """Store an account pointing at a local server (service layer, no connection test)."""
    from core.accounts import service

    def add(name: str, server: OpenAlgoServer, owner: str = "alice", **kw):
        return service.add_account(
            db,
            LOCAL_OPERATOR,
            name=name,
            broker=server.book.broker,
            owner=owner,
            host=server.url,
            api_key=server.api_key,
            **kw,
        )

    return add

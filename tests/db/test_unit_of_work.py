"""unit_of_work: read-only unless asked to write, and a writer's work commits (or rolls back) as one."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError

from core.db.engine import unit_of_work
from core.db.models import Setting


def test_a_write_on_a_read_path_fails_on_postgresql(backend, committed_engine):
    if backend != "postgresql":
        pytest.skip("PostgreSQL enforces READ ONLY transactions; SQLite reads only skip the write lock")
    with pytest.raises(DBAPIError, match="read-only transaction"), unit_of_work(committed_engine) as session:
        session.add(Setting(key="sneaked", value={}))
        session.flush()
    with unit_of_work(committed_engine) as session:
        assert session.get(Setting, "sneaked") is None


def test_a_writer_commits_on_success_and_rolls_back_on_error(committed_engine):
    with unit_of_work(committed_engine, write=True) as session:
        session.add(Setting(key="kept", value={"n": 1}))
    with pytest.raises(RuntimeError), unit_of_work(committed_engine, write=True) as session:
        session.add(Setting(key="dropped", value={"n": 2}))
        session.flush()
        raise RuntimeError("the click failed half way")
    with unit_of_work(committed_engine) as session:
        assert session.scalars(select(Setting.key).where(Setting.key.in_(["kept", "dropped"]))).all() == ["kept"]
    # a read-only unit of work after a writer on the same pooled connection is read-only again
    if committed_engine.dialect.name == "postgresql":
        with pytest.raises(DBAPIError), unit_of_work(committed_engine) as session:
            session.add(Setting(key="after", value={}))
            session.flush()

"""Helpers for the sign-in tests: users made through the real service, and a clock the tests move by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from core.auth import LOCAL_OPERATOR
from core.auth.users import create_user

PASSWORD = "correct horse battery staple"
T0 = dt.datetime(2026, 12, 1, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def make_user(committed_engine):
    """make_user("alice", "trader") -> UserInfo, created by the local operator with PASSWORD."""

    def make(name: str, role: str = "viewer", password: str = PASSWORD, email: str | None = None):
        return create_user(committed_engine, LOCAL_OPERATOR, name, password, role, email)

    return make

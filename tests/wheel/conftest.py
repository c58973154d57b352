"""Fixtures for the wheel tests: the stored market and Alice's books on each backend, and her actor."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.auth import Actor, Role
from core.db.engine import unit_of_work
from core.db.models import User
from tests.wheel import market


@pytest.fixture
def wheel_db(committed_engine):
    with unit_of_work(committed_engine, write=True) as session:
        market.insert_market(session)
        market.insert_books(session)
    return committed_engine


@pytest.fixture
def alice(wheel_db) -> Actor:
    with unit_of_work(wheel_db) as session:
        user_id = session.scalar(select(User.id).where(User.username == "alice"))
    return Actor(user_id, "alice", Role.TRADER)


# The accounts tests' fixtures: a private key file, secret keys per backend, local OpenAlgo servers, owners.
from tests.accounts.conftest import (  # noqa: E402,F401
    add_account,
    db,
    key_file,
    make_user,
    openalgo,
    servers,
    set_secret_keys,
)

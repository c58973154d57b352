"""The first admin: `make run` on a database without users creates `admin` with a random password, shown once.

Nothing happens when any user exists, so running it on every start is safe; two starts racing each other
create one admin (the unique username decides) and only the winner prints a password.
"""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from core.auth import audit
from core.auth.errors import DuplicateUser
from core.auth.passwords import generate_password, hash_password
from core.auth.roles import LOCAL_OPERATOR, Role
from core.auth.users import add_user
from core.db.engine import unit_of_work
from core.db.models import User

FIRST_ADMIN = "admin"


def has_users(engine: Engine) -> bool:
    with unit_of_work(engine, write=False) as session:
        return bool(session.scalar(select(func.count()).select_from(User)))


def bootstrap_admin(engine: Engine) -> str | None:
    """Create the `admin` user with a random password when there is no user; return that password, else None."""
    if has_users(engine):
        return None
    password = generate_password()
    password_hash = hash_password(password)
    try:
        with unit_of_work(engine, write=True) as session:
            if session.scalar(select(func.count()).select_from(User)):
                return None
            add_user(session, FIRST_ADMIN, password_hash, Role.ADMIN)
            audit.record_activity(
                session,
                audit.USER_CREATE,
                actor=LOCAL_OPERATOR,
                target=f"user:{FIRST_ADMIN}",
                details={"role": "admin", "via": "bootstrap"},
            )
    except DuplicateUser:
        return None
    return password

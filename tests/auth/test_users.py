"""Users on both backends: case-insensitive names (in code and in the database), roles, disabling, the last
admin, password resets, and an activity row for each change."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.auth import LOCAL_OPERATOR, Actor, DuplicateUser, InvalidUser, PermissionDenied, Role, UnknownUser
from core.auth.users import create_user, list_users, reset_password, set_active, set_role
from core.db.engine import unit_of_work
from core.db.models import ActivityLog, User
from tests.auth.conftest import PASSWORD


def _log(engine) -> list[tuple]:
    with unit_of_work(engine, write=False) as session:
        rows = session.execute(
            select(ActivityLog.username, ActivityLog.action, ActivityLog.target).order_by(ActivityLog.id)
        )
        return [tuple(r) for r in rows]


def test_create_and_list_with_an_activity_row(committed_engine, make_user):
    made = make_user("Alice", "trader", email="Alice@Example.COM")
    assert (made.username, made.role, made.email, made.is_active) == ("Alice", Role.TRADER, "alice@example.com", True)
    assert [u.username for u in list_users(committed_engine, LOCAL_OPERATOR)] == ["Alice"]
    assert _log(committed_engine) == [("local operator", "user_create", "user:Alice")]
    with unit_of_work(committed_engine, write=False) as session:
        stored = session.scalar(select(User.password_hash))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_names_differing_only_by_case_are_one_user(committed_engine, make_user):
    make_user("alice")
    with pytest.raises(DuplicateUser, match="a user named 'alice' already exists"):
        make_user("ALICE")
    # The database refuses it too, for a writer that skips the check.
    with pytest.raises(IntegrityError), unit_of_work(committed_engine, write=True) as session:
        session.add(User(username="Alice", password_hash="x", role="viewer"))
    assert len(list_users(committed_engine, LOCAL_OPERATOR)) == 1


@pytest.mark.parametrize(
    ("name", "role", "email", "error"),
    [
        ("", "viewer", None, "invalid username ''"),
        ("two words", "viewer", None, "invalid username"),
        ("bob", "owner", None, "unknown role 'owner'"),
        ("bob", "viewer", "not-an-email", "invalid email"),
    ],
)
def test_bad_input_is_one_clear_error_and_stores_nothing(committed_engine, make_user, name, role, email, error):
    with pytest.raises(InvalidUser, match=error):
        make_user(name, role, email=email)
    assert list_users(committed_engine, LOCAL_OPERATOR) == []


def test_only_admins_manage_users(committed_engine, make_user):
    trader = make_user("tom", "trader")
    actor = Actor(trader.id, trader.username, trader.role)
    with pytest.raises(PermissionDenied, match="tom \\(trader\\) cannot manage users"):
        create_user(committed_engine, actor, "eve", PASSWORD, "admin")
    with pytest.raises(PermissionDenied):
        set_role(committed_engine, actor, "tom", "admin")
    assert [u.role for u in list_users(committed_engine, LOCAL_OPERATOR)] == [Role.TRADER]


def test_role_change_disable_enable_reset_are_logged(committed_engine, make_user):
    make_user("ada", "admin")
    make_user("bob")
    assert set_role(committed_engine, LOCAL_OPERATOR, "BOB", "trader").role is Role.TRADER
    assert set_active(committed_engine, LOCAL_OPERATOR, "bob", False).is_active is False
    assert set_active(committed_engine, LOCAL_OPERATOR, "bob", True).is_active is True
    reset_password(committed_engine, LOCAL_OPERATOR, "bob", "another long passphrase")
    actions = [(a, t) for _, a, t in _log(committed_engine)][2:]
    assert actions == [
        ("role_change", "user:bob"),
        ("user_disable", "user:bob"),
        ("user_enable", "user:bob"),
        ("password_reset", "user:bob"),
    ]
    with unit_of_work(committed_engine, write=False) as session:
        assert session.scalar(select(User.is_admin).where(User.username == "bob")) is False


def test_the_last_active_admin_cannot_be_demoted_or_disabled(committed_engine, make_user):
    make_user("ada", "admin")
    with pytest.raises(InvalidUser, match="only active admin"):
        set_role(committed_engine, LOCAL_OPERATOR, "ada", "trader")
    with pytest.raises(InvalidUser, match="only active admin"):
        set_active(committed_engine, LOCAL_OPERATOR, "ada", False)
    make_user("root2", "admin")
    assert set_active(committed_engine, LOCAL_OPERATOR, "ada", False).is_active is False


def test_unknown_users_and_weak_passwords(committed_engine, make_user):
    with pytest.raises(UnknownUser, match="unknown user 'zed'"):
        set_role(committed_engine, LOCAL_OPERATOR, "zed", "viewer")
    make_user("bob")
    with pytest.raises(Exception, match="contains the username"):
        reset_password(committed_engine, LOCAL_OPERATOR, "bob", "bob-is-my-password")

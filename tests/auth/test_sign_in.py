"""Signing in on both backends: sessions that end when they should, throttling per username and per client,
failed attempts in the activity log, rehashing, and a disabled user refused."""

from __future__ import annotations

import datetime as dt

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from core.auth import LOCAL_OPERATOR, Client, Role, SessionEnded, SignInRefused
from core.auth.sessions import end_session, validate_session
from core.auth.sign_in import change_password, sign_in
from core.auth.users import reset_password, set_active, set_role
from core.db.engine import unit_of_work
from core.db.models import ActivityLog, SignInThrottle, User, UserSession
from tests.auth.conftest import PASSWORD, T0

HOME = Client("203.0.113.7", "pytest browser")


def _actions(engine, action=None) -> list[tuple]:
    query = select(ActivityLog.action, ActivityLog.username, ActivityLog.ip_address).order_by(ActivityLog.id)
    if action:
        query = query.where(ActivityLog.action == action)
    with unit_of_work(engine, write=False) as session:
        return [tuple(r) for r in session.execute(query)]


def test_sign_in_opens_a_session_that_stands_for_the_user(committed_engine, make_user):
    make_user("Alice", "trader")
    signed = sign_in(committed_engine, "ALICE", PASSWORD, HOME, now=T0)
    assert (signed.actor.username, signed.actor.role) == ("Alice", Role.TRADER)
    actor = validate_session(committed_engine, signed.token, HOME, now=T0 + dt.timedelta(minutes=5))
    assert (actor.user_id, actor.role, actor.client) == (signed.actor.user_id, Role.TRADER, HOME)
    with unit_of_work(committed_engine, write=False) as session:
        stored = session.scalar(select(UserSession))
        assert signed.token not in stored.token_hash and len(stored.token_hash) == 64
        assert stored.last_seen_at == T0 + dt.timedelta(minutes=5)  # touched: older than a minute
        assert session.scalar(select(User.last_login)) == T0
    assert _actions(committed_engine, "sign_in") == [("sign_in", "Alice", "203.0.113.7")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda e: set_role(e, LOCAL_OPERATOR, "bob", "trader"), "role was changed"),
        (lambda e: set_active(e, LOCAL_OPERATOR, "bob", False), "disabled"),
        (lambda e: reset_password(e, LOCAL_OPERATOR, "bob", "a brand new passphrase"), "password was changed"),
    ],
    ids=["role change", "disabled", "password reset"],
)
def test_changes_to_the_user_end_their_sessions(committed_engine, make_user, change, message):
    make_user("bob")
    token = sign_in(committed_engine, "bob", PASSWORD).token
    validate_session(committed_engine, token)
    change(committed_engine)
    with pytest.raises(SessionEnded, match=message):
        validate_session(committed_engine, token)


def test_sign_out_expiry_and_idleness_end_a_session(committed_engine, make_user):
    make_user("bob")
    signed_out = sign_in(committed_engine, "bob", PASSWORD, now=T0).token
    end_session(committed_engine, signed_out, HOME)
    with pytest.raises(SessionEnded, match="You signed out"):
        validate_session(committed_engine, signed_out, now=T0)
    assert _actions(committed_engine, "sign_out") == [("sign_out", "bob", "203.0.113.7")]

    token = sign_in(committed_engine, "bob", PASSWORD, now=T0).token
    with pytest.raises(SessionEnded, match="without activity") as idle:
        validate_session(committed_engine, token, now=T0 + dt.timedelta(hours=3))
    assert idle.value.reason == "idle"
    for hour in range(1, 12):  # active all day: never idle, but no longer than the session lifetime
        validate_session(committed_engine, token, now=T0 + dt.timedelta(hours=hour))
    with pytest.raises(SessionEnded, match="expired"):
        validate_session(committed_engine, token, now=T0 + dt.timedelta(hours=12, minutes=1))
    with pytest.raises(SessionEnded, match="no longer valid"):
        validate_session(committed_engine, "made-up-token")


def test_wrong_passwords_are_throttled_logged_and_then_locked(committed_engine, make_user):
    make_user("bob")
    now = T0
    for attempt in range(1, 4):  # three free failures
        with pytest.raises(SignInRefused, match="^Wrong username or password.$"):
            sign_in(committed_engine, "bob", f"wrong guess {attempt}", HOME, now=now)
    with pytest.raises(SignInRefused, match="Wrong username"):
        sign_in(committed_engine, "bob", "wrong guess 4", HOME, now=now)  # fourth: now held back 2 s
    with pytest.raises(SignInRefused, match="try again in 1 s"):
        sign_in(committed_engine, "bob", PASSWORD, HOME, now=now + dt.timedelta(seconds=1))  # even the right one
    delays = []
    for _ in range(5, 10):
        now += dt.timedelta(minutes=1)
        with pytest.raises(SignInRefused, match="Wrong username"):
            sign_in(committed_engine, "bob", "wrong again", HOME, now=now)
        with pytest.raises(SignInRefused, match="try again in") as held:
            sign_in(committed_engine, "bob", "wrong again", HOME, now=now)
        delays.append(str(held.value).rsplit("in ", 1)[1])
    assert delays == ["4 s.", "8 s.", "16 s.", "32 s.", "60 s."]  # a growing delay
    now += dt.timedelta(minutes=2)
    with pytest.raises(SignInRefused, match="Wrong username"):
        sign_in(committed_engine, "bob", "tenth wrong", HOME, now=now)
    with pytest.raises(SignInRefused, match="try again in 15 min"):  # locked out
        sign_in(committed_engine, "bob", PASSWORD, HOME, now=now)
    with pytest.raises(SignInRefused, match="try again in 60 s"):
        sign_in(committed_engine, "bob", PASSWORD, HOME, now=now + dt.timedelta(minutes=14))
    assert sign_in(committed_engine, "bob", PASSWORD, HOME, now=now + dt.timedelta(minutes=15)).actor.username == "bob"

    failed, throttled = _actions(committed_engine, "sign_in_failed"), _actions(committed_engine, "sign_in_throttled")
    assert len(failed) == 10 and set(failed) == {("sign_in_failed", "bob", "203.0.113.7")}
    assert len(throttled) == 8
    with unit_of_work(committed_engine, write=False) as session:  # the good password cleared the username's count
        assert session.scalars(select(SignInThrottle.scope)).all() == ["client"]


def test_one_client_guessing_many_usernames_is_held_back(committed_engine, make_user):
    make_user("bob")
    for n in range(10):  # ten different names: no username reaches its limit, the client does
        with pytest.raises(SignInRefused, match="Wrong username"):
            sign_in(committed_engine, f"user{n}", "some guess here", HOME, now=T0)
    with pytest.raises(SignInRefused, match="Wrong username"):
        sign_in(committed_engine, "bob", "eleventh guess", HOME, now=T0)
    with pytest.raises(SignInRefused, match="try again in 2 s"):
        sign_in(committed_engine, "bob", PASSWORD, HOME, now=T0)
    # Another computer is not held back by this one.
    assert sign_in(committed_engine, "bob", PASSWORD, Client("198.51.100.2"), now=T0).actor.username == "bob"
    unknown = _actions(committed_engine, "sign_in_failed")[0]
    assert unknown == ("sign_in_failed", "user0", "203.0.113.7")  # the attempted name is logged


def test_throttle_is_in_the_database_for_every_process(committed_engine, db_url, make_user):
    from core.db.engine import create_db_engine

    make_user("bob")
    for _ in range(4):
        with pytest.raises(SignInRefused):
            sign_in(committed_engine, "bob", "wrong guess here", HOME, now=T0)
    other = create_db_engine(db_url)  # a second dashboard process: its own engine and connections
    try:
        with pytest.raises(SignInRefused, match="try again"):
            sign_in(other, "bob", PASSWORD, Client("198.51.100.9"), now=T0)
    finally:
        other.dispose()


def test_a_disabled_user_is_refused(committed_engine, make_user):
    make_user("ada", "admin")
    make_user("bob")
    set_active(committed_engine, LOCAL_OPERATOR, "bob", False)
    with pytest.raises(SignInRefused, match="disabled"):
        sign_in(committed_engine, "bob", PASSWORD)
    with pytest.raises(SignInRefused, match="^Wrong username or password.$"):  # no hint without the password
        sign_in(committed_engine, "bob", "not the password")


def test_an_old_hash_is_upgraded_at_sign_in(committed_engine, make_user):
    make_user("bob")
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    with unit_of_work(committed_engine, write=True) as session:
        session.execute(update(User).values(password_hash=weak))
    sign_in(committed_engine, "bob", PASSWORD)
    with unit_of_work(committed_engine, write=False) as session:
        stored = session.scalar(select(User.password_hash))
    assert stored != weak and "$m=1024,t=1,p=1$" in stored  # the configured cost (the suite's: tests/conftest.py)
    assert sign_in(committed_engine, "bob", PASSWORD).actor.username == "bob"


def test_changing_ones_password_ends_other_sessions_and_keeps_this_one(committed_engine, make_user):
    make_user("bob")
    laptop = sign_in(committed_engine, "bob", PASSWORD)
    phone = sign_in(committed_engine, "bob", PASSWORD)
    with pytest.raises(SignInRefused, match="current password is wrong"):
        change_password(committed_engine, laptop.actor, "nope", "a brand new passphrase")
    with pytest.raises(Exception, match="too short"):
        change_password(committed_engine, laptop.actor, PASSWORD, "short")
    fresh = change_password(committed_engine, laptop.actor, PASSWORD, "a brand new passphrase")
    for old in (laptop.token, phone.token):
        with pytest.raises(SessionEnded, match="password was changed"):
            validate_session(committed_engine, old)
    assert validate_session(committed_engine, fresh).username == "bob"
    assert sign_in(committed_engine, "bob", "a brand new passphrase").actor.username == "bob"

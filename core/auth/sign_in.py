"""Signing in with a username and password, and changing one's own password.

A sign-in is refused with the same words whether the name is unknown or the password wrong (and takes as long:
an unknown name is verified against a dummy hash), so the form does not reveal who has an account. Every
refusal is logged and counted by the throttle; a success opens a session, clears the username's count, records
`last_login`, and upgrades the stored hash when the hashing parameters have changed since it was made.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import Engine

from core.auth import audit, throttle
from core.auth.errors import SignInRefused
from core.auth.passwords import check_password, dummy_hash, hash_password, needs_rehash, verify_password
from core.auth.roles import Actor, Client, Role
from core.auth.sessions import PASSWORD_CHANGED, open_session, revoke_user_sessions
from core.auth.users import find_user, get_user
from core.db.base import utcnow
from core.db.engine import unit_of_work

WRONG = "Wrong username or password."


@dataclass(frozen=True)
class SignedIn:
    """A new session: the token to keep in the browser session, and who it stands for."""

    token: str
    actor: Actor


def _wait_message(hold: dt.timedelta) -> str:
    seconds = math.ceil(hold.total_seconds())
    wait = f"{seconds} s" if seconds < 120 else f"{math.ceil(seconds / 60)} min"
    return f"Too many failed sign-ins for this user or from this computer: try again in {wait}."


def sign_in(
    engine: Engine, username: str, password: str, client: Client | None = None, now: dt.datetime | None = None
) -> SignedIn:
    """Check a username and password and open a session, or raise `SignInRefused` with what to tell the person."""
    client, now = client or Client(), now or utcnow()
    name = (username or "").strip()
    if not name or not password:
        raise SignInRefused("Enter a username and a password.")
    keys = throttle.throttle_keys(name, client.key)
    with unit_of_work(engine, write=False) as session:
        hold = throttle.held_back_for(session, keys, now)
        user = find_user(session, name)
    if hold is not None:
        with unit_of_work(engine, write=True) as session:
            audit.record_activity(
                session, audit.SIGN_IN_THROTTLED, user_id=user.id if user else None, username=name, client=client
            )
        raise SignInRefused(_wait_message(hold))

    matches = verify_password(user.password_hash if user else dummy_hash(), password)
    if not matches or not user.is_active:
        reason = "unknown user" if user is None else ("wrong password" if not matches else "user disabled")
        with unit_of_work(engine, write=True) as session:
            for scope, key in keys:
                throttle.record_failure(session, scope, key, now)
            audit.record_activity(
                session,
                audit.SIGN_IN_FAILED,
                user_id=user.id if user else None,
                username=name,
                details={"reason": reason},
                client=client,
            )
        raise SignInRefused("This user is disabled: ask an admin." if reason == "user disabled" else WRONG)

    new_hash = hash_password(password) if needs_rehash(user.password_hash) else None
    with unit_of_work(engine, write=True) as session:
        user = get_user(session, name)
        if new_hash:
            user.password_hash = new_hash
        user.last_login = now
        token = open_session(session, user, client, now)
        throttle.clear(session, throttle.USERNAME, keys[0][1])
        audit.record_activity(session, audit.SIGN_IN, user_id=user.id, username=user.username, client=client)
        return SignedIn(token, Actor(user.id, user.username, Role(user.role), client))


def change_password(
    engine: Engine, actor: Actor, current_password: str, new_password: str, now: dt.datetime | None = None
) -> str:
    """Change the actor's own password; every session of theirs ends and a new one (returned) replaces this one."""
    now = now or utcnow()
    if actor.user_id is None:
        raise SignInRefused("The command line's operator has no password: use `users reset-password NAME`.")
    with unit_of_work(engine, write=False) as session:
        user = get_user(session, actor.username)
    if not verify_password(user.password_hash, current_password or ""):
        raise SignInRefused("The current password is wrong.")
    check_password(new_password, user.username)
    if new_password == current_password:
        raise SignInRefused("The new password is the current one.")
    new_hash = hash_password(new_password)
    with unit_of_work(engine, write=True) as session:
        user = get_user(session, actor.username)
        user.password_hash = new_hash
        revoke_user_sessions(session, user.id, PASSWORD_CHANGED, now)
        token = open_session(session, user, actor.client, now)
        audit.record_activity(session, audit.PASSWORD_CHANGE, actor=actor, target=f"user:{user.username}")
        return token

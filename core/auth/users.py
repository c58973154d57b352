"""Users: create, list, change role, disable or enable, reset or change a password (every change logged).

Usernames are unique ignoring case (here, and in the database through `uq_users_username_lower`), so `Alice`
cannot be created beside `alice`, and signing in as `ALICE` finds `alice`. A role change, a disabled user and a
new password each revoke the user's sessions, so the change holds from their next click. No change may leave
the installation without an active admin.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.auth import audit, throttle
from core.auth.errors import DuplicateUser, InvalidUser, UnknownUser
from core.auth.passwords import check_password, hash_password
from core.auth.roles import Actor, Permission, Role, require
from core.auth.sessions import PASSWORD_CHANGED, ROLE_CHANGED, USER_DISABLED, revoke_user_sessions
from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import User

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,79}")
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")


@dataclass(frozen=True)
class UserInfo:
    """A user as pages and the CLI show it (never the password hash)."""

    id: int
    username: str
    email: str | None
    role: Role
    is_active: bool
    created_at: dt.datetime
    last_login: dt.datetime | None


def _info(user: User) -> UserInfo:
    return UserInfo(
        user.id, user.username, user.email, Role(user.role), user.is_active, user.created_at, user.last_login
    )


def check_username(name: str) -> str:
    """`name` stripped, or `InvalidUser` saying what a username may hold."""
    name = (name or "").strip()
    if not USERNAME_PATTERN.fullmatch(name):
        raise InvalidUser(
            f"invalid username {name!r}: use 1-80 letters, digits, '.', '_', '-' or '@' (first a letter or digit)"
        )
    return name


def parse_role(value: str) -> Role:
    try:
        return Role((value or "").strip().lower())
    except ValueError:
        raise InvalidUser(f"unknown role {value!r}: use viewer, trader or admin") from None


def normalise_email(email: str | None) -> str | None:
    """`email` lower-cased, None for blank, or `InvalidUser` for something that is not an address."""
    email = (email or "").strip().lower()
    if not email:
        return None
    if len(email) > 120 or not EMAIL_PATTERN.fullmatch(email):
        raise InvalidUser(f"invalid email {email!r}")
    return email


def find_user(session: Session, username: str) -> User | None:
    """The user whose name equals `username` ignoring case, or None."""
    return session.scalar(select(User).where(func.lower(User.username) == (username or "").strip().lower()))


def get_user(session: Session, username: str) -> User:
    user = find_user(session, username)
    if user is None:
        raise UnknownUser(f"unknown user {username!r}")
    return user


def actor_for(engine: Engine, username: str) -> Actor:
    """The actor for an active user named `username` (the command line's `--as USER`)."""
    with unit_of_work(engine, write=False) as session:
        user = get_user(session, username)
    if not user.is_active:
        raise InvalidUser(f"user {user.username!r} is disabled")
    return Actor(user.id, user.username, Role(user.role))


def add_user(session: Session, username: str, password_hash: str, role: Role, email: str | None = None) -> User:
    """Add a user row (names already checked); `DuplicateUser` when the name or email is taken."""
    existing = find_user(session, username)
    if existing is not None:
        raise DuplicateUser(f"a user named {existing.username!r} already exists (usernames ignore case)")
    if email and session.scalar(select(User.id).where(User.email == email)) is not None:
        raise DuplicateUser(f"another user already has the email {email!r}")
    user = User(username=username, email=email, password_hash=password_hash, role=role, is_admin=role is Role.ADMIN)
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # a concurrent writer got the name first: the unique index decides
        raise DuplicateUser(f"a user named {username!r} already exists (usernames ignore case)") from None
    return user


def create_user(
    engine: Engine, actor: Actor, username: str, password: str, role: str, email: str | None = None
) -> UserInfo:
    """Create a user after checking the name, role, email and password rules."""
    require(actor, Permission.MANAGE_USERS)
    username, role, email = check_username(username), parse_role(role), normalise_email(email)
    check_password(password, username)
    password_hash = hash_password(password)  # slow on purpose: outside the transaction
    with unit_of_work(engine, write=True) as session:
        user = add_user(session, username, password_hash, role, email)
        audit.record_activity(
            session, audit.USER_CREATE, actor=actor, target=f"user:{username}", details={"role": role}
        )
        return _info(user)


def get_user_info(engine: Engine, actor: Actor, username: str) -> UserInfo:
    """One user, or `UnknownUser`."""
    require(actor, Permission.MANAGE_USERS)
    with unit_of_work(engine, write=False) as session:
        return _info(get_user(session, username))


def list_users(engine: Engine, actor: Actor) -> list[UserInfo]:
    """Every user, by name."""
    require(actor, Permission.MANAGE_USERS)
    with unit_of_work(engine, write=False) as session:
        return [_info(u) for u in session.scalars(select(User).order_by(func.lower(User.username)))]


def _keep_an_admin(session: Session, user: User, action: str) -> None:
    others = session.scalar(
        select(func.count()).where(User.role == Role.ADMIN, User.is_active.is_(True), User.id != user.id)
    )
    if user.role == Role.ADMIN and user.is_active and not others:
        raise InvalidUser(f"cannot {action} {user.username!r}: it is the only active admin")


def set_role(engine: Engine, actor: Actor, username: str, role: str) -> UserInfo:
    """Give `username` another role; their sessions end so the new role holds from their next sign-in."""
    require(actor, Permission.MANAGE_USERS)
    role = parse_role(role)
    with unit_of_work(engine, write=True) as session:
        user = get_user(session, username)
        if user.role == role:
            return _info(user)
        if role is not Role.ADMIN:
            _keep_an_admin(session, user, f"make {role} out of")
        old, user.role, user.is_admin = user.role, role, role is Role.ADMIN
        revoke_user_sessions(session, user.id, ROLE_CHANGED, utcnow())
        audit.record_activity(
            session, audit.ROLE_CHANGE, actor=actor, target=f"user:{user.username}", details={"from": old, "to": role}
        )
        return _info(user)


def set_active(engine: Engine, actor: Actor, username: str, active: bool) -> UserInfo:
    """Disable (ending every session at once) or enable `username`."""
    require(actor, Permission.MANAGE_USERS)
    with unit_of_work(engine, write=True) as session:
        user = get_user(session, username)
        if user.is_active == active:
            return _info(user)
        if not active:
            _keep_an_admin(session, user, "disable")
            revoke_user_sessions(session, user.id, USER_DISABLED, utcnow())
        user.is_active = active
        action = audit.USER_ENABLE if active else audit.USER_DISABLE
        audit.record_activity(session, action, actor=actor, target=f"user:{user.username}")
        return _info(user)


def reset_password(engine: Engine, actor: Actor, username: str, password: str) -> UserInfo:
    """Set a new password for `username` (admins): their sessions end and their failed sign-ins are forgotten."""
    require(actor, Permission.MANAGE_USERS)
    with unit_of_work(engine, write=False) as session:
        name = get_user(session, username).username
    check_password(password, name)
    password_hash = hash_password(password)
    with unit_of_work(engine, write=True) as session:
        user = get_user(session, username)
        user.password_hash = password_hash
        revoke_user_sessions(session, user.id, PASSWORD_CHANGED, utcnow())
        throttle.clear(session, throttle.USERNAME, user.username.lower())
        audit.record_activity(session, audit.PASSWORD_RESET, actor=actor, target=f"user:{user.username}")
        return _info(user)

"""Server-side sessions: a random token for the browser, only its SHA-256 in `user_sessions`.

`validate_session` runs on every rerun of every page, so a revoked session, an expired or idle one, or a user
who was disabled or changed role loses access at their next click. It is one indexed read; `last_seen_at` is
written at most once a minute per session, so reruns do not queue behind the sidecar's writes on SQLite.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from core.auth.audit import SIGN_OUT, record_activity
from core.auth.errors import SessionEnded
from core.auth.roles import Actor, Client, Role
from core.config import get_settings
from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import User, UserSession

TOUCH_EVERY = dt.timedelta(minutes=1)

# Why a session was revoked (user_sessions.revoked_reason) -> what the person is told at their next click.
SIGNED_OUT = "signed out"
PASSWORD_CHANGED = "password changed"
ROLE_CHANGED = "role changed"
USER_DISABLED = "user disabled"
ENDED_MESSAGES = {
    SIGNED_OUT: "You signed out.",
    PASSWORD_CHANGED: "The password was changed: sign in again.",
    ROLE_CHANGED: "Your role was changed: sign in again.",
    USER_DISABLED: "This user has been disabled: ask an admin.",
    "expired": "Your session expired: sign in again.",
    "idle": "You were signed out after a while without activity: sign in again.",
    "unknown": "Your session is no longer valid: sign in again.",
}


def token_digest(token: str) -> str:
    """The hex SHA-256 stored for `token` (a 256-bit random token needs no salt or slow hash)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def open_session(session: Session, user: User, client: Client, now: dt.datetime) -> str:
    """Start a session for `user` in `session` (the caller commits) and return its token."""
    token = secrets.token_urlsafe(32)
    session.add(
        UserSession(
            user_id=user.id,
            token_hash=token_digest(token),
            created_at=now,
            expires_at=now + dt.timedelta(hours=get_settings().session_hours),
            last_seen_at=now,
            ip_address=client.address,
            user_agent=(client.user_agent or "")[:200] or None,
        )
    )
    return token


def revoke_user_sessions(session: Session, user_id: int, reason: str, now: dt.datetime) -> int:
    """Revoke every live session of `user_id` with `reason`; return how many there were."""
    result = session.execute(
        update(UserSession)
        .where(UserSession.user_id == user_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    return result.rowcount


def _ended(reason: str) -> SessionEnded:
    return SessionEnded(reason, ENDED_MESSAGES.get(reason, ENDED_MESSAGES["unknown"]))


def validate_session(engine: Engine, token: str, client: Client | None = None, now: dt.datetime | None = None) -> Actor:
    """The actor a live session token stands for, or `SessionEnded` saying why it no longer does."""
    now = now or utcnow()
    digest = token_digest(token)
    with unit_of_work(engine, write=False) as session:
        row = session.execute(
            select(UserSession, User).join(User, User.id == UserSession.user_id).where(UserSession.token_hash == digest)
        ).one_or_none()
    if row is None:
        raise _ended("unknown")
    live, user = row
    if live.revoked_at is not None:
        raise _ended(live.revoked_reason or "unknown")
    if not user.is_active:
        raise _ended(USER_DISABLED)
    if now >= live.expires_at:
        raise _ended("expired")
    if now - live.last_seen_at >= dt.timedelta(minutes=get_settings().session_idle_minutes):
        raise _ended("idle")
    if now - live.last_seen_at >= TOUCH_EVERY:
        with unit_of_work(engine, write=True) as session:
            session.execute(update(UserSession).where(UserSession.id == live.id).values(last_seen_at=now))
    return Actor(user_id=user.id, username=user.username, role=Role(user.role), client=client or Client())


def end_session(engine: Engine, token: str, client: Client | None = None, now: dt.datetime | None = None) -> None:
    """Sign out: revoke this session (if it is still live) and log it."""
    now = now or utcnow()
    with unit_of_work(engine, write=True) as session:
        live = session.scalar(
            select(UserSession).where(UserSession.token_hash == token_digest(token), UserSession.revoked_at.is_(None))
        )
        if live is None:
            return
        live.revoked_at, live.revoked_reason = now, SIGNED_OUT
        user = session.get(User, live.user_id)
        record_activity(session, SIGN_OUT, user_id=user.id, username=user.username, client=client)

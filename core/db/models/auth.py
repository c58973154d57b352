"""Sign-in tables (ours, not the seeds'): server-side sessions and the failed-sign-in throttle.

`user_sessions` holds only the SHA-256 of a session token (the token itself lives in the browser session and
is never stored, so a copy of the database cannot be used to sign in). A session ends when it expires, when it
has been idle too long, or when it is revoked (sign-out, password change, role change, disabling the user);
`revoked_reason` says which.

`sign_in_throttles` counts recent failed sign-ins per scope (`username` or `client`) and key, in the database
so the count survives restarts and is shared by every dashboard process (core.auth.throttle).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from core.db.base import Base, created_ts, intpk

__all__ = ["SignInThrottle", "UserSession"]


class UserSession(Base):
    """One signed-in browser session of a user."""

    __tablename__ = "user_sessions"
    __table_args__ = (Index("idx_user_sessions_user_id", "user_id"),)

    id: Mapped[intpk]
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # hex SHA-256 of the token
    created_at: Mapped[created_ts]
    expires_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(200))


class SignInThrottle(Base):
    """Recent failed sign-ins for one username or one client, and until when it is held back."""

    __tablename__ = "sign_in_throttles"
    __table_args__ = (CheckConstraint("scope IN ('username', 'client')", name="scope"),)

    scope: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(120), primary_key=True)  # lower-case username, or client address
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    last_failure_at: Mapped[dt.datetime]
    blocked_until: Mapped[dt.datetime | None]  # no attempt is checked before this moment

"""The activity log writer: one row in `activity_logs` per sign-in event and per write a service makes.

Every row names who (user id and the name as it was, or the attempted name of a failed sign-in, or the
command line's local operator), the action, what it was done to (`target`, e.g. `user:alice`), details as a
JSON object, and the client (address and user agent). Writers pass their own session, so the log line commits
or rolls back with the change it describes.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.auth.roles import Actor, Client, Permission, require
from core.db.engine import unit_of_work
from core.db.models import ActivityLog

# Actions written by core.auth; other services add their own ("scanner_delete", "sync_enqueue", ...).
SIGN_IN = "sign_in"
SIGN_IN_FAILED = "sign_in_failed"
SIGN_IN_THROTTLED = "sign_in_throttled"
SIGN_OUT = "sign_out"
PASSWORD_CHANGE = "password_change"
PASSWORD_RESET = "password_reset"
USER_CREATE = "user_create"
USER_DISABLE = "user_disable"
USER_ENABLE = "user_enable"
ROLE_CHANGE = "role_change"
SSO_REGISTRATION = "sso_registration"


def record_activity(
    session: Session,
    action: str,
    *,
    actor: Actor | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    user_id: int | None = None,
    username: str | None = None,
    client: Client | None = None,
) -> None:
    """Add one activity row to `session` (the caller commits); explicit values win over the actor's."""
    client = client or (actor.client if actor else Client())
    session.add(
        ActivityLog(
            user_id=user_id if user_id is not None else (actor.user_id if actor else None),
            username=(username or (actor.username if actor else None) or "")[:80] or None,
            action=action,
            target=target[:200] if target else None,
            details=json.dumps(details, sort_keys=True, default=str) if details else None,
            ip_address=client.address,
            user_agent=(client.user_agent or "")[:200] or None,
        )
    )


def log_activity(engine: Engine, action: str, *, actor: Actor, target: str | None = None, details=None) -> None:
    """One activity row in its own transaction: for work done by code that keeps its own units of work."""
    with unit_of_work(engine, write=True) as session:
        record_activity(session, action, actor=actor, target=target, details=details)


@dataclass(frozen=True)
class ActivityEntry:
    """One activity row as pages and the CLI show it."""

    timestamp: dt.datetime
    username: str | None
    action: str
    target: str | None
    details: str | None
    ip_address: str | None


def recent_activity(
    engine: Engine, actor: Actor, limit: int = 200, *, username: str | None = None, action: str | None = None
) -> list[ActivityEntry]:
    """The newest `limit` activity rows (admins only), newest first; only `username`'s or `action`'s when given."""
    require(actor, Permission.READ_ACTIVITY)
    log = ActivityLog
    query = (
        select(log.timestamp, log.username, log.action, log.target, log.details, log.ip_address)
        .order_by(log.timestamp.desc(), log.id.desc())
        .limit(limit)
    )
    if username is not None:
        query = query.where(log.username == username)
    if action is not None:
        query = query.where(log.action == action)
    with unit_of_work(engine, write=False) as session:
        return [ActivityEntry(*row) for row in session.execute(query)]


def activity_filters(engine: Engine, actor: Actor) -> tuple[list[str], list[str]]:
    """Every name and every action in the log, sorted (admins only): what the log can be filtered by."""
    require(actor, Permission.READ_ACTIVITY)
    log = ActivityLog
    with unit_of_work(engine, write=False) as session:
        names = session.scalars(select(log.username).where(log.username.is_not(None)).distinct().order_by(log.username))
        actions = session.scalars(select(log.action).distinct().order_by(log.action))
        return list(names), list(actions)

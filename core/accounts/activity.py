"""Audit lines for account events in `activity_logs` (who, what; never a key)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.db.models import ActivityLog


def record_activity(session: Session, user_id: int | None, action: str, details: str) -> None:
    """Add one activity-log line in the caller's transaction."""
    session.add(ActivityLog(user_id=user_id, action=action, details=details[:2000]))

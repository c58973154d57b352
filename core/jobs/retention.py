"""Retention as an admin set it: overrides stored in `settings`, on top of the RETENTION_* environment defaults.

Three `settings` rows (a key/value table with a JSON value), written by core.operations.service and read by the
sidecar's housekeeping (core.jobs.upkeep) each time it runs, so a change needs no restart:

- `retention`: only the overridden fields, e.g. `{"history_days": 400}`; a field missing falls back to its
  RETENTION_* setting (the sidecar's own environment).
- `housekeeping.request`: `{"at": ISO time, "by": name}` -- "run housekeeping now", picked up by the leading
  sidecar's request timer within a minute or so; the page never deletes rows itself.
- `housekeeping.last`: what the last housekeeping removed, per table, with the retention it used and when.

A stored value that is no longer valid (edited by hand) is ignored with a warning, never used.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from sqlalchemy.orm import Session

from core.db.base import utcnow
from core.db.models import Setting
from core.jobs.health import Retention

log = logging.getLogger("wheelhouse.sidecar")

OVERRIDES_KEY = "retention"
REQUEST_KEY = "housekeeping.request"
LAST_RUN_KEY = "housekeeping.last"

# (least, most) days for each field. History feeds charts and the scanners' lookbacks: a month at least.
BOUNDS = {
    "history_days": (30, 3650),
    "quarantine_days": (1, 3650),
    "job_days": (1, 3650),
    "resolved_error_days": (1, 3650),
    "heartbeat_days": (1, 365),
    "track_record_days": (30, 3650),
}
LABELS = {
    "history_days": "daily history",
    "quarantine_days": "quarantine counts",
    "job_days": "finished job runs and schedule fires",
    "resolved_error_days": "resolved errors",
    "heartbeat_days": "sidecar heartbeats",
    "track_record_days": "track record (scan sessions and snapshots)",
}


class RetentionError(ValueError):
    """A retention value that cannot be stored: one line naming the field and its bounds."""


@dataclass(frozen=True)
class HousekeepingRun:
    """What one housekeeping pass removed (table -> rows), under which retention, and when it started."""

    at: dt.datetime
    removed: dict[str, int]
    retention: dict[str, int]


def validate(values: dict[str, Any]) -> dict[str, int]:
    """Each value as a whole number of days within its bounds, or `RetentionError` naming the first bad one."""
    clean = {}
    for name, value in values.items():
        if name not in BOUNDS:
            raise RetentionError(f"unknown retention setting {name!r}: known are {', '.join(BOUNDS)}")
        least, most = BOUNDS[name]
        if isinstance(value, bool) or not isinstance(value, int):
            raise RetentionError(f"{LABELS[name]}: {value!r} is not a whole number of days")
        if not least <= value <= most:
            raise RetentionError(f"{LABELS[name]}: {value} days is outside {least} to {most}")
        clean[name] = value
    return clean


def stored_overrides(session: Session) -> dict[str, int]:
    """The valid overrides on file (an invalid one is left out, with a warning)."""
    row = session.get(Setting, OVERRIDES_KEY)
    stored = row.value if row is not None and isinstance(row.value, dict) else {}
    good = {}
    for name, value in stored.items():
        try:
            good.update(validate({name: value}))
        except RetentionError as exc:
            log.warning("ignoring a stored retention override: %s", exc)
    return good


def effective(session: Session, defaults: Retention) -> Retention:
    """`defaults` (the RETENTION_* settings) with the stored overrides on top."""
    return replace(defaults, **stored_overrides(session))


def store_overrides(session: Session, values: dict[str, int], defaults: Retention) -> dict[str, int]:
    """Keep the values that differ from `defaults` as the overrides (all of them replace the old ones)."""
    overrides = {name: value for name, value in validate(values).items() if value != getattr(defaults, name)}
    if overrides:
        session.merge(Setting(key=OVERRIDES_KEY, value=overrides))
    elif (row := session.get(Setting, OVERRIDES_KEY)) is not None:
        session.delete(row)
    return overrides


def request_run(session: Session, requested_by: str, now: dt.datetime | None = None) -> dt.datetime:
    """Ask the leading sidecar to run housekeeping at its next request check; returns the request's time."""
    at = now or utcnow()
    session.merge(Setting(key=REQUEST_KEY, value={"at": at.isoformat(), "by": requested_by}))
    return at


def pending_request(session: Session) -> dt.datetime | None:
    """The time of a request no housekeeping has run since, or None."""
    request = _time(session, REQUEST_KEY)
    if request is None:
        return None
    last = last_run(session)
    return request if last is None or last.at < request else None


def record_run(session: Session, removed: dict[str, int], retention: Retention, now: dt.datetime | None = None) -> None:
    """Remember what this housekeeping pass removed (the Operations page shows it)."""
    at = now or utcnow()
    session.merge(
        Setting(key=LAST_RUN_KEY, value={"at": at.isoformat(), "removed": removed, "retention": asdict(retention)})
    )


def last_run(session: Session) -> HousekeepingRun | None:
    row = session.get(Setting, LAST_RUN_KEY)
    if row is None or not isinstance(row.value, dict) or "at" not in row.value:
        return None
    value = row.value
    return HousekeepingRun(
        dt.datetime.fromisoformat(value["at"]), dict(value.get("removed") or {}), dict(value.get("retention") or {})
    )


def _time(session: Session, key: str) -> dt.datetime | None:
    row = session.get(Setting, key)
    if row is None or not isinstance(row.value, dict) or "at" not in row.value:
        return None
    return dt.datetime.fromisoformat(row.value["at"])


FIELDS = tuple(f.name for f in fields(Retention))

__all__ = [
    "BOUNDS",
    "FIELDS",
    "LABELS",
    "HousekeepingRun",
    "RetentionError",
    "effective",
    "last_run",
    "pending_request",
    "record_run",
    "request_run",
    "stored_overrides",
    "store_overrides",
    "validate",
]

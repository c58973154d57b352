"""The sidecar's own settings: timings, lease, batch size, retention. Read from the environment with defaults.

Kept apart from `core.config.Settings` for now (SIDECAR_* and RETENTION_* variables; docs/sidecar.md lists them);
the universe-sync interval and its market-hours rule do come from `Settings` (SYNC_INTERVAL_MINUTES,
SYNC_MARKET_HOURS_ONLY). Command-line flags of `python -m core.sync` override the environment.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, fields, replace

from dotenv import dotenv_values

from core.config import ConfigError, get_settings
from core.sync.health import Retention


def _environment() -> dict[str, str]:
    """The process environment over the optional `.env` file (DESIGN section 9: both are read)."""
    return {**{k: v for k, v in dotenv_values(".env").items() if v is not None}, **os.environ}


def _env(name: str, default, kind=float):
    raw = _environment().get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"invalid configuration: {name}: {raw!r} is not a {kind.__name__}") from None
    if value <= 0:
        raise ConfigError(f"invalid configuration: {name}: must be positive, got {raw!r}")
    return value


@dataclass(frozen=True)
class SidecarSettings:
    """Every knob of the sidecar; `from_env()` reads SIDECAR_* / RETENTION_* variables."""

    poll_seconds: float = 2.0  # how often an idle sidecar looks for queued work
    heartbeat_seconds: float = 30.0
    leader_retry_seconds: float = 15.0  # a follower's attempt to become leader; also the leader's lock check
    schedule_refresh_seconds: float = 30.0  # how soon an edited scan_schedules row is noticed
    misfire_grace_seconds: float = 300.0  # a job (or schedule fire) late by up to this much still runs
    lease_seconds: float = 120.0
    batch_size: int = 100  # symbols claimed, fetched and written together (SyncWorker's default)
    backoff_max_seconds: float = 60.0  # cap of the exponential back-off while the database is unreachable
    housekeeping_hours: float = 6.0
    market_exchange: str = "XNYS"  # the calendar the periodic universe sync follows
    sync_interval_minutes: int = 30
    sync_market_hours_only: bool = True
    retention: Retention = field(default_factory=Retention)

    @classmethod
    def from_env(cls) -> SidecarSettings:
        base = get_settings()
        defaults = cls()
        return cls(
            poll_seconds=_env("SIDECAR_POLL_SECONDS", defaults.poll_seconds),
            heartbeat_seconds=_env("SIDECAR_HEARTBEAT_SECONDS", defaults.heartbeat_seconds),
            leader_retry_seconds=_env("SIDECAR_LEADER_RETRY_SECONDS", defaults.leader_retry_seconds),
            schedule_refresh_seconds=_env("SIDECAR_SCHEDULE_REFRESH_SECONDS", defaults.schedule_refresh_seconds),
            misfire_grace_seconds=_env("SIDECAR_MISFIRE_GRACE_SECONDS", defaults.misfire_grace_seconds),
            lease_seconds=_env("SIDECAR_LEASE_SECONDS", defaults.lease_seconds),
            batch_size=_env("SIDECAR_BATCH_SIZE", defaults.batch_size, int),
            backoff_max_seconds=_env("SIDECAR_BACKOFF_MAX_SECONDS", defaults.backoff_max_seconds),
            housekeeping_hours=_env("SIDECAR_HOUSEKEEPING_HOURS", defaults.housekeeping_hours),
            market_exchange=_environment().get("SIDECAR_MARKET_EXCHANGE", defaults.market_exchange),
            sync_interval_minutes=base.sync_interval_minutes,
            sync_market_hours_only=base.sync_market_hours_only,
            retention=Retention(
                **{
                    f.name: _env(f"RETENTION_{f.name.upper()}", getattr(defaults.retention, f.name), int)
                    for f in fields(Retention)
                }
            ),
        )

    def with_overrides(self, **changes) -> SidecarSettings:
        """A copy with the given (non-None) values replaced: command-line flags over the environment."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def lease(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.lease_seconds)

    @property
    def grace(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.misfire_grace_seconds)


__all__ = ["SidecarSettings"]

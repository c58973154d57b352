"""The sidecar's frozen view of its settings: the SIDECAR_* and RETENTION_* fields of `core.config.Settings`
(where their names, defaults and validation live), with the command-line flags of `python -m core.sync` on top.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.config import Settings, get_settings
from core.jobs.health import Retention


@dataclass(frozen=True)
class SidecarSettings:
    """Every knob of the sidecar process; build it with `from_settings`."""

    poll_seconds: float
    heartbeat_seconds: float
    leader_retry_seconds: float
    schedule_refresh_seconds: float
    misfire_grace_seconds: float
    lease_seconds: float
    batch_size: int
    backoff_max_seconds: float
    housekeeping_hours: float
    retention: Retention
    provider: str  # the market-data provider a schedule's scan run reads bars with

    @classmethod
    def from_settings(cls, settings: Settings | None = None, **overrides) -> SidecarSettings:
        """The view of `settings` (default: the process's), with the non-None `overrides` (flags) on top."""
        s = settings or get_settings()
        values = {
            "poll_seconds": s.sidecar_poll_seconds,
            "heartbeat_seconds": s.sidecar_heartbeat_seconds,
            "leader_retry_seconds": s.sidecar_leader_retry_seconds,
            "schedule_refresh_seconds": s.sidecar_schedule_refresh_seconds,
            "misfire_grace_seconds": s.sidecar_misfire_grace_seconds,
            "lease_seconds": s.sidecar_lease_seconds,
            "batch_size": s.sidecar_batch_size,
            "backoff_max_seconds": s.sidecar_backoff_max_seconds,
            "housekeeping_hours": s.sidecar_housekeeping_hours,
            "retention": Retention(
                history_days=s.retention_history_days,
                quarantine_days=s.retention_quarantine_days,
                job_days=s.retention_job_days,
                resolved_error_days=s.retention_resolved_error_days,
                heartbeat_days=s.retention_heartbeat_days,
                track_record_days=s.retention_track_record_days,
            ),
            "provider": s.market_data_provider,
        }
        return cls(**{**values, **{k: v for k, v in overrides.items() if v is not None}})

    @property
    def lease(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.lease_seconds)

    @property
    def grace(self) -> dt.timedelta:
        return dt.timedelta(seconds=self.misfire_grace_seconds)


__all__ = ["SidecarSettings"]

"""The track record as a job kind of the sidecar (registered in core.sidecar).

It has no queued runs of its own. Its `work`, which every sidecar calls on each poll after chain sync has worked
its items, looks at the newest completed universe sync and records the tracked screens not yet recorded for its
quote date: a couple of small reads when there is nothing to do, and `--drain` records after the sync it drained.
Resolving snapshots past expiry asks the provider for daily bars, so it is a leader timer: one sidecar, every
RESOLVE_MINUTES.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from core.db.base import utcnow
from core.jobs.kinds import JobContext, JobKind, LeaderTimer
from core.providers import get_provider
from core.track.record import record_after_sync
from core.track.resolve import ProviderFactory, resolve_due

KIND = "track"
RESOLVE_MINUTES = 30


def track_record_kind(
    provider_factory: ProviderFactory = get_provider, resolve_minutes: int = RESOLVE_MINUTES
) -> JobKind:
    """The `track` kind: record tracked screens after universe syncs; resolve expired snapshots on a timer."""

    def work(ctx: JobContext) -> int:
        record_after_sync(ctx.engine)
        return 0  # no queued items: `drain` waits on none

    def first_run(_engine: Engine) -> dt.datetime:
        return utcnow() + dt.timedelta(minutes=1)

    def run(engine: Engine) -> None:
        resolve_due(engine, provider_factory)

    timer = LeaderTimer("track-resolve", resolve_minutes * 60, first_run, run)
    return JobKind(KIND, work, (timer,))


__all__ = ["KIND", "RESOLVE_MINUTES", "track_record_kind"]

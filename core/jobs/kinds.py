"""The kinds of work a sidecar does, registered explicitly: chain sync, scanner runs, and whatever comes next.

A job kind is a `job_runs.kind` plus one function with one signature, `work(ctx) -> int`: claim this kind's
items, work them until none is left to claim or `ctx.stop` is set, and return how many items it finished. A kind
may also contribute leader timers: jobs that only the leading sidecar ticks (chain sync's periodic Sync All), and
leader services: something kept running between ticks (broker accounts' live price feeds), started when the
sidecar takes leadership and stopped when it loses it and at shutdown, so two sidecars never both run one.
The registry is built by the composition root (core.sidecar) from the packages that own each kind, so this
package imports none of them and nothing is discovered at run time.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import Engine


@dataclass(frozen=True)
class JobContext:
    """What every kind's `work` is given: the sidecar's engine, its worker id and stop event, lease and batch."""

    engine: Engine
    worker_id: str
    stop: threading.Event  # set on SIGTERM: finish or release the items in hand, then return
    lease: dt.timedelta
    batch_size: int


@dataclass(frozen=True)
class LeaderTimer:
    """A periodic job only the leader runs: `run(engine)` every `seconds`, first at `first_run(engine)`."""

    id: str  # the APScheduler job id (also its name in logs)
    seconds: float
    first_run: Callable[[Engine], dt.datetime]
    run: Callable[[Engine], None]


@dataclass(frozen=True)
class LeaderService:
    """Something only the leader keeps running: `start(engine)` on taking leadership, `stop()` on losing it and at
    shutdown (after the timers' jobs in flight have finished). Both are called from the sidecar's threads, one at a
    time; `stop` after a failed `start` must be harmless."""

    id: str  # its name in logs and critical_error_logs
    start: Callable[[Engine], None]
    stop: Callable[[], None]


@dataclass(frozen=True)
class JobKind:
    """One kind of queued work: `name` is its `job_runs.kind`; `work(ctx)` returns the items it finished."""

    name: str
    work: Callable[[JobContext], int]
    timers: tuple[LeaderTimer, ...] = ()
    services: tuple[LeaderService, ...] = ()


class JobKinds:
    """The registry: kinds in the order a poll works them, each name once."""

    def __init__(self, kinds: Iterable[JobKind]):
        self._kinds: dict[str, JobKind] = {}
        for kind in kinds:
            if kind.name in self._kinds:
                raise ValueError(f"job kind {kind.name!r} is registered twice")
            self._kinds[kind.name] = kind

    def __iter__(self) -> Iterator[JobKind]:
        return iter(self._kinds.values())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._kinds)

    def timers(self) -> tuple[LeaderTimer, ...]:
        """Every kind's leader timers, in registration order."""
        return tuple(timer for kind in self for timer in kind.timers)

    def services(self) -> tuple[LeaderService, ...]:
        """Every kind's leader services, in registration order."""
        return tuple(service for kind in self for service in kind.services)


__all__ = ["JobContext", "JobKind", "JobKinds", "LeaderService", "LeaderTimer"]

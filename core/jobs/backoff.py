"""Backing off while the database is unreachable: exponential, capped, shared by every job of a sidecar.

Why shared: when the server is down every job would fail the same way; one clock means one log line per
attempt instead of one per job, and the first job to run after the delay is the probe that notices recovery.
"""

from __future__ import annotations

import threading
import time

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from core.db.engine import DatabaseError


def is_database_down(exc: BaseException) -> bool:
    """A lost, refused or busy database (retry later), as opposed to a bug or bad data."""
    if isinstance(exc, (OperationalError, InterfaceError, DatabaseError)):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


class Backoff:
    """Delays of 1, 2, 4 ... seconds up to `cap` after consecutive failures; reset by a success."""

    def __init__(self, cap: float, base: float = 1.0):
        self.cap, self.base = cap, base
        self.failures = 0
        self._until = 0.0
        self._since: float | None = None
        self._lock = threading.Lock()

    def ready(self) -> bool:
        return time.monotonic() >= self._until

    def remaining(self) -> float:
        return max(0.0, self._until - time.monotonic())

    def failed(self) -> float:
        """Record a failure; returns the delay before the next attempt."""
        with self._lock:
            self.failures += 1
            if self._since is None:
                self._since = time.monotonic()
            delay = min(self.cap, self.base * 2 ** (self.failures - 1))
            self._until = time.monotonic() + delay
            return delay

    def in_outage(self) -> bool:
        """Whether a failure has not been followed by a recorded success yet."""
        return self.failures > 0

    def outage(self) -> tuple[float, int] | None:
        """The outage so far (its seconds, its failed attempts), without ending it; None when there is none."""
        with self._lock:
            if not self.failures:
                return None
            return time.monotonic() - (self._since or time.monotonic()), self.failures

    def succeeded(self) -> tuple[float, int] | None:
        """Record a success; after an outage returns (its seconds, its failed attempts), else None."""
        if not self.failures:
            return None
        with self._lock:
            if not self.failures:
                return None
            outage = (time.monotonic() - (self._since or time.monotonic()), self.failures)
            self.failures, self._until, self._since = 0, 0.0, None
            return outage


__all__ = ["Backoff", "is_database_down"]

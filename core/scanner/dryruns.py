"""The dry-run pool: how many dry runs the dashboard may hold at once, in all and per caller.

A dry run starts a sandbox worker (about 330 MB once warmed) in the dashboard's process tree and holds it for
up to a symbol's wall deadline. Queued runs go through the sidecar, one worker per sidecar; dry runs do not, so
without a bound a few clicks in a few tabs held several workers at once. The pool admits at most
`DRY_RUN_CAP` at a time across the process and one per caller (a browser session); a click past either bound
gets a clear refusal at once instead of waiting, so nothing piles up behind a slow scanner. A dry run ends
with its sandbox (the per-symbol deadline kills a child that runs too long), so a slot is never held longer
than one deadline after its session is gone.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

DRY_RUN_CAP = 2


class DryRunBusy(RuntimeError):
    """No slot: this caller already has a dry run going, or the pool is full."""


class DryRunPool:
    """`slot(caller)`: hold one of `cap` slots for the block, at most one per caller; DryRunBusy when refused."""

    def __init__(self, cap: int = DRY_RUN_CAP):
        if cap < 1:
            raise ValueError("the dry-run pool needs at least one slot")
        self.cap = cap
        self._lock = threading.Lock()
        self._callers: set[str] = set()

    @contextlib.contextmanager
    def slot(self, caller: str) -> Iterator[None]:
        with self._lock:
            if caller in self._callers:
                raise DryRunBusy("your previous dry run is still running: wait for it to finish")
            if len(self._callers) >= self.cap:
                raise DryRunBusy(
                    f"{self.cap} dry runs are already running (the most at once): try again in a few seconds"
                )
            self._callers.add(caller)
        try:
            yield
        finally:
            with self._lock:
                self._callers.discard(caller)

    @property
    def running(self) -> int:
        with self._lock:
            return len(self._callers)


POOL = DryRunPool()

__all__ = ["DRY_RUN_CAP", "POOL", "DryRunBusy", "DryRunPool"]

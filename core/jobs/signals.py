"""SIGTERM and SIGINT turned into an ordinary call on a watcher thread.

Why the stop code does not run in the handler: Python runs a signal handler in the main thread between two
bytecodes, possibly while that thread holds a lock the stop code needs (APScheduler's wake-up event,
`threading.Event`'s condition: plain locks, not re-entrant). Then the process logs "stopping" and hangs for
ever. The handler here only writes the signal's number to a pipe (no lock, async-signal-safe); a daemon thread
reads it and calls `on_signal` like any other thread would, so the stop code may take any lock it likes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Callable
from types import FrameType


class StopSignals:
    """`with StopSignals(on_signal):` calls `on_signal(signum)` on a watcher thread for each SIGTERM/SIGINT.

    Handlers can only be installed from the main thread; elsewhere (a sidecar run in a test's thread) this does
    nothing and the caller stops it directly.
    """

    def __init__(self, on_signal: Callable[[int], None], signals: tuple[int, ...] = (signal.SIGTERM, signal.SIGINT)):
        self.on_signal, self.signals = on_signal, signals
        self._previous: dict[int, object] = {}
        self._pipe: tuple[int, int] | None = None
        self._watcher: threading.Thread | None = None

    def __enter__(self) -> StopSignals:
        if threading.current_thread() is not threading.main_thread():
            return self
        read_end, write_end = os.pipe()
        os.set_blocking(write_end, False)  # a full pipe drops the byte; it never blocks the handler
        self._pipe = (read_end, write_end)
        self._watcher = threading.Thread(target=self._watch, args=(read_end,), name="stop-signals", daemon=True)
        self._watcher.start()
        for signum in self.signals:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._pipe is None:
            return
        for signum, previous in self._previous.items():  # first: no handler may write to a closed descriptor
            signal.signal(signum, previous)  # type: ignore[arg-type]
        read_end, write_end = self._pipe
        os.close(write_end)  # the watcher reads end-of-file and returns
        if self._watcher is not None:
            self._watcher.join(timeout=5)
        os.close(read_end)
        self._pipe = None

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self._pipe is not None:
            with contextlib.suppress(OSError):
                os.write(self._pipe[1], bytes([signum]))

    def _watch(self, read_end: int) -> None:
        while data := os.read(read_end, 64):
            for signum in data:
                self.on_signal(signum)


__all__ = ["StopSignals"]

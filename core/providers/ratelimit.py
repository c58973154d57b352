"""A thread-safe token bucket: the one politeness rule every networked provider's requests share.

The yfinance adapter keeps one per process (every Yahoo request); the OpenAlgo provider one per OpenAlgo host.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

SEND_MARGIN = 0.03  # sends go out at least (1 + this) / rate apart: see TokenBucket


class TokenBucket:
    """A thread-safe token bucket: on average `rate` acquisitions a second, at most `burst` back to back.

    A caller that finds the bucket empty reserves the next free slot while holding the lock and sleeps after
    releasing it, so concurrent callers queue in order instead of all waking at once. `clock` and `sleep` are
    injectable so tests run on a fake clock.

    With a burst of one, sends are also kept `(1 + SEND_MARGIN) / rate` apart. A send leaves some time after its
    slot (the thread waits for the GIL, yfinance prepares the request), so two sends can reach the server closer
    together than they left the bucket. A server counting arrivals in a bucket of its own then loses that much of
    its burst allowance, and at exactly its rate nothing gives it back: over thousands of requests the deficits
    add up to a 429 (3 in 10,000 at 2 a second in bench/provider_sync.py before the margin). The margin returns
    3 % of a slot with every send, so the server's allowance refills; the price is 3 % of the configured rate.
    """

    def __init__(
        self,
        rate: float,
        burst: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        space_sends: bool = True,
    ) -> None:
        self._lock = threading.Lock()
        self.space_sends = space_sends
        self._clock, self._sleep = clock, sleep
        self.rate, self.burst = 1.0, 1.0
        self.configure(rate, burst)
        self._tokens = self.burst
        self._stamp = clock()
        self._paused_until = float("-inf")
        self._next_send = float("-inf")  # the earliest the next send may go out (burst of one)
        self.pauses = 0  # how many times a 429 paused the bucket (benchmarks report it)

    def configure(self, rate: float, burst: float | None = None) -> None:
        """Change the rate (and burst) for every user of this bucket from now on."""
        if not rate > 0:
            raise ValueError(f"rate must be positive, got {rate!r}")
        with self._lock:
            self.rate = float(rate)
            if burst is not None:
                self.burst = max(1.0, float(burst))

    def acquire(self) -> float:
        """Take one token, sleeping until it is due (and past any pause); returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                reserved = now >= self._paused_until
                if reserved:
                    self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                    self._stamp = now
                    self._tokens -= 1.0
                    wait = -self._tokens / self.rate if self._tokens < 0 else 0.0
                else:
                    wait = self._paused_until - now
            if wait > 0:
                self._sleep(wait)
                waited += wait
            if reserved:
                with self._lock:
                    now = self._clock()
                    if now < self._paused_until:
                        continue  # a 429 arrived while we slept: the slot is void, queue again behind the pause
                    # Sends keep their spacing even when the slots did not: a thread that woke late (a busy CPU,
                    # a held GIL) must not go out together with the next one, or the server sees a burst.
                    gap = self._next_send - now if self.space_sends and self.burst <= 1.0 else 0.0
                    self._next_send = max(now, self._next_send) + (1.0 + SEND_MARGIN) / self.rate
                if gap > 0:
                    self._sleep(gap)
                    waited += gap
                return waited

    def pause(self, seconds: float) -> None:
        """Stop every user of this bucket for `seconds` (the server said 429); the pause then restarts at rate."""
        with self._lock:
            until = self._clock() + max(0.0, seconds)
            if until > self._paused_until:
                self._paused_until = until
                self._tokens, self._stamp = 0.0, until
                self.pauses += 1

    def paused_for(self) -> float:
        """Seconds left of the current pause (0 when none)."""
        with self._lock:
            return max(0.0, self._paused_until - self._clock())

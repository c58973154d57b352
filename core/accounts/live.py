"""The sidecar leader's live prices: a `LeaderService` that runs a `FeedManager` while this sidecar leads, and the
leader timer that ticks it.

Only the leader runs feeds, so two sidecars never hold two connections to one account's feed. Each tick follows
every user with a feed-capable account (a failover found by the last ping round moves their feed; positions a
sync opened or closed are subscribed or unsubscribed) and flushes the latest prices into positions, holdings and
`websocket_connections`. Losing leadership or shutting down stops every feed and marks its connection row
disconnected. The tick interval is ACCOUNT_FEED_FLUSH_SECONDS.
"""

from __future__ import annotations

import threading

from sqlalchemy import Engine

from core.accounts.feed import Backoff, FeedManager
from core.db.base import utcnow
from core.jobs.kinds import LeaderService, LeaderTimer


class LiveFeeds:
    """Start, tick and stop the leader's feeds; the lock keeps a tick and a stop (from other threads) apart."""

    def __init__(self, backoff: Backoff | None = None) -> None:
        self.backoff = backoff
        self.manager: FeedManager | None = None
        self._lock = threading.Lock()

    def start(self, engine: Engine) -> None:
        with self._lock:
            if self.manager is None:
                self.manager = FeedManager(engine, backoff=self.backoff)

    def tick(self, _engine: Engine) -> None:
        """Follow every user with a feed (moving or resubscribing it), then write the latest prices."""
        with self._lock:
            if self.manager is None:  # not leading (a tick queued just before leadership was lost)
                return
            self.manager.follow_all()
            self.manager.flush()

    def stop(self) -> None:
        with self._lock:
            manager, self.manager = self.manager, None
            if manager is None:
                return
            try:
                manager.flush()  # the last prices and counters, then every connection row closed
            finally:
                manager.stop()

    def service(self) -> LeaderService:
        return LeaderService("accounts-feeds", self.start, self.stop)

    def timer(self, seconds: float) -> LeaderTimer:
        return LeaderTimer("accounts-feed", seconds, lambda _engine: utcnow(), self.tick)


__all__ = ["LiveFeeds"]

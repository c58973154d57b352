"""Which sidecar schedules: the holder of a PostgreSQL session advisory lock.

Why an advisory lock: every sidecar works the queue, but timers (the periodic Sync All, schedule fires,
housekeeping) should tick in one place. `pg_try_advisory_lock` on a connection held for the life of the process
is a lease the server keeps for us: it never blocks, needs no table, and is released by the server when the
holder's connection ends -- a killed sidecar, a lost network -- so a follower that retries every few seconds
takes over. It is an optimisation, not what makes things correct: a fire is enqueued once because of the
`schedule_fires` unique key and a Sync All is one run because of `job_runs.active_scope`, so two sidecars that
both believe they lead for a moment (a partition) still do nothing twice.

SQLite has one sidecar, which always leads.
"""

from __future__ import annotations

import contextlib
import logging

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import DBAPIError

log = logging.getLogger("wheelhouse.sidecar")

LOCK_KEY = 0x5768_6565_6C68  # "Wheelh": one constant per database (advisory locks are per database)


class LeaderLock:
    """Acquire, check and release leadership; `check()` is called periodically by the sidecar."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._conn: Connection | None = None
        self.always_leader = engine.dialect.name != "postgresql"

    @property
    def held(self) -> bool:
        return self.always_leader or self._conn is not None

    def check(self) -> bool:
        """Keep (by pinging the lock's connection) or try to take leadership; returns whether this process leads."""
        if self.always_leader:
            return True
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT 1"))
                return True
            except DBAPIError:
                log.warning("lost the leader lock's connection; trying to take the lock again")
                self._drop()
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LOCK_KEY}).scalar_one()
        except BaseException:
            conn.close()
            raise
        if got:
            self._conn = conn
            return True
        conn.close()
        return False

    def release(self) -> None:
        """Give up leadership (at shutdown; the server also releases it if this process dies)."""
        if self._conn is None:
            return
        with contextlib.suppress(DBAPIError):
            self._conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
        self._drop()

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        with contextlib.suppress(DBAPIError):
            conn.invalidate()  # never hand a connection that held the lock back to the pool
            conn.close()


__all__ = ["LOCK_KEY", "LeaderLock"]

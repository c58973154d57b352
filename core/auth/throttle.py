"""Failed sign-ins, counted per username and per client, with a growing delay and then a temporary lockout.

Counts live in `sign_in_throttles`, so they survive a restart and every dashboard process sees the same ones.
After `free` failures each further failure holds that username (or client) back for a delay that doubles (2 s,
4 s, 8 s ... up to `max_delay`); at `lock_after` failures it is locked for `lock_for`, and every failure after
that locks it again. A key's count is forgotten `forget_after` its last failure; a good password clears the
username's count (not the client's: one valid account must not buy more guesses at others).

While a key is held back, attempts are refused before the password is even checked, and they do not add to
the count (so a flood cannot extend a real user's lockout without end). Two attempts racing through the check
at the same moment can both be verified: the limit is per attempt, not per instant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, delete, func, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core.db.models import SignInThrottle

USERNAME = "username"
CLIENT = "client"


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures are free, how the delay grows, when a key locks and for how long."""

    free: int
    lock_after: int
    lock_for: dt.timedelta
    max_delay: dt.timedelta = dt.timedelta(seconds=60)
    forget_after: dt.timedelta = dt.timedelta(hours=24)

    def hold_after(self, failures: int) -> dt.timedelta:
        """How long a key with `failures` recent failures is held back."""
        if failures >= self.lock_after:
            return self.lock_for
        if failures <= self.free:
            return dt.timedelta(0)
        return min(dt.timedelta(seconds=2 ** (failures - self.free)), self.max_delay)


# A client may be many people behind one address, so it gets more room than one username.
POLICIES = {
    USERNAME: ThrottlePolicy(free=3, lock_after=10, lock_for=dt.timedelta(minutes=15)),
    CLIENT: ThrottlePolicy(free=10, lock_after=30, lock_for=dt.timedelta(minutes=15)),
}


def throttle_keys(username: str, client_key: str) -> list[tuple[str, str]]:
    """The (scope, key) pairs an attempt for `username` from `client_key` is counted under."""
    return [(USERNAME, username.strip().lower()[:120]), (CLIENT, client_key[:120])]


def held_back_for(session: Session, keys: list[tuple[str, str]], now: dt.datetime) -> dt.timedelta | None:
    """How much longer the most held-back of `keys` must wait, or None when an attempt may be checked now."""
    until = session.scalar(
        select(func.max(SignInThrottle.blocked_until)).where(tuple_(SignInThrottle.scope, SignInThrottle.key).in_(keys))
    )
    return until - now if until is not None and until > now else None


def record_failure(session: Session, scope: str, key: str, now: dt.datetime) -> int:
    """Count one failure for (scope, key), hold it back by its policy, and return its new failure count."""
    policy = POLICIES[scope]
    table = SignInThrottle
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    insert = dialect.insert(table).values(scope=scope, key=key, failures=1, last_failure_at=now)
    stale = table.last_failure_at < now - policy.forget_after
    insert = insert.on_conflict_do_update(
        index_elements=[table.scope, table.key],
        set_={"failures": case((stale, 1), else_=table.failures + 1), "last_failure_at": now},
    )
    failures = session.execute(insert.returning(table.failures)).scalar_one()
    hold = policy.hold_after(failures)
    session.execute(
        update(table).where(table.scope == scope, table.key == key).values(blocked_until=now + hold if hold else None)
    )
    return failures


def clear(session: Session, scope: str, key: str) -> None:
    """Forget the failures of (scope, key): a good sign-in, or an admin resetting the password."""
    session.execute(delete(SignInThrottle).where(SignInThrottle.scope == scope, SignInThrottle.key == key))

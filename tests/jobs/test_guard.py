"""The guard ends a database outage only when the database answers, on a real outage of each backend.

The class of bug: a job that succeeds without touching the database (stopping a feed, a timer with nothing to do)
was taken as proof that the database was back, so the outage was "recorded" while it was still down, the write
failed quietly, and the outage was forgotten.
"""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, select, text

from core.db.engine import create_db_engine
from core.db.models import CriticalErrorLog
from core.jobs.backoff import Backoff
from core.jobs.guard import Guard
from tests.support import sidecars


@dataclass
class Outage:
    engine: Engine  # what the guarded jobs use: it loses the database on cut()
    cut: Callable[[], None]
    restore: Callable[[], None]


@pytest.fixture
def outage(backend, committed_engine, db_url, tmp_path) -> Iterator[Outage]:
    """A database that really goes away: behind a TCP proxy (PostgreSQL), or a file whose folder moves (SQLite)."""
    if backend == "postgresql":
        server = committed_engine.url
        proxy = sidecars.TcpProxy(server.host or "127.0.0.1", server.port or 5432).start()
        engine = create_db_engine(proxy.url_for(db_url))
        yield Outage(engine, proxy.cut, proxy.restore)
        engine.dispose()
        proxy.stop()
        return
    here, away = tmp_path / "db", tmp_path / "moved"
    here.mkdir()
    shutil.copy(Path(make_url(db_url).database or ""), here / "wheelhouse.db")
    engine = create_db_engine(f"sqlite:///{here / 'wheelhouse.db'}")

    def cut() -> None:
        here.rename(away)
        engine.dispose()  # an open SQLite handle would keep reading the moved file

    yield Outage(engine, cut, lambda: away.rename(here))
    engine.dispose()


def _touch(engine: Engine) -> Callable[[], int]:
    def job() -> int:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar_one()

    return job


def _outages(engine: Engine) -> list[CriticalErrorLog]:
    with engine.connect() as conn:
        return list(conn.execute(select(CriticalErrorLog).where(CriticalErrorLog.error_type == "database_unavailable")))


def test_a_job_that_needs_no_database_does_not_end_an_outage(outage):
    guard = Guard(outage.engine, "worker-1", Backoff(cap=0.05, base=0.05))
    assert guard.run("poll", _touch(outage.engine)) == 1 and not guard.backoff.in_outage()

    outage.cut()
    assert guard.run("poll", _touch(outage.engine)) is None and guard.backoff.failures == 1
    sidecars.wait_until(guard.backoff.ready, timeout=2)
    assert guard.run("stop-feed", lambda: "stopped") == "stopped"  # the job's own result is still returned
    assert guard.backoff.in_outage() and guard.backoff.failures == 2  # recording it failed: backing off again
    assert guard.last_error and guard.last_error[1].startswith("database:")

    outage.restore()
    sidecars.wait_until(guard.backoff.ready, timeout=2)
    assert guard.run("stop-feed", lambda: "stopped") == "stopped" and not guard.backoff.in_outage()
    assert guard.run("poll", _touch(outage.engine)) == 1  # ended once: a second success records nothing
    (row,) = _outages(outage.engine)
    assert row.details["failures"] == 2 and row.details["worker_id"] == "worker-1"
    assert "failed attempts" in row.message


def test_jobs_finishing_together_after_an_outage_record_it_once(outage):
    guard = Guard(outage.engine, "worker-1", Backoff(cap=0.05, base=0.05))
    outage.cut()
    assert guard.run("poll", _touch(outage.engine)) is None
    outage.restore()
    sidecars.wait_until(guard.backoff.ready, timeout=2)
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(guard.run("job", lambda: "done"))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["done"] * 8 and not guard.backoff.in_outage()
    assert len(_outages(outage.engine)) == 1

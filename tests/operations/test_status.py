"""core.operations: the sidebar's facts, and the data version that keys every cached page query."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading

import pytest

from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import JobRun, Setting, SystemHealthStatus
from core.jobs.health import sidecar_health
from core.operations.service import sidebar_status
from core.operations.status import DATA_SOURCE_KEY, data_version, describe_age, describe_since, synthetic_data
from tests import factories
from tests.pages.conftest import DOWN_URL


def test_describe_age():
    assert [describe_age(dt.timedelta(seconds=s)) for s in (5, 600, 7200, 200000)] == ["5 s", "10 min", "2 h", "2 d"]
    assert describe_age(None) == "never"


def test_describe_since_says_when_a_stamp_is_ahead_of_now():
    assert describe_since(dt.timedelta(minutes=5)) == "5 min ago"
    assert describe_since(dt.timedelta(seconds=-30)) == "0 s ago"  # two clocks a few seconds apart
    assert describe_since(dt.timedelta(hours=-14)) == "ahead of now by 14 h"
    assert describe_since(None) == "never"


def test_sidecar_health_counts_live_beats(session):
    now = utcnow()
    assert not sidecar_health(session, now).alive
    session.add_all(
        [
            SystemHealthStatus(service_name="sidecar", status="ok", check_timestamp=now - dt.timedelta(seconds=20)),
            SystemHealthStatus(service_name="sidecar", status="stopped", check_timestamp=now - dt.timedelta(seconds=5)),
            SystemHealthStatus(service_name="sidecar", status="ok", check_timestamp=now - dt.timedelta(minutes=30)),
        ]
    )
    session.flush()
    health = sidecar_health(session, now)
    assert health.status == "stopped" and health.live == 1 and health.alive
    assert health.age == dt.timedelta(seconds=5)


def test_synthetic_flag_from_runs_or_demo_setting(session):
    assert synthetic_data(session) == (False, None)
    session.add(JobRun(kind="sync", scope="sync:all", status="completed", provider="yfinance", finished_at=utcnow()))
    session.flush()
    assert synthetic_data(session)[0] is False
    session.add(Setting(key=DATA_SOURCE_KEY, value={"provider": "synthetic"}))
    session.flush()
    assert synthetic_data(session)[0] is True


def test_data_version_moves_with_watchlists_and_finished_runs(session):
    before = data_version(session)
    factories.watchlist(session, name="x")
    after_list = data_version(session)
    assert after_list != before
    session.add(JobRun(kind="sync", scope="sync:all", status="queued"))
    session.flush()
    assert data_version(session) == after_list  # a queued run changes nothing on screen yet


def test_status_of_a_database_that_is_down():
    from core.db.engine import create_db_engine

    status = sidebar_status(create_db_engine(DOWN_URL))
    assert status.error and "cannot reach database" in status.error


def test_status_of_an_empty_database(committed_engine):
    status = sidebar_status(committed_engine)
    assert status.error is None and status.newest_quote is None and not status.synthetic
    with unit_of_work(committed_engine) as session:
        assert not sidecar_health(session).alive


HOLD_THE_WRITE_LOCK = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN IMMEDIATE")  # the write lock, as a sidecar writing a batch holds it
print("locked", flush=True)
sys.stdin.readline()
conn.execute("COMMIT")
"""


@pytest.mark.slow
def test_the_sidebar_reads_while_another_process_holds_the_write_lock_and_a_write_queues(backend, committed_engine):
    if backend != "sqlite":
        pytest.skip("SQLite's database-wide write lock; on PostgreSQL readers never wait for a writer")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_WRITE_LOCK, committed_engine.url.database],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    writer = None
    try:
        assert holder.stdout.readline().strip() == "locked"
        status = sidebar_status(committed_engine)  # a read-only unit of work: it does not ask for the lock
        assert status.error is None and status.newest_quote is None
        assert holder.poll() is None, "the lock must still be held while the sidebar read"

        outcome: list[object] = []

        def write() -> None:
            try:
                with unit_of_work(committed_engine, write=True) as session:
                    session.add(Setting(key="written", value={"after": "the lock"}))
                outcome.append("written")
            except Exception as exc:  # reported below: a writer must wait its turn, not fail
                outcome.append(exc)

        writer = threading.Thread(target=write)
        writer.start()
        writer.join(timeout=1.0)
        assert writer.is_alive() and outcome == [], f"the write did not wait for the lock: {outcome}"
        holder.stdin.write("release\n")
        holder.stdin.flush()
        writer.join(timeout=30)
        assert outcome == ["written"]
    finally:
        holder.kill()
        holder.wait(10)
        if writer is not None:
            writer.join(timeout=30)
    with unit_of_work(committed_engine) as session:
        assert session.get(Setting, "written").value == {"after": "the lock"}

"""The sidecar in process: drain, job kinds, guarded jobs and back-off, housekeeping, heartbeats and the leader
lock; and SIGTERM on a real `python -m core.sync` process. (Chain sync's universe timer: tests/sync/test_kind.py.)"""

from __future__ import annotations

import datetime as dt
import logging
import threading

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import OperationalError

from core.db.base import utcnow
from core.db.engine import create_db_engine, unit_of_work
from core.db.models import (
    CriticalErrorLog,
    JobItem,
    JobRun,
    OpportunitySnapshot,
    QuarantineCount,
    ScanSession,
    StockPremium,
    SymbolDailyHistory,
    SystemHealthStatus,
    TradingHoursTemplate,
)
from core.jobs import health, queue
from core.jobs.backoff import Backoff
from core.jobs.kinds import JobContext, JobKind, JobKinds, LeaderService
from core.jobs.leader import LeaderLock
from core.jobs.settings import SidecarSettings
from core.jobs.sidecar import Sidecar
from core.providers import get_provider
from core.sync.requests import SyncRequest, enqueue_sync
from tests.support import sidecars
from tests.support.schedules import make_schedule

AS_OF = dt.date(2026, 11, 20)
SETTINGS = SidecarSettings.from_settings(poll_seconds=0.05, lease_seconds=5, batch_size=10)
RETENTION = health.Retention(
    history_days=800, quarantine_days=90, job_days=30, resolved_error_days=30, heartbeat_days=7
)


@pytest.fixture
def sidecar_engine(committed_engine, db_url):
    """The sidecar's own engine (IMMEDIATE transactions on SQLite, as `python -m core.sync` makes it)."""
    engine = create_db_engine(db_url, sqlite_immediate=True)
    yield engine
    engine.dispose()


def _enqueue(engine, symbols=("AAPL", "MSFT", "NOPE")) -> int:
    with unit_of_work(engine, write=True) as session:
        run, _ = enqueue_sync(session, SyncRequest(symbols=tuple(symbols), provider="synthetic", as_of=AS_OF))
        return run.id


def test_drain_works_the_queue_beats_and_fills_calendars(sidecar_engine):
    run_id = _enqueue(sidecar_engine)
    sidecar = Sidecar(sidecar_engine, SETTINGS, sidecars.job_kinds())
    assert sidecar.drain() == 0
    status, total, done, failed, stored = sidecars.run_state(sidecar_engine, run_id)
    assert (status, total, done, failed) == ("completed", 3, 3, 1)
    with unit_of_work(sidecar_engine) as session:  # both good symbols' chains, within the default 75-day window
        expiries = session.execute(select(StockPremium.symbol, StockPremium.expiration_date)).all()
    assert stored == len(expiries) and {symbol for symbol, _ in expiries} == {"AAPL", "MSFT"}
    assert max(expiry for _, expiry in expiries) <= AS_OF + dt.timedelta(days=75)
    with unit_of_work(sidecar_engine) as session:
        beat = session.get(SystemHealthStatus, health.heartbeat_id(sidecar.worker_id))
        assert (beat.service_name, beat.status) == ("sidecar", "stopped")
        assert {"pid", "host", "worker_id", "leader", "last_error"} <= set(beat.details)
        assert beat.details["worker_id"] == sidecar.worker_id
        codes = set(session.scalars(select(TradingHoursTemplate.exchange_code)))
        assert {"XNYS", "XBOM"} <= codes
        failure = session.scalar(select(CriticalErrorLog).where(CriticalErrorLog.error_type == "sync_item_failed"))
        assert failure.details["symbol"] == "NOPE"


def _fake_scan_kind(calls) -> JobKind:
    def work(ctx: JobContext) -> int:  # like core.scanner.jobs: claim the scan items, record them
        calls.append(ctx)
        with ctx.engine.begin() as conn:
            claims = queue.claim_items(conn, ctx.worker_id, 100, kind="scan")
            queue.record_outcomes(conn, ctx.worker_id, [queue.ItemOutcome(c.item_id, "synced") for c in claims])
        return len(claims)

    return JobKind("scan", work)


def test_scan_runs_wait_without_the_scan_kind_and_go_to_it_when_registered(sidecar_engine):
    schedule_id = make_schedule(sidecar_engine, next_run=utcnow() - dt.timedelta(seconds=5))
    # returns: scan runs are not the work of a sidecar without the scan kind
    assert Sidecar(sidecar_engine, SETTINGS, sidecars.job_kinds()).drain() == 0
    with unit_of_work(sidecar_engine) as session:
        run = session.scalar(select(JobRun).where(JobRun.kind == "scan"))
        assert run.status == "queued" and run.params["schedule_id"] == schedule_id
    calls: list[JobContext] = []
    sidecar = Sidecar(sidecar_engine, SETTINGS, sidecars.job_kinds(_fake_scan_kind(calls)))
    assert sidecar.drain() == 0
    assert calls and calls[0].worker_id == sidecar.worker_id
    assert calls[0].stop is sidecar.stop  # its stop event: SIGTERM reaches scans too
    assert calls[0].lease == SETTINGS.lease and calls[0].batch_size == SETTINGS.batch_size
    assert sidecars.run_state(sidecar_engine, run.id).status == "completed"


def test_a_kind_that_breaks_does_not_keep_the_next_kind_from_working(sidecar_engine):
    make_schedule(sidecar_engine, next_run=utcnow() - dt.timedelta(seconds=5))  # queues a scan run on drain

    def broken(ctx: JobContext) -> int:
        raise ValueError("a bug in the first kind")

    calls: list[JobContext] = []
    kinds = JobKinds([JobKind("broken", broken), _fake_scan_kind(calls)])
    sidecar = Sidecar(sidecar_engine, SETTINGS, kinds)
    assert sidecar.drain() == 0
    with unit_of_work(sidecar_engine) as session:
        run = session.scalar(select(JobRun).where(JobRun.kind == "scan"))
        failure = session.scalar(select(CriticalErrorLog).where(CriticalErrorLog.error_type == "sidecar_job_failed"))
    assert calls and sidecars.run_state(sidecar_engine, run.id).status == "completed"
    assert failure.details["job"] == "broken" and "a bug in the first kind" in failure.message


def test_a_kind_is_registered_once():
    kind = JobKind("scan", lambda ctx: 0)
    with pytest.raises(ValueError, match="registered twice"):
        JobKinds([kind, kind])


def test_backoff_doubles_up_to_its_cap_and_resets():
    backoff = Backoff(cap=5)
    assert [backoff.failed() for _ in range(5)] == [1, 2, 4, 5, 5]
    assert not backoff.ready()
    seconds, failures = backoff.succeeded()
    assert failures == 5 and seconds >= 0 and backoff.ready() and backoff.succeeded() is None


def test_guarded_jobs_back_off_on_a_lost_database_and_record_other_failures(sidecar_engine):
    sidecar = Sidecar(sidecar_engine, SETTINGS, sidecars.job_kinds())
    backoff = sidecar.guard.backoff = Backoff(cap=0.05, base=0.05)
    ran = []

    def lost():
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    assert sidecar.guarded("poll", lost) is None
    assert backoff.failures == 1 and sidecar.guarded("poll", lambda: ran.append(1)) is None and ran == []
    sidecars.wait_until(backoff.ready, timeout=2)
    assert sidecar.guarded("poll", lambda: ran.append(1) or "ok") == "ok" and backoff.failures == 0

    def broken():
        raise ValueError("a bug")

    assert sidecar.guarded("housekeeping", broken) is None and backoff.ready()
    with unit_of_work(sidecar_engine) as session:
        rows = {r.error_type: r for r in session.scalars(select(CriticalErrorLog))}
    assert "server closed the connection" in rows["database_unavailable"].message
    assert rows["sidecar_job_failed"].details["job"] == "housekeeping" and "a bug" in rows["sidecar_job_failed"].message
    assert sidecar.details()["last_error"].startswith("housekeeping: ValueError")


def test_housekeeping_deletes_only_rows_past_retention(sidecar_engine):
    now = utcnow()
    old, recent = now - dt.timedelta(days=1000), now - dt.timedelta(days=1)
    with unit_of_work(sidecar_engine, write=True) as session:
        session.add_all(
            [
                SymbolDailyHistory(symbol="OLD", date=old.date()),
                SymbolDailyHistory(symbol="NEW", date=recent.date()),
                QuarantineCount(symbol="OLD", reason="x", count=1, recorded_at=old),
                QuarantineCount(symbol="NEW", reason="x", count=1, recorded_at=recent),
                CriticalErrorLog(error_type="t", message="resolved", resolved_at=old),
                CriticalErrorLog(error_type="t", message="open", created_at=old),
            ]
        )
    finished = JobRun(kind="sync", scope="sync:old", status="completed", finished_at=old)
    with unit_of_work(sidecar_engine, write=True) as session:
        session.add(finished)
        session.flush()
        session.add(JobItem(run_id=finished.id, symbol="OLD", status="synced"))
        session.add(JobRun(kind="sync", scope="sync:new", status="completed", finished_at=recent))
    ancient = now - dt.timedelta(days=RETENTION.track_record_days + 5)  # the track record keeps three years
    with unit_of_work(sidecar_engine, write=True) as session:
        session.add(ScanSession(id="s-old", strategy="csp", started_at=ancient))
        session.add(ScanSession(id="s-new", strategy="csp", started_at=recent))
        for key, expires in (("old", ancient), ("new", old)):
            session.add(
                OpportunitySnapshot(
                    opportunity_id=key,
                    symbol="X",
                    strategy_type="csp",
                    data={},
                    expires_at=expires,
                    scan_session_id="s-new",
                )
            )
    health.write_heartbeat(sidecar_engine, "gone:1", "ok", {})
    with sidecar_engine.begin() as conn:
        conn.execute(update(SystemHealthStatus).values(check_timestamp=old))
    removed = health.housekeeping(sidecar_engine, RETENTION)
    assert removed == {
        "symbol_daily_history": 1,
        "quarantine_counts": 1,
        "schedule_fires": 0,
        "job_runs": 1,
        "critical_error_logs": 1,
        "system_health_status": 1,
        "opportunity_snapshots": 1,
        "scan_sessions": 1,
    }
    assert sidecars.count(sidecar_engine, OpportunitySnapshot) == 1  # expired 1000 days ago: kept
    assert sidecars.count(sidecar_engine, JobItem) == 0  # the old run's items went with it
    assert sidecars.count(sidecar_engine, CriticalErrorLog) == 1  # unresolved errors stay, however old


def test_heartbeat_is_one_row_per_process(sidecar_engine):
    health.write_heartbeat(sidecar_engine, "host:1:a", "ok", {"n": 1})
    health.write_heartbeat(sidecar_engine, "host:1:a", "degraded", {"n": 2})
    health.write_heartbeat(sidecar_engine, "host:2:b", "ok", {})
    with unit_of_work(sidecar_engine) as session:
        rows = {r.id: r for r in session.scalars(select(SystemHealthStatus))}
    assert len(rows) == 2
    mine = rows[health.heartbeat_id("host:1:a")]
    assert (mine.status, mine.details, mine.response_time_ms >= 0) == ("degraded", {"n": 2}, True)


def test_one_leader_at_a_time_and_a_dead_leaders_lock_is_taken_over(backend, db_url, committed_engine):
    first, second = create_db_engine(db_url), create_db_engine(db_url)
    a, b = LeaderLock(first), LeaderLock(second)
    try:
        if backend == "sqlite":
            assert a.check() and b.check()  # one sidecar on SQLite: it always leads
            return
        assert a.check() and not b.check() and a.check()
        a.release()
        assert b.check() and not a.check()
        with committed_engine.connect() as conn:  # the leader's connection dies (as with kill -9)
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND granted AND database = "
                    "(SELECT oid FROM pg_database WHERE datname = current_database())"
                )
            )
        assert sidecars.wait_until(a.check, timeout=10)
        assert not b.check()
    finally:
        a.release()
        b.release()
        first.dispose()
        second.dispose()


def test_leader_services_run_while_leading_stop_when_leadership_is_lost_and_at_exit(backend, db_url, sidecar_engine):
    events: list[str] = []
    service = LeaderService("recorder", lambda engine: events.append("start"), lambda: events.append("stop"))
    kinds = JobKinds([JobKind("idle", lambda ctx: 0, services=(service,))])
    settings = SidecarSettings.from_settings(poll_seconds=0.05, leader_retry_seconds=0.5)
    sidecar = Sidecar(sidecar_engine, settings, kinds)
    thread = threading.Thread(target=sidecar.run, daemon=True)
    rival_engine = create_db_engine(db_url)
    rival = LeaderLock(rival_engine)
    thread.start()
    try:
        sidecars.wait_until(lambda: events == ["start"], timeout=10, what="the service started by the leader")
        if backend == "postgresql":
            with sidecar_engine.connect() as conn:  # the leader's lock connection dies and a rival takes the lock
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid) FROM pg_locks "
                        "WHERE locktype = 'advisory' AND granted AND database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database())"
                    )
                )
            assert sidecars.wait_until(rival.check, timeout=10)
            sidecars.wait_until(lambda: events == ["start", "stop"], timeout=10, what="stopped on losing the lead")
            rival.release()
            sidecars.wait_until(lambda: events == ["start", "stop", "start"], timeout=10, what="started on leading")
    finally:
        sidecar.request_stop()
        thread.join(30)
        rival.release()
        rival_engine.dispose()
    assert not thread.is_alive()
    assert events[-1] == "stop" and events.count("start") == events.count("stop")


@pytest.mark.slow
def test_sigterm_finishes_the_batch_releases_the_rest_and_exits_0(backend, committed_engine, db_url, tmp_path):
    symbols = get_provider("synthetic").universe()[:400]
    run_id = _enqueue(committed_engine, symbols)
    process = sidecars.Sidecar(db_url, "--batch-size", "10", log_path=tmp_path / "sidecar.log")
    try:
        sidecars.wait_until(lambda: sidecars.run_state(committed_engine, run_id).done_items >= 20, what="progress")
        assert process.terminate() == 0, process.log()
    finally:
        process.kill()
    states = sidecars.item_states(committed_engine, run_id)
    assert not [s for s in states if s[0] == "running"]  # finished or released, none left leased
    assert any(s[0] == "queued" for s in states), "the run finished before SIGTERM: nothing was tested"
    assert all(attempts == 1 for status, attempts in states if status != "queued")
    assert "stopping" in process.log() and "sidecar stopped" in process.log()
    with unit_of_work(committed_engine) as session:
        beats = session.scalars(select(SystemHealthStatus.status)).all()
    assert beats == ["stopped"]


@pytest.mark.slow
def test_an_unmigrated_database_is_one_line_and_exit_1(tmp_path):
    process = sidecars.Sidecar(f"sqlite:///{tmp_path / 'new.db'}", "--drain", log_path=tmp_path / "sidecar.log")
    assert process.wait(30) == 1
    lines = [line for line in process.log().splitlines() if line.strip()]
    assert lines == [lines[0]] and lines[0].startswith("error: ") and "db upgrade" in lines[0]


def test_log_lines_are_readable_text_or_one_json_object():
    import json

    from core.jobs.logs import JsonFormatter, TextFormatter, fields

    record = logging.LogRecord("wheelhouse.sidecar", logging.INFO, __file__, 1, "run enqueued", None, None)
    record.__dict__.update(fields(run_id=5, created=True, error="no route to host"))
    assert (
        TextFormatter()
        .format(record)
        .endswith('INFO  sidecar: run enqueued run_id=5 created=true error="no route to host"')
    )
    doc = json.loads(JsonFormatter().format(record))
    assert (doc["msg"], doc["run_id"], doc["created"], doc["logger"]) == ("run enqueued", 5, True, "wheelhouse.sidecar")

"""Reliability, done for real: kill -9 mid Sync All, two sidecars on one PostgreSQL, the database vanishing and
coming back (through a TCP proxy this test owns), and a provider that fails for some symbols."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal

import pytest
from sqlalchemy import select

from core.config import get_settings
from core.db.base import utcnow
from core.db.engine import create_db_engine, unit_of_work
from core.db.models import CriticalErrorLog, JobItem, JobRun, ScanSchedule, ScheduleFire, StockPremium
from core.jobs.settings import SidecarSettings
from core.jobs.sidecar import Sidecar
from core.providers import get_provider
from core.providers.base import NoOptions, ProviderError
from core.providers.synthetic import SyntheticProvider
from core.sync import prepare
from core.sync.requests import SyncRequest, enqueue_sync
from core.sync.worker import SyncWorker
from tests.support import sidecars
from tests.support.schedules import make_schedule

AS_OF = dt.date(2026, 11, 20)
FINAL = {"synced", "no_options", "failed"}


@pytest.fixture
def sidecar_engine(committed_engine, db_url):
    """The sidecar's own engine for in-process sidecars (IMMEDIATE on SQLite); tests read with committed_engine."""
    engine = create_db_engine(db_url, sqlite_immediate=True)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def universe() -> list[str]:
    return get_provider("synthetic").universe()


def _sync_all(engine) -> int:
    with unit_of_work(engine, write=True) as session:
        run, _ = enqueue_sync(session, SyncRequest(all_symbols=True, provider="synthetic", as_of=AS_OF))
        return run.id


def _sync_symbols(engine, symbols) -> int:
    with unit_of_work(engine, write=True) as session:
        run, _ = enqueue_sync(session, SyncRequest(symbols=tuple(symbols), provider="synthetic", as_of=AS_OF))
        return run.id


def _postgres_only(backend):
    if backend != "postgresql":
        pytest.skip("several sidecars share one PostgreSQL; SQLite has one sidecar")


@pytest.mark.slow
def test_kill_9_mid_sync_all_then_a_restarted_sidecar_finishes_it(
    backend, committed_engine, db_url, tmp_path, universe
):
    sidecars.add_stocks(committed_engine, universe[:200])
    run_id = _sync_all(committed_engine)
    first = sidecars.Sidecar(db_url, "--lease-seconds", "2", "--batch-size", "10", log_path=tmp_path / "first.log")

    def mid_batch() -> bool:  # some symbols done, and a claimed batch in flight
        states = sidecars.item_states(committed_engine, run_id)
        return sum(s in FINAL for s, _ in states) >= 20 and any(s == "running" for s, _ in states)

    try:
        sidecars.wait_until(mid_batch, what="progress with a batch in flight")
        os.kill(first.pid, signal.SIGKILL)
        assert first.wait() == -signal.SIGKILL
    finally:
        first.kill()
    at_kill = sidecars.run_state(committed_engine, run_id)
    assert at_kill.status == "running" and at_kill.done_items < at_kill.total_items == 200
    in_flight = {
        i for i, (status, _) in enumerate(sidecars.item_states(committed_engine, run_id)) if status == "running"
    }  # frozen: their worker is dead
    second = sidecars.Sidecar(db_url, "--drain", "--lease-seconds", "2", log_path=tmp_path / "second.log")
    assert second.wait(90) == 0, second.log()

    done = sidecars.run_state(committed_engine, run_id)
    assert (done.status, done.done_items, done.failed_items) == ("completed", 200, 0)
    states = sidecars.item_states(committed_engine, run_id)
    assert {status for status, _ in states} <= FINAL
    # their leases lapsed and they were redone: claimed again at least once (a claim is an attempt nothing gives
    # back, so a pass the loaded machine made fail before the kill may have counted one more)
    assert in_flight and all(states[i][1] >= 2 for i in in_flight), [states[i] for i in in_flight]
    after_crash = sidecars.contracts(committed_engine)
    assert len(after_crash) == done.contracts

    sidecars.clear_market_data(committed_engine)  # the same Sync All, clean, in this process
    clean_run = _sync_all(committed_engine)
    SyncWorker(committed_engine).run_until_idle(clean_run)
    assert sidecars.run_state(committed_engine, clean_run).contracts == done.contracts
    assert sidecars.contracts(committed_engine) == after_crash  # none lost, none duplicated, same quotes


def _expected_contracts(symbols) -> int:
    settings = get_settings()
    provider = SyntheticProvider(seed=settings.synthetic_seed, as_of=AS_OF, n_symbols=settings.synthetic_universe_size)
    total = 0
    for symbol in symbols:
        try:
            snapshot = provider.snapshot(symbol, max_dte=settings.sync_max_dte)  # the window a run uses
        except NoOptions:
            continue
        total += prepare.prepare(snapshot, fetched_at=utcnow(), risk_free_rate=settings.risk_free_rate).stored
    return total


@pytest.mark.slow
def test_two_sidecars_process_every_item_and_every_fire_exactly_once(
    backend, committed_engine, db_url, tmp_path, universe
):
    _postgres_only(backend)
    symbols = universe[:400]
    run_id = _sync_symbols(committed_engine, symbols)
    schedule_id = make_schedule(committed_engine, symbols=(), next_run=utcnow() - dt.timedelta(seconds=5))
    pair = [
        sidecars.Sidecar(db_url, "--drain", "--batch-size", "10", log_path=tmp_path / f"drain{i}.log") for i in (1, 2)
    ]
    expected = _expected_contracts(symbols)  # while they run: what a clean run stores
    for process in pair:
        assert process.wait(90) == 0, process.log()

    states = sidecars.item_states(committed_engine, run_id)
    assert len(states) == 400 and all(status in FINAL and attempts == 1 for status, attempts in states)
    worked = [sum(map(int, re.findall(r"queue idle items=(\d+)", p.log()))) for p in pair]
    assert sum(worked) == 400 and min(worked) > 0, worked  # both worked, nothing twice
    assert (
        sidecars.count(committed_engine, StockPremium)
        == sidecars.run_state(committed_engine, run_id).contracts
        == expected
    )
    assert sidecars.count(committed_engine, ScheduleFire, ScheduleFire.schedule_id == schedule_id) == 1
    assert sidecars.count(committed_engine, JobRun, JobRun.kind == "scan") == 1


def _heartbeats(engine) -> dict[int, bool]:
    from core.db.models import SystemHealthStatus

    with engine.connect() as conn:
        rows = conn.execute(select(SystemHealthStatus.details, SystemHealthStatus.status)).all()
    return {r.details["pid"]: bool(r.details["leader"]) for r in rows if r.status != "stopped"}


def _once_in(engine, seconds: float) -> int:
    return make_schedule(
        engine,
        symbols=(),
        schedule_type="once",
        interval_minutes=None,
        next_run=utcnow() + dt.timedelta(seconds=seconds),
    )


def _fired(engine, schedule_id) -> bool:
    with unit_of_work(engine) as session:
        return session.get(ScanSchedule, schedule_id).last_run is not None


@pytest.mark.slow
def test_one_leader_schedules_and_a_follower_takes_over_after_kill_9(backend, committed_engine, db_url, tmp_path):
    _postgres_only(backend)
    pair = {}
    try:
        for name in ("a", "b"):
            process = sidecars.Sidecar(db_url, log_path=tmp_path / f"{name}.log")
            pair[process.pid] = process
        beats = sidecars.wait_until(
            lambda: len(h := _heartbeats(committed_engine)) == 2 and any(h.values()) and h,
            what="two heartbeats and a leader",
        )
        [leader] = [pid for pid, leading in beats.items() if leading]
        first = _once_in(committed_engine, 1.5)
        sidecars.wait_until(lambda: _fired(committed_engine, first), what="the first schedule fire")

        pair[leader].kill()
        [survivor] = [pid for pid in pair if pid != leader]
        sidecars.wait_until(lambda: _heartbeats(committed_engine).get(survivor), what="the follower leading")
        second = _once_in(committed_engine, 1.5)
        sidecars.wait_until(lambda: _fired(committed_engine, second), what="the second schedule fire")
        assert pair[survivor].terminate() == 0, pair[survivor].log()
    finally:
        for process in pair.values():
            process.kill()
    for schedule_id in (first, second):
        assert sidecars.count(committed_engine, ScheduleFire, ScheduleFire.schedule_id == schedule_id) == 1
    with unit_of_work(committed_engine) as session:
        assert session.get(ScanSchedule, first).next_run is None  # a one-off: done
    assert "leading" in pair[survivor].log()


@pytest.mark.slow
def test_the_database_goes_away_and_comes_back(backend, committed_engine, db_url, tmp_path, universe):
    _postgres_only(backend)
    server = committed_engine.url
    proxy = sidecars.TcpProxy(server.host or "127.0.0.1", server.port or 5432).start()
    run_id = _sync_symbols(committed_engine, universe[:200])
    process = sidecars.Sidecar(
        proxy.url_for(db_url), "--lease-seconds", "3", "--batch-size", "5", log_path=tmp_path / "sidecar.log"
    )
    try:
        sidecars.wait_until(lambda: sidecars.run_state(committed_engine, run_id).done_items >= 20, what="progress")
        proxy.cut()
        sidecars.wait_until(
            lambda: "database unavailable; backing off" in process.log(),
            timeout=20,
            interval=0.1,
            what="the outage logged",
        )
        sidecars.wait_until(
            lambda: process.log().count("backing off") >= 3, timeout=20, interval=0.1, what="a few retries"
        )
        assert process.proc.poll() is None, process.log()  # alive, no restart
        assert sidecars.run_state(committed_engine, run_id).status == "running"
        proxy.restore()
        sidecars.wait_until(
            lambda: sidecars.run_state(committed_engine, run_id).status == "completed",
            timeout=60,
            interval=0.2,
            what="the run to finish after recovery",
        )
        later = _sync_symbols(committed_engine, universe[200:203])  # and it keeps serving new work
        sidecars.wait_until(
            lambda: sidecars.run_state(committed_engine, later).status == "completed",
            timeout=30,
            interval=0.1,
            what="new work after recovery",
        )
        assert process.terminate() == 0, process.log()
    finally:
        process.kill()
        proxy.stop()
    assert "database reachable again" in process.log()
    first, second = sidecars.run_state(committed_engine, run_id), sidecars.run_state(committed_engine, later)
    assert first.failed_items == 0 and first.done_items == 200  # the outage failed no symbol
    assert sidecars.count(committed_engine, StockPremium) == first.contracts + second.contracts
    assert sidecars.count(committed_engine, CriticalErrorLog, CriticalErrorLog.error_type == "database_unavailable")


class FlakyProvider(SyntheticProvider):
    """The synthetic market, except for a few symbols that time out, raise, or come back as garbage."""

    def snapshot(self, symbol, max_dte=0):
        if symbol == "MSFT":
            raise ProviderError("timed out after 20 s")
        if symbol == "NVDA":
            raise ConnectionResetError("connection reset by peer")
        if symbol == "AMD":
            snapshot = super().snapshot(symbol, max_dte)
            snapshot.chain = snapshot.chain.drop(columns=["option_type"])  # garbage: not a chain
            return snapshot
        if symbol == "INTC":
            return "<html>502 Bad Gateway</html>"
        return super().snapshot(symbol, max_dte)


def test_a_failing_provider_fails_only_its_symbols(sidecar_engine, universe):
    def factory(name=None, source=None, as_of=None):
        return FlakyProvider(seed=get_settings().synthetic_seed, as_of=as_of)

    symbols = universe[:40]
    run_id = _sync_symbols(sidecar_engine, symbols)
    settings = SidecarSettings.from_settings(poll_seconds=0.05, batch_size=10)
    sidecar = Sidecar(sidecar_engine, settings, sidecars.job_kinds(provider_factory=factory))
    assert sidecar.drain() == 0
    state = sidecars.run_state(sidecar_engine, run_id)
    assert (state.status, state.done_items, state.failed_items) == ("completed", 40, 4)
    with unit_of_work(sidecar_engine) as session:
        errors = dict(
            session.execute(select(JobItem.symbol, JobItem.error_message).where(JobItem.status == "failed")).all()
        )
        logged = {
            r.details["symbol"]
            for r in session.scalars(select(CriticalErrorLog).where(CriticalErrorLog.error_type == "sync_item_failed"))
        }
    assert set(errors) == logged == {"MSFT", "NVDA", "AMD", "INTC"}
    assert "timed out" in errors["MSFT"] and "ConnectionResetError" in errors["NVDA"]
    assert "option_type" in errors["AMD"] and "AttributeError" in errors["INTC"]
    assert sidecars.count(sidecar_engine, StockPremium, StockPremium.symbol == "AAPL") > 0

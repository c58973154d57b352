"""Chain sync as a job kind: the leader's periodic universe Sync All (market hours, one run, on time after
restarts) and the kind as core.sidecar registers it."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from sqlalchemy import delete, select, update

from core.config import Settings
from core.db.base import utcnow
from core.db.engine import create_db_engine, unit_of_work
from core.db.models import JobRun, MarketHoliday, TradingSession
from core.jobs.upkeep import ensure_calendars
from core.sidecar import job_kinds
from core.sync.kind import UniverseSync
from tests.support import sidecars


@pytest.fixture
def sidecar_engine(committed_engine, db_url):
    """The sidecar's own engine (IMMEDIATE transactions on SQLite, as `python -m core.sync` makes it)."""
    engine = create_db_engine(db_url, sqlite_immediate=True)
    yield engine
    engine.dispose()


def _set_hours(engine, trading: bool) -> None:
    with engine.begin() as conn:
        conn.execute(delete(MarketHoliday))
        conn.execute(
            update(TradingSession).values(
                is_trading_day=trading, market_open=dt.time(0), market_close=dt.time(23, 59, 59, 999999)
            )
        )


def test_universe_sync_follows_market_hours_and_is_one_run(sidecar_engine, caplog):
    ensure_calendars(sidecar_engine)
    universe = UniverseSync(interval_minutes=30, market_hours_only=True, exchange="XNYS")
    _set_hours(sidecar_engine, trading=False)
    with caplog.at_level(logging.INFO, logger="wheelhouse.sidecar"):
        universe.run(sidecar_engine)
    assert "market closed" in caplog.text and sidecars.count(sidecar_engine, JobRun) == 0
    _set_hours(sidecar_engine, trading=True)
    universe.run(sidecar_engine)
    universe.run(sidecar_engine)
    with unit_of_work(sidecar_engine) as session:
        [run] = session.scalars(select(JobRun)).all()
        assert (run.scope, run.requested_by, run.status) == ("sync:all", "sidecar", "queued")
        assert run.total_items >= 1200  # no stocks stored yet: the provider's universe


def test_the_periodic_sync_counts_from_the_last_request_so_restarts_do_not_postpone_it(sidecar_engine):
    universe = UniverseSync(interval_minutes=30, market_hours_only=True, exchange="XNYS")
    before = utcnow()
    assert (
        before + dt.timedelta(minutes=30) <= universe.first_run(sidecar_engine) <= utcnow() + dt.timedelta(minutes=30)
    )
    requested = before - dt.timedelta(minutes=20)
    with unit_of_work(sidecar_engine, write=True) as session:
        session.add(JobRun(kind="sync", scope="sync:all", status="completed", created_at=requested))
    assert universe.first_run(sidecar_engine) == requested + dt.timedelta(minutes=30)


def test_the_sidecar_works_chain_sync_then_scanner_runs_and_syncs_the_universe_on_its_interval():
    settings = Settings(sync_interval_minutes=45, account_ping_interval_seconds=30, account_feed_flush_seconds=3)
    kinds = job_kinds(settings)
    assert kinds.names == ("sync", "track", "scan", "accounts_sync", "lab")  # the track record right after a sync
    timer, resolve, ping, accounts, feed = kinds.timers()
    assert (resolve.id, resolve.seconds) == ("track-resolve", 30 * 60)
    assert (timer.id, timer.seconds) == ("universe-sync", 45 * 60)
    assert [(ping.id, ping.seconds), (accounts.id, accounts.seconds)] == [("accounts-ping", 30), ("accounts-sync", 300)]
    assert (feed.id, feed.seconds) == ("accounts-feed", 3)
    assert [service.id for service in kinds.services()] == ["accounts-feeds"]  # the live feeds, leader only

"""Account syncs and pings in the real sidecar on both databases: the `accounts_sync` job kind as core.sidecar
registers it, worked by `Sidecar.drain`, and the leader's ping and sync timers ticking in a running sidecar."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from core.accounts.kind import AccountTimers, accounts_sync_kind
from core.accounts.queueing import enqueue_account_sync
from core.config import get_settings
from core.db.base import utcnow
from core.db.engine import create_db_engine, unit_of_work
from core.db.models import ActivityLog, CriticalErrorLog, FailoverEvent, JobItem, JobRun, Position, TradingAccount
from core.jobs.kinds import JobKinds
from core.jobs.settings import SidecarSettings
from core.jobs.sidecar import Sidecar
from core.sidecar import job_kinds
from tests.support.sidecars import wait_until

SETTINGS = SidecarSettings.from_settings(poll_seconds=0.05, leader_retry_seconds=0.1, lease_seconds=30)


@pytest.fixture
def sidecar_engine(db, db_url):
    """The sidecar's own engine (IMMEDIATE transactions on SQLite, as `python -m core.sync` makes it)."""
    engine = create_db_engine(db_url, sqlite_immediate=True)
    yield engine
    engine.dispose()


def symbols(engine, account_id) -> set[str]:
    with unit_of_work(engine) as session:
        return set(session.scalars(select(Position.symbol).where(Position.account_id == account_id)))


def items(engine, run_id) -> dict[str, tuple]:
    with unit_of_work(engine) as session:
        rows = session.execute(
            select(JobItem.symbol, JobItem.status, JobItem.error_message).where(JobItem.run_id == run_id)
        )
        return {symbol: (status, error) for symbol, status, error in rows}


def run_row(engine, run_id) -> tuple:
    with unit_of_work(engine) as session:
        run = session.get(JobRun, run_id)
        return run.kind, run.status, run.total_items, run.done_items, run.failed_items


def test_a_queued_account_sync_ends_with_positions_in_the_tables(sidecar_engine, make_user, openalgo, add_account):
    make_user()
    account = add_account("main", openalgo)
    run_id = enqueue_account_sync(sidecar_engine, [account.id], requested_by="test")
    assert symbols(sidecar_engine, account.id) == set()

    assert Sidecar(sidecar_engine, SETTINGS, job_kinds(get_settings())).drain() == 0

    assert symbols(sidecar_engine, account.id) == {"NHPC", "NIFTY28MAR2420800CE", "RELIANCE"}
    assert run_row(sidecar_engine, run_id) == ("accounts_sync", "completed", 1, 1, 0)
    assert items(sidecar_engine, run_id) == {str(account.id): ("synced", None)}
    with unit_of_work(sidecar_engine) as session:
        assert session.get(TradingAccount, account.id).last_sync is not None
    assert enqueue_account_sync(sidecar_engine, [account.id]) != run_id  # the finished run no longer holds its scope


def test_one_failing_account_does_not_stop_another(sidecar_engine, make_user, servers, add_account):
    make_user()
    good_server, bad_server = servers(), servers(broker="upstox")
    good, bad = add_account("good", good_server), add_account("bad", bad_server)
    bad_server.api_key = "f" * 64  # the broker now refuses the stored key
    run_id = enqueue_account_sync(sidecar_engine, None)

    Sidecar(sidecar_engine, SETTINGS, job_kinds(get_settings())).drain()

    assert run_row(sidecar_engine, run_id) == ("accounts_sync", "completed", 2, 2, 1)
    outcome = items(sidecar_engine, run_id)
    assert outcome[str(good.id)] == ("synced", None)
    assert outcome[str(bad.id)][0] == "failed" and "rejected the API key" in outcome[str(bad.id)][1]
    assert "NIFTY28MAR2420800CE" in symbols(sidecar_engine, good.id) and symbols(sidecar_engine, bad.id) == set()
    assert bad_server.api_key not in outcome[str(bad.id)][1]
    with unit_of_work(sidecar_engine) as session:
        assert "rejected the API key" in session.get(TradingAccount, bad.id).last_error
        assert session.scalars(select(CriticalErrorLog)).all() == []  # an account's failure is not a sidecar error


def test_the_leaders_timers_ping_until_down_fail_over_and_sync_the_backup(
    sidecar_engine, make_user, servers, add_account, monkeypatch
):
    monkeypatch.setenv("ACCOUNT_FAILURES_BEFORE_DOWN", "2")
    monkeypatch.setenv("ACCOUNT_TIMEOUT_SECONDS", "2")
    get_settings.cache_clear()
    make_user()
    main_server, spare_server = servers(), servers(broker="upstox")
    main = add_account("main", main_server)
    spare = add_account("spare", spare_server, backup_of="main")
    main_server.stop()
    kinds = JobKinds([accounts_sync_kind(ping_seconds=0.2, sync_minutes=0.02)])
    sidecar = Sidecar(sidecar_engine, SETTINGS, kinds)
    thread = threading.Thread(target=sidecar.run, daemon=True)
    thread.start()
    try:

        def down_and_failed_over():
            with unit_of_work(sidecar_engine) as session:
                account = session.get(TradingAccount, main.id)
                events = session.scalars(select(FailoverEvent)).all()
                return account.connection_status == "down" and events

        events = wait_until(down_and_failed_over, timeout=60, interval=0.2, what="main down and a failover event")
        wait_until(lambda: "NIFTY28MAR2420800CE" in symbols(sidecar_engine, spare.id), timeout=60, what="spare synced")
    finally:
        sidecar.request_stop()
        thread.join(30)
    assert not thread.is_alive()
    assert [(e.from_account_id, e.to_account_id, e.success) for e in events] == [(main.id, spare.id, True)]
    with unit_of_work(sidecar_engine) as session:
        account = session.get(TradingAccount, main.id)
        assert account.failed_pings >= 2 and "cannot reach OpenAlgo" in account.last_error
        logged = set(session.scalars(select(ActivityLog.action)))
        assert {"account_down", "account_failover"} <= logged
        scheduled = session.scalars(select(JobRun).where(JobRun.scope == "accounts_sync:all")).all()
        assert scheduled and all(r.requested_by == "sidecar" for r in scheduled)


def test_the_scheduled_sync_counts_from_the_last_request_and_skips_when_there_is_nothing(
    sidecar_engine, make_user, openalgo, add_account
):
    timers = AccountTimers(sync_minutes=5)
    before = utcnow()
    assert before <= timers.first_sync(sidecar_engine) <= utcnow()  # never requested: due now
    timers.sync_all(sidecar_engine)  # no account yet: nothing queued
    with unit_of_work(sidecar_engine) as session:
        assert session.scalars(select(JobRun)).all() == []
    make_user()
    add_account("main", openalgo)
    timers.sync_all(sidecar_engine)
    timers.sync_all(sidecar_engine)  # still queued: the same run
    with unit_of_work(sidecar_engine) as session:
        [run] = session.scalars(select(JobRun)).all()
        assert (run.scope, run.requested_by, run.total_items) == ("accounts_sync:all", "sidecar", 1)
        requested = run.created_at
    assert timers.first_sync(sidecar_engine) == max(utcnow(), requested + dt.timedelta(minutes=5))

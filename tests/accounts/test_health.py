"""Health and failover on both databases: a primary goes down after N failed pings and comes back."""

from __future__ import annotations

from sqlalchemy import select

from core.accounts.health import active_data_account, data_connection, ping_accounts
from core.db.engine import unit_of_work
from core.db.models import ActivityLog, FailoverEvent, TradingAccount


def events(engine) -> list[tuple]:
    with unit_of_work(engine, write=False) as session:
        rows = session.scalars(select(FailoverEvent).order_by(FailoverEvent.id)).all()
        return [(e.from_account_id, e.to_account_id, e.success, e.reason, e.error_message) for e in rows]


def actions(engine) -> list[str]:
    with unit_of_work(engine, write=False) as session:
        return list(session.scalars(select(ActivityLog.action).order_by(ActivityLog.id)))


def status(engine, account_id) -> tuple:
    with unit_of_work(engine, write=False) as session:
        a = session.get(TradingAccount, account_id)
        return a.connection_status, a.failed_pings


def test_a_primary_goes_down_and_comes_back(db, make_user, servers, add_account):
    user_id = make_user()
    main, spare = servers(), servers(broker="upstox")
    primary = add_account("main", main)
    backup = add_account("spare", spare, backup_of="main")
    assert (primary.is_primary, backup.is_primary, backup.backup_of) == (True, False, "main")

    ping_accounts(db, timeout=2, failures_before_down=2)
    assert status(db, primary.id) == ("up", 0)
    assert active_data_account(db, user_id).name == "main"

    main.stop()
    first = ping_accounts(db, timeout=2, failures_before_down=2)
    assert status(db, primary.id) == ("up", 1) and not first.switches  # one failure is not down yet
    second = ping_accounts(db, timeout=2, failures_before_down=2)
    assert status(db, primary.id) == ("down", 2)
    assert [(s.from_account, s.to_account) for s in second.switches] == [("main", "spare")]
    assert active_data_account(db, user_id).name == "spare"
    assert data_connection(db, user_id).ping() == "upstox"  # data calls now go to the backup

    main.start()  # same port
    back = ping_accounts(db, timeout=2, failures_before_down=2)
    assert [(s.from_account, s.to_account) for s in back.switches] == [("spare", "main")]
    assert active_data_account(db, user_id).name == "main"
    recorded = events(db)
    assert [(e[0], e[1], e[2]) for e in recorded] == [(primary.id, backup.id, True), (backup.id, primary.id, True)]
    assert "main down: cannot reach OpenAlgo" in recorded[0][3] and recorded[1][3] == "primary main recovered"
    assert actions(db)[-4:] == ["account_down", "account_failover", "account_up", "account_failover"]


def test_no_healthy_backup_is_recorded_as_a_failed_failover(db, make_user, openalgo, add_account):
    user_id = make_user()
    primary = add_account("main", openalgo)
    openalgo.stop()
    report = ping_accounts(db, timeout=2, failures_before_down=1)
    assert report.results[0].status == "down"
    assert events(db) == [(primary.id, None, False, events(db)[0][3], "no healthy backup account")]
    assert active_data_account(db, user_id) is None


def test_a_rejected_key_counts_as_a_failed_ping(db, make_user, openalgo, add_account):
    make_user()
    account = add_account("main", openalgo)
    openalgo.api_key = "f" * 64
    result = ping_accounts(db, timeout=2, failures_before_down=3).results[0]
    assert not result.ok and "rejected the API key" in result.error
    assert status(db, account.id) == ("disconnected", 1)

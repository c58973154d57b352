"""Constraints behave as the seeds document, on both backends."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.db import models as m
from tests import factories as f


def test_duplicate_scanner_name_rejected(session):
    f.scanner(session, name="RSI")
    with pytest.raises(IntegrityError), session.begin_nested():
        f.scanner(session, name="RSI")
    assert session.scalar(select(m.Scanner.name).where(m.Scanner.name == "RSI")) == "RSI"


def test_duplicate_watchlist_name_rejected(session):
    f.watchlist(session, name="Tech")
    with pytest.raises(IntegrityError), session.begin_nested():
        f.watchlist(session, name="Tech")


def test_deleting_scanner_cascades_to_results_schedules_history(session):
    scanner, watchlist = f.scanner(session), f.watchlist(session)
    run = f.scan_history(session, scanner, watchlist)
    session.add_all(
        [
            m.ScanResult(scanner_id=scanner.id, scan_history_id=run.id, symbol="AAPL", signal="BUY"),
            m.ScanSchedule(scanner_id=scanner.id, watchlist_id=watchlist.id, schedule_type="daily"),
        ]
    )
    session.flush()
    session.delete(scanner)
    session.flush()
    session.expire_all()
    for model in (m.ScanResult, m.ScanSchedule, m.ScanHistory):
        assert session.scalars(select(model)).all() == [], model.__tablename__
    assert session.get(m.Watchlist, watchlist.id) is not None


def test_deleting_watchlist_nulls_history_and_drops_its_schedules(session):
    scanner, watchlist = f.scanner(session), f.watchlist(session)
    run = f.scan_history(session, scanner, watchlist)
    session.add(m.ScanSchedule(scanner_id=scanner.id, watchlist_id=watchlist.id, schedule_type="daily"))
    session.flush()
    session.delete(watchlist)
    session.flush()
    session.expire_all()
    assert session.get(m.ScanHistory, run.id).watchlist_id is None
    assert session.scalars(select(m.ScanSchedule)).all() == []


def test_deleting_user_cascades_accounts_and_nulls_activity(session):
    user = f.user(session)
    account = f.trading_account(session, user)
    session.add_all(
        [
            m.Order(
                account_id=account.id,
                order_id="A1",
                symbol="INFY",
                exchange="NSE",
                action="BUY",
                quantity=1,
                order_type="MARKET",
                status="PENDING",
            ),
            m.Position(
                account_id=account.id, symbol="INFY", exchange="NSE", quantity=1, average_price=1500.0, product="MIS"
            ),
            m.Holding(account_id=account.id, symbol="TCS", exchange="NSE", quantity=2, average_price=3500.0),
            m.ActivityLog(user_id=user.id, action="login"),
        ]
    )
    session.flush()
    log_id = session.scalar(select(m.ActivityLog.id))
    session.delete(user)
    session.flush()
    session.expire_all()
    for model in (m.TradingAccount, m.Order, m.Position, m.Holding):
        assert session.scalars(select(model)).all() == [], model.__tablename__
    assert session.get(m.ActivityLog, log_id).user_id is None


def test_stock_premiums_rejects_duplicate_contract(session):
    stock = f.stock(session)
    f.premium(session, stock, strike_price=50.0)
    f.premium(session, stock, strike_price=50.0, option_type="call")  # same strike, other type: fine
    with pytest.raises(IntegrityError), session.begin_nested():
        f.premium(session, stock, strike_price=50.0)


def test_stock_premiums_rejects_unknown_option_type(session):
    stock = f.stock(session)
    with pytest.raises(IntegrityError), session.begin_nested():
        f.premium(session, stock, option_type="P")


def test_json_round_trips(session):
    doc = {"rsi_period": 14, "levels": [30, 70.5], "nested": {"on": True, "none": None}, "name": "ünïcode"}
    scanner = f.scanner(session, parameters=doc)
    session.expire_all()
    assert session.get(m.Scanner, scanner.id).parameters == doc
    watchlist = f.watchlist(session, symbols=["AAPL", "BRK-B"])
    session.expire_all()
    assert session.get(m.Watchlist, watchlist.id).symbols == ["AAPL", "BRK-B"]


def test_timestamps_are_utc_aware_and_updated_at_moves(session):
    scanner = f.scanner(session)
    created, first_update = scanner.created_at, scanner.updated_at
    assert created.tzinfo is not None and created.utcoffset() == dt.timedelta(0)
    time.sleep(0.01)
    scanner.description = "changed"
    session.flush()
    session.expire_all()
    reloaded = session.get(m.Scanner, scanner.id)
    assert reloaded.updated_at > first_update
    assert reloaded.created_at == created


def test_naive_datetimes_are_refused(session):
    scanner = f.scanner(session)
    run = f.scan_history(session, scanner)
    run.started_at = dt.datetime(2026, 1, 2, 3, 4, 5)  # no tzinfo
    with pytest.raises(Exception, match="naive datetime"), session.begin_nested():
        session.flush()


def test_server_defaults_apply_to_raw_inserts(session):
    from sqlalchemy import text

    session.execute(text("INSERT INTO scanners (name, code) VALUES (:n, :c)"), {"n": "raw", "c": "x = 1"})
    row = session.execute(select(m.Scanner.is_active, m.Scanner.created_at).where(m.Scanner.name == "raw")).one()
    assert row.is_active is True
    assert row.created_at is not None

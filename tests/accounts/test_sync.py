"""Sync against local OpenAlgo servers on both databases: rows, idempotence, closed positions, failures isolated."""

from __future__ import annotations

from sqlalchemy import func, select

from core.accounts.sync import sync_accounts
from core.auth import LOCAL_OPERATOR
from core.db.engine import unit_of_work
from core.db.models import AccountFunds, Holding, Order, Position, Trade, TradingAccount


def positions(engine, account_id) -> dict[str, tuple]:
    with unit_of_work(engine, write=False) as session:
        rows = session.scalars(select(Position).where(Position.account_id == account_id)).all()
        return {p.symbol: (p.id, p.quantity, p.average_price, p.current_price, p.source) for p in rows}


def count(engine, model) -> int:
    with unit_of_work(engine, write=False) as session:
        return session.scalar(select(func.count()).select_from(model))


def test_sync_stores_every_book_as_rows_with_parsed_numbers(db, make_user, openalgo, add_account):
    make_user()
    account = add_account("primary", openalgo)
    report = sync_accounts(db)
    assert (report.synced, report.failed) == (1, 0)
    stored = positions(db, account.id)
    assert stored["NIFTY28MAR2420800CE"][1:] == (-75, 112.5, 98.05, "openalgo")
    assert stored["RELIANCE"][1] == 0  # closed today, kept for its realised P&L
    with unit_of_work(db, write=False) as session:
        funds = session.get(AccountFunds, account.id)
        assert (funds.available_cash, funds.used_margin, funds.realized_pnl) == (320.66, 679.34, 3.27)
        holding = session.scalars(select(Holding).where(Holding.symbol == "TATASTEEL")).one()
        assert (holding.average_price, holding.current_value, holding.invested_value) == (144.1, 1292.0, 1441.0)
        order = session.scalars(select(Order).where(Order.order_id == "250408000989443")).one()
        assert (order.status, order.filled_quantity, order.average_price) == ("complete", 1, 1180.1)
        synced = session.get(TradingAccount, account.id)
        assert synced.last_sync is not None and synced.last_error is None


def test_a_resync_duplicates_nothing_and_keeps_row_ids(db, make_user, openalgo, add_account):
    make_user()
    account = add_account("primary", openalgo)
    sync_accounts(db)
    first = positions(db, account.id)
    before = [count(db, m) for m in (Position, Holding, Order, Trade, AccountFunds)]
    sync_accounts(db)
    assert positions(db, account.id) == first
    assert [count(db, m) for m in (Position, Holding, Order, Trade, AccountFunds)] == before


def test_positions_closed_at_the_broker_disappear_and_new_ones_appear(db, make_user, openalgo, add_account):
    make_user()
    account = add_account("primary", openalgo)
    sync_accounts(db)
    kept_id = positions(db, account.id)["NHPC"][0]
    openalgo.book.positions = [
        {**openalgo.book.positions[0], "quantity": "-3", "ltp": "84.10"},
        {"symbol": "SBIN", "exchange": "NSE", "product": "CNC", "quantity": "5", "average_price": "601.5",
         "ltp": "605", "pnl": "17.5"},
    ]  # fmt: skip
    report = sync_accounts(db)
    assert report.results[0].counts.removed_positions == 2
    stored = positions(db, account.id)
    assert set(stored) == {"NHPC", "SBIN"}
    assert stored["NHPC"][:2] == (kept_id, -3)  # updated in place
    assert stored["NHPC"][3] == 84.10


def test_one_failing_account_never_stops_the_others(db, make_user, servers, add_account):
    make_user()
    good, slow, gone, refused = servers(), servers(), servers(), servers()
    ids = {name: add_account(name, server).id for name, server in
           [("good", good), ("slow", slow), ("gone", gone), ("refused", refused)]}  # fmt: skip
    sync_accounts(db)  # everything stored once
    slow.fail("*", "timeout")
    slow.slow_seconds = 8
    gone.stop()
    refused.api_key = "0" * 64  # the key stored for it is no longer accepted
    good.book.positions = good.book.positions[:1]
    report = sync_accounts(db, timeout=4.0)  # each account's whole pass (5 requests) shares this budget
    by_name = {r.name: r for r in report.results}
    assert by_name["good"].ok and by_name["good"].counts.removed_positions == 2
    assert by_name["slow"].error_kind == "BrokerTimeout"
    assert by_name["gone"].error_kind == "BrokerUnreachable"
    assert by_name["refused"].error_kind == "KeyRejected"
    with unit_of_work(db, write=False) as session:
        for name in ("slow", "gone", "refused"):
            account = session.get(TradingAccount, ids[name])
            assert account.last_error == by_name[name].error
    # what was stored before the failures is still there
    assert len(positions(db, ids["gone"])) == 3


def test_a_broken_reply_stores_nothing_of_it(db, make_user, openalgo, add_account):
    make_user()
    account = add_account("primary", openalgo)
    sync_accounts(db)
    openalgo.book.positions = [
        {"symbol": "X", "exchange": "NSE", "product": "MIS", "quantity": "2", "average_price": ""}
    ]
    report = sync_accounts(db)
    assert report.results[0].error == "position X has no average price"
    assert "X" not in positions(db, account.id) and len(positions(db, account.id)) == 3


def test_accounts_without_a_host_are_skipped_unless_asked_for(db, make_user, openalgo, add_account):
    from core.accounts import service

    make_user()
    add_account("primary", openalgo)
    csv_only = service.add_account(db, LOCAL_OPERATOR, name="schwab", broker="schwab", owner="alice")
    assert [r.name for r in sync_accounts(db).results] == ["primary"]
    asked = sync_accounts(db, [csv_only.id]).results[0]
    assert asked.error_kind == "Skipped" and "CSV imports" in asked.error

"""The Accounts page's service on both databases: who sees what, the books as the page shows them (options broken
down, DTE from today, today's orders, funds added up), edit, delete with its counts, queued syncs, CSV uploads."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from core.accounts import service
from core.accounts.errors import AccountExists, ImportFileError
from core.accounts.sync import sync_accounts
from core.auth import LOCAL_OPERATOR, Actor, PermissionDenied, Role
from core.db.engine import unit_of_work
from core.db.models import JobRun, Position, TradingAccount

DATA = Path(__file__).parent / "data"
NOW = dt.datetime(2025, 4, 8, 10, 0, tzinfo=dt.UTC)  # 15:30 in Kolkata on the server's trading day


@pytest.fixture
def people(make_user):
    alice, bob, boss = make_user("alice", role="trader"), make_user("bob", role="trader"), make_user("boss")
    return (
        Actor(alice, "alice", Role.TRADER),
        Actor(bob, "bob", Role.TRADER),
        Actor(boss, "boss", Role.ADMIN),
        Actor(None, "nobody", Role.VIEWER),
    )


def test_traders_see_their_own_accounts_admins_all_viewers_none(db, people, servers, add_account):
    alice, bob, admin, viewer = people
    add_account("alice-main", servers(), owner="alice")
    theirs = add_account("bob-main", servers(), owner="bob")
    assert [v.name for v in service.visible_accounts(db, alice)] == ["alice-main"]
    assert [v.name for v in service.visible_accounts(db, admin)] == ["alice-main", "bob-main"]
    with pytest.raises(PermissionDenied, match="needs the trader role"):
        service.visible_accounts(db, viewer)
    with pytest.raises(PermissionDenied, match="other users' broker accounts"):
        service.account_portfolio(db, alice, [theirs.id])
    with pytest.raises(PermissionDenied):
        service.removal_preview(db, alice, theirs.id)
    assert all(v.key.startswith("****") for v in service.visible_accounts(db, admin))


def test_the_portfolio_breaks_options_down_and_adds_funds_up(db, people, servers, add_account):
    alice, *_ = people
    first, second = add_account("first", servers(), owner="alice"), add_account("second", servers(), owner="alice")
    sync_accounts(db)
    book = service.account_portfolio(db, alice, now=NOW)
    option = book.positions[book.positions["symbol"] == "NIFTY28MAR2420800CE"].iloc[0]
    assert (option["underlying"], option["type"], option["strike"], option["expiry"]) == (
        "NIFTY",
        "call",
        20800.0,
        dt.date(2024, 3, 28),
    )
    assert pd.isna(option["dte"]) and option["expired"]  # expired on 2024-03-28: no negative day count
    later = service.account_portfolio(db, alice, now=dt.datetime(2024, 3, 20, 12, tzinfo=dt.UTC)).positions
    live = later[later["symbol"] == "NIFTY28MAR2420800CE"].iloc[0]
    assert live["dte"] == 8 and not live["expired"]  # from today on the exchange, not stored
    assert not book.positions[book.positions["type"] == "stock"]["expired"].any()
    assert (option["quantity"], option["average_price"], option["last_price"]) == (-75, 112.5, 98.05)
    stock = book.positions[book.positions["symbol"] == "NHPC"].iloc[0]
    assert stock["type"] == "stock" and stock["underlying"] == "NHPC"
    assert set(book.positions["account"]) == {"first", "second"}
    assert book.totals()["available_cash"] == pytest.approx(2 * 320.66)
    assert book.totals()["used_margin"] == pytest.approx(2 * 679.34)
    assert set(book.orders["symbol"]) == {"RELIANCE", "YESBANK"} and len(book.orders) == 4  # placed that day
    assert len(book.trades) == 2
    assert service.account_portfolio(db, alice, now=NOW + dt.timedelta(days=3)).orders.empty  # not today any more
    one = service.account_portfolio(db, alice, [first.id], now=NOW)
    assert set(one.positions["account"]) == {"first"} and one.totals()["available_cash"] == pytest.approx(320.66)
    assert len(one.positions) == 3 and len(book.positions) == 6 and second.name == "second"
    assert set(one.holdings["symbol"]) == {"RELIANCE", "TATASTEEL"}


def test_edit_renames_and_replaces_the_key_and_refuses_a_clash(db, people, servers, add_account):
    alice, bob, *_ = people
    server = servers()
    account = add_account("main", server, owner="alice")
    add_account("spare", servers(), owner="alice")
    changes = service.AccountChanges(name="spare", broker="zerodha", host=server.url, ws_url=None, is_active=True)
    with pytest.raises(AccountExists):
        service.change_account(db, alice, account.id, changes)
    with pytest.raises(PermissionDenied):
        service.change_account(db, bob, account.id, changes)
    server.api_key = "k" * 64
    renamed = service.AccountChanges(
        name="renamed", broker="zerodha", host=server.url, ws_url=None, is_active=False, api_key=server.api_key
    )
    view = service.change_account(db, alice, account.id, renamed)
    assert (view.name, view.is_active, view.key) == ("renamed", False, "****kkkk")
    assert service.test_account(db, LOCAL_OPERATOR, "renamed") == "zerodha"  # the new key, bound to the same account


def test_delete_says_what_goes_and_then_removes_it(db, people, openalgo, add_account):
    alice, *_ = people
    account = add_account("main", openalgo, owner="alice")
    sync_accounts(db)
    preview = service.removal_preview(db, alice, account.id)
    assert (preview.positions, preview.holdings, preview.orders, preview.trades) == (3, 2, 2, 1)
    assert [v.name for v in service.visible_accounts(db, alice)] == ["main"]  # a preview deletes nothing
    assert service.delete_account(db, alice, account.id) == preview
    assert service.visible_accounts(db, alice) == []
    with unit_of_work(db) as session:
        assert session.scalars(select(Position)).all() == []


def test_sync_requests_queue_one_run_per_scope(db, people, servers, add_account):
    alice, _, admin, _ = people
    mine = add_account("mine", servers(), owner="alice")
    add_account("theirs", servers(), owner="bob")
    run, created = service.request_account_sync(db, alice)
    again, created_again = service.request_account_sync(db, alice)
    assert created and not created_again and again.run_id == run.run_id and run.total == 1
    assert service.account_sync_view(db, alice).run.run_id == run.run_id
    everything, _ = service.request_account_sync(db, admin)
    assert everything.total == 2 and everything.run_id != run.run_id
    with unit_of_work(db) as session:
        scopes = {i: scope for i, scope in session.execute(select(JobRun.id, JobRun.scope))}
    assert scopes == {run.run_id: f"accounts_sync:{mine.id}", everything.run_id: "accounts_sync:all"}
    assert service.account_sync_view(db, alice, [mine.id]).run.run_id == run.run_id


def test_a_csv_upload_previews_then_imports_into_the_account(db, people, add_account):
    alice, bob, *_ = people
    account = service.create_account(db, alice, name="schwab", broker="schwab", host=None, api_key=None)
    data = (DATA / "schwab_positions.csv").read_bytes()
    preview = service.preview_upload(data, "schwab_positions.csv")
    assert preview.preset == "schwab" and {r.symbol for r in preview.rows} >= {"AAPL", "SPY"}
    with unit_of_work(db) as session:
        assert session.scalars(select(Position)).all() == []  # a preview stores nothing
    with pytest.raises(PermissionDenied):
        service.import_upload(db, bob, account.id, data, "schwab_positions.csv")
    report = service.import_upload(db, alice, account.id, data, "schwab_positions.csv")
    assert report.positions == 1 and report.holdings >= 2
    book = service.account_portfolio(db, alice, [account.id], now=NOW)
    assert list(book.positions["underlying"]) == ["AAPL"] and set(book.positions["source"]) == {"import"}
    with pytest.raises(ImportFileError, match=r"^bad\.csv"):
        service.preview_upload(b"nothing,here\n1,2\n", "bad.csv")


def test_an_admin_adds_for_someone_else_a_trader_cannot(db, people):
    alice, _, admin, _ = people
    view = service.create_account(db, admin, name="for-alice", broker="csv", host=None, api_key=None, owner="alice")
    assert view.owner == "alice"
    with pytest.raises(PermissionDenied):
        service.create_account(db, alice, name="for-bob", broker="csv", host=None, api_key=None, owner="bob")
    with unit_of_work(db) as session:
        assert session.scalars(select(TradingAccount.account_name)).all() == ["for-alice"]

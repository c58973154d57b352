"""Syncing through a broker account with the openalgo provider, on both databases: which account a run reads
through, lot sizes stored per contract and per stock, outcomes per symbol, and the API key kept out of sight."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from core.auth import LOCAL_OPERATOR, Actor, PermissionDenied, Role
from core.db.engine import unit_of_work
from core.db.models import JobItem, Stock, StockPremium
from core.providers import PROVIDER_NAMES, UnknownProvider, get_provider
from core.providers.openalgo_provider import OpenAlgoProvider
from core.sync.requests import SyncRequest, SyncRequestError
from core.sync.service import enqueue
from core.sync.worker import SyncWorker


def _items(engine, run_id: int) -> dict[str, tuple[str, str | None]]:
    with unit_of_work(engine) as session:
        rows = session.execute(
            select(JobItem.symbol, JobItem.status, JobItem.error_message).where(JobItem.run_id == run_id)
        )
        return {symbol: (status, error) for symbol, status, error in rows}


def test_openalgo_is_a_provider_name():
    assert "openalgo" in PROVIDER_NAMES


def test_a_sync_reads_through_the_account_and_stores_lot_sizes(nse):
    items = _items(nse.engine, nse.run.id)
    assert items["INFY"][0] == items["NIFTY"][0] == "synced"
    assert items["YESBANK"] == ("no_options", None)
    assert items["NOPE"][0] == "failed" and "unknown symbol" in items["NOPE"][1]
    assert nse.run.provider == "openalgo" and nse.run.params["account_id"] == nse.account_id
    with unit_of_work(nse.engine) as session:
        rows = session.execute(
            select(StockPremium.symbol, StockPremium.contract_size, StockPremium.mid, StockPremium.premium)
        ).all()
        sizes = dict(session.execute(select(Stock.symbol, Stock.contract_size)).all())
    by_symbol = {s: {size for symbol, size, _, _ in rows if symbol == s} for s in ("INFY", "NIFTY")}
    assert by_symbol == {"INFY": {50}, "NIFTY": {75}}
    assert len([r for r in rows if r.symbol == "INFY"]) == 3 * 34  # three expiries of 17 strikes, calls and puts
    for _, size, mid, premium in rows:
        if mid is not None:
            assert premium == pytest.approx(mid * size)
    assert (sizes["INFY"], sizes["NIFTY"], sizes["YESBANK"]) == (50, 75, 100)  # no chain: the default


def test_the_run_and_the_logs_never_carry_the_api_key(db, make_user, openalgo, add_account, caplog, monkeypatch):
    monkeypatch.setenv("OPENALGO_MAX_RETRIES", "1")
    from core.config import get_settings

    get_settings.cache_clear()
    make_user("nisha", role="trader")
    add_account("nse-main", openalgo, owner="nisha")
    openalgo.fail("optionchain", "broker_error")  # failures are logged and stored: the key must be in neither
    with caplog.at_level(logging.DEBUG), unit_of_work(db, write=True) as session:
        run, _ = enqueue(
            session, LOCAL_OPERATOR, SyncRequest(symbols=("INFY",), provider="openalgo", account="nse-main")
        )
        run_id, params = run.id, dict(run.params)
    with caplog.at_level(logging.DEBUG):
        SyncWorker(db).run_until_idle(run_id)
    status, error = _items(db, run_id)["INFY"]
    assert status == "failed" and "session expired" in error
    assert openalgo.api_key not in json.dumps(params) + error + caplog.text


def test_the_account_is_named_or_set_or_the_users_own(db, make_user, openalgo, add_account, monkeypatch):
    make_user("nisha", role="trader")
    bob_id = make_user("bob", role="trader")
    nisha = add_account("nse-main", openalgo, owner="nisha")
    bobs = add_account("bob-main", openalgo, owner="bob")
    bob = Actor(bob_id, "bob", Role.TRADER)

    def account_of(actor, **request) -> int:
        with unit_of_work(db, write=True) as session:
            run, _ = enqueue(session, actor, SyncRequest(symbols=("INFY",), provider="openalgo", **request))
            account_id = run.params["account_id"]
            session.rollback()  # leave nothing queued for the next question
        return account_id

    assert account_of(LOCAL_OPERATOR, account="NSE-MAIN") == nisha.id  # names compare ignoring case
    assert account_of(bob) == bobs.id  # no name: the actor's own (primary, else the first usable)
    with pytest.raises(PermissionDenied):
        account_of(bob, account="nse-main")  # someone else's account
    with pytest.raises(SyncRequestError, match="OPENALGO_ACCOUNT"):
        account_of(LOCAL_OPERATOR)  # the local operator owns no account
    with pytest.raises(SyncRequestError, match="no account named 'nobody'"):
        account_of(LOCAL_OPERATOR, account="nobody")
    monkeypatch.setenv("OPENALGO_ACCOUNT", "nse-main")
    from core.config import get_settings

    get_settings.cache_clear()
    assert account_of(LOCAL_OPERATOR) == nisha.id


def test_get_provider_builds_the_provider_from_the_stored_account(db, make_user, openalgo, add_account):
    make_user("nisha", role="trader")
    view = add_account("nse-main", openalgo, owner="nisha")
    provider = get_provider("openalgo", account=view.id, engine=db)
    assert isinstance(provider, OpenAlgoProvider) and provider.host == openalgo.url
    assert provider.quote("INFY").price == 1500.0  # the decrypted key works
    assert openalgo.api_key not in repr(provider)
    with pytest.raises(UnknownProvider, match="needs|reads through a broker account"):
        get_provider("openalgo", engine=db)  # no account and no OPENALGO_ACCOUNT
    with pytest.raises(UnknownProvider, match="no account with id"):
        get_provider("openalgo", account=view.id + 100, engine=db)


def test_a_run_whose_account_is_gone_fails_its_items_with_the_reason(db, make_user, openalgo, add_account):
    from core.accounts import service as accounts

    make_user("nisha", role="trader")
    add_account("nse-main", openalgo, owner="nisha")
    with unit_of_work(db, write=True) as session:
        run, _ = enqueue(
            session, LOCAL_OPERATOR, SyncRequest(symbols=("INFY", "NIFTY"), provider="openalgo", account="nse-main")
        )
        run_id = run.id
    accounts.remove_account(db, LOCAL_OPERATOR, "nse-main")
    assert SyncWorker(db).run_until_idle(run_id) == 2
    items = _items(db, run_id)
    assert {status for status, _ in items.values()} == {"failed"}
    assert all("no account with id" in error for _, error in items.values())


def test_sync_command_with_provider_openalgo_and_account(db, db_url, make_user, openalgo, add_account):
    from tests.support.cli import run_cli

    make_user("nisha", role="trader")
    add_account("nse-main", openalgo, owner="nisha")
    args = ("sync", "--symbols", "INFY,YESBANK", "--provider", "openalgo", "--max-dte", "0", "--inline")
    done = run_cli(*args, "--account", "nse-main", "--format", "json", "--database-url", db_url)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert (doc["status"], doc["done"], doc["failed"], doc["no_options"]) == ("completed", 2, 0, 1)
    assert doc["contracts"] == 3 * 34 and doc["requests"]["requests"] == 2 + 3 + 2  # INFY 2 + 3 chains, YESBANK 2
    refused = run_cli(*args, "--database-url", db_url)  # the local operator owns no account
    assert refused.returncode != 0 and "--account NAME" in refused.stderr
    assert openalgo.api_key not in done.stdout + done.stderr + refused.stderr

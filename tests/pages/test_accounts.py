"""The Accounts page in AppTest on both databases, against a local OpenAlgo server: adding after a successful
"Test connection", the books after a sync (options broken down, funds added up, charts), the Sync button queueing
a run the real sidecar works, delete only after a confirmation that says what goes, edit, and who sees what."""

from __future__ import annotations

import pandas as pd
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from core.accounts import service
from core.accounts.sync import sync_accounts
from core.auth import LOCAL_OPERATOR
from core.config import get_settings
from core.db.base import utcnow
from core.db.engine import create_db_engine, unit_of_work
from core.db.models import JobRun, TradingAccount, WebSocketConnection
from core.jobs.settings import SidecarSettings
from core.jobs.sidecar import Sidecar
from core.sidecar import job_kinds
from tests import factories
from tests.pages.conftest import no_exception, texts
from tests.servers.openalgo import OpenAlgoServer

PAGE = "pages/accounts.py"


@pytest.fixture
def keys(monkeypatch):
    """A configured secret key (no key file in anyone's home), for both databases."""
    monkeypatch.setenv("WHEELHOUSE_SECRET_KEY", Fernet.generate_key().decode())
    get_settings.cache_clear()


@pytest.fixture
def openalgo():
    server = OpenAlgoServer().start()
    yield server
    server.stop()


def owner(engine, username: str, role: str = "trader") -> str:
    with unit_of_work(engine, write=True) as session:
        factories.user(session, username=username, email=f"{username}@example.com", role=role)
    return username


def add(engine, name: str, server: OpenAlgoServer, owner_name: str):
    return service.add_account(
        engine, LOCAL_OPERATOR, name=name, broker="zerodha", owner=owner_name, host=server.url, api_key=server.api_key
    )


def every_text(app) -> str:
    """Everything the page shows as text, tables included (to prove a key is never among it)."""
    kinds = ("markdown", "caption", "success", "error", "warning", "info")
    parts = [str(e.value) for kind in kinds for e in app.get(kind)]
    parts += [frame.value.to_csv() for frame in app.dataframe]
    return "\n".join(parts)


def click(app, key: str):
    return app.button(key=key).click().run()


def test_an_account_is_saved_only_after_its_connection_tested(open_page, committed_engine, db_url, keys, openalgo):
    app = open_page(db_url, PAGE, role="trader")
    no_exception(app)
    assert "No broker accounts yet" in texts(app.info)
    app.text_input(key="accounts.add.0.name").input("main")
    app.text_input(key="accounts.add.0.host").input(openalgo.url)
    app.text_input(key="accounts.add.0.key").input("wrong-key").run()
    assert app.button(key="accounts.add.0.save").disabled  # a host needs a passing test first
    click(app, "accounts.add.0.test")
    assert "rejected the API key" in texts(app.error) and "wrong-key" not in texts(app.error)
    assert app.button(key="accounts.add.0.save").disabled
    app.text_input(key="accounts.add.0.key").input(openalgo.api_key).run()
    click(app, "accounts.add.0.test")
    assert "Connected to OpenAlgo: broker zerodha." in texts(app.success)
    assert not app.button(key="accounts.add.0.save").disabled
    click(app, "accounts.add.0.save")
    no_exception(app)
    assert "Added main for " in texts(app.success) and f"****{openalgo.api_key[-4:]}" in texts(app.success)
    with unit_of_work(committed_engine) as session:
        stored = session.scalars(select(TradingAccount)).one()
        assert (stored.account_name, stored.broker, stored.host_url) == ("main", "zerodha", openalgo.url)
        assert openalgo.api_key not in stored.api_key_encrypted
    assert openalgo.api_key not in every_text(app)
    assert all(t.value == "" for t in app.text_input if t.label == "OpenAlgo API key")  # the form is emptied


def test_the_books_after_a_sync_per_account_and_added_up(open_page, committed_engine, db_url, keys, servers_pair):
    alice = owner(committed_engine, "alice")
    first, second = servers_pair
    add(committed_engine, "first", first, alice)
    add(committed_engine, "second", second, alice)
    sync_accounts(committed_engine)
    app = open_page(db_url, PAGE, role="admin")
    no_exception(app)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Available cash"] == "641.32" and metrics["Used margin"] == "1,358.68"
    positions = next(f.value for f in app.dataframe if "underlying" in f.value.columns)
    option = positions[positions["symbol"] == "NIFTY28MAR2420800CE"].iloc[0]
    assert (option["underlying"], option["type"], option["strike"], option["quantity"]) == ("NIFTY", "call", 20800, -75)
    assert option["expired"] and option["dte"] is pd.NA  # that contract expired in 2024: no negative DTE
    assert set(positions["account"]) == {"first", "second"}
    assert len(app.get("plotly_chart")) == 2  # P&L by position, allocation by holding
    app.selectbox(key="accounts.show").select("first (alice)").run()
    no_exception(app)
    assert {m.label: m.value for m in app.metric}["Available cash"] == "320.66"
    assert first.api_key not in every_text(app) and second.api_key not in every_text(app)
    assert "Prices are as of each account's last sync" in texts(app.caption)
    assert "priced" in positions.columns  # each last price with the time it was written

    with unit_of_work(committed_engine, write=True) as session:  # the sidecar's feed of "first" is up and writing
        first_id = session.scalar(select(TradingAccount.id).where(TradingAccount.account_name == "first"))
        now = utcnow()
        session.add(WebSocketConnection(account_id=first_id, status="connected", connected_at=now, last_heartbeat=now))
    app.run()
    no_exception(app)
    assert f"Live prices from the WebSocket feed of first, last written {now:%H:%M:%S} UTC." in texts(app.caption)


def test_sync_now_queues_a_run_that_the_sidecar_works(open_page, committed_engine, db_url, keys, openalgo):
    alice = owner(committed_engine, "alice")
    account = add(committed_engine, "main", openalgo, alice)
    app = open_page(db_url, PAGE, role="admin")
    click(app, "accounts.sync")
    no_exception(app)
    [bar] = app.get("progress")
    assert bar.proto.text.endswith("queued: 0/1 account, 0 failed")
    assert "No sidecar is running" in texts(app.warning)
    with unit_of_work(committed_engine) as session:
        run = session.scalars(select(JobRun)).one()
        assert (run.kind, run.status, run.scope) == ("accounts_sync", "queued", "accounts_sync:all")
    engine = create_db_engine(db_url, sqlite_immediate=True)
    try:
        Sidecar(engine, SidecarSettings.from_settings(poll_seconds=0.05), job_kinds(get_settings())).drain()
    finally:
        engine.dispose()
    app.run()
    no_exception(app)
    assert "Last sync completed at " in texts(app.caption) and "1/1 account, 0 failed" in texts(app.caption)
    positions = next(f.value for f in app.dataframe if "underlying" in f.value.columns)
    assert "NIFTY28MAR2420800CE" in set(positions["symbol"])
    with unit_of_work(committed_engine) as session:
        assert session.get(TradingAccount, account.id).last_sync is not None


def test_delete_asks_first_and_says_what_goes(open_page, committed_engine, db_url, keys, openalgo):
    alice = owner(committed_engine, "alice")
    add(committed_engine, "main", openalgo, alice)
    sync_accounts(committed_engine)
    app = open_page(db_url, PAGE, role="admin")
    click(app, "accounts.delete")
    warning = texts(app.warning)
    assert "Delete main (owner alice)? Its 3 positions, 2 holdings, 2 orders and 1 trade," in warning
    click(app, "accounts.delete.cancel")
    with unit_of_work(committed_engine) as session:
        assert session.scalars(select(TradingAccount.account_name)).all() == ["main"]
    click(app, "accounts.delete")
    click(app, "accounts.delete.confirm")
    no_exception(app)
    assert "Deleted main." in texts(app.success)
    with unit_of_work(committed_engine) as session:
        assert session.scalars(select(TradingAccount)).all() == []


def test_edit_renames_and_keeps_the_key(open_page, committed_engine, db_url, keys, openalgo):
    alice = owner(committed_engine, "alice")
    add(committed_engine, "main", openalgo, alice)
    app = open_page(db_url, PAGE, role="admin")
    form_name = next(t for t in app.text_input if t.label == "Account name" and t.value == "main")
    form_name.input("renamed")
    next(b for b in app.button if b.label == "Save changes").click().run()
    no_exception(app)
    assert "Saved renamed." in texts(app.success)
    assert service.test_account(committed_engine, LOCAL_OPERATOR, "renamed") == "zerodha"  # the stored key still works


def test_a_trader_sees_only_their_own_and_a_viewer_is_refused(open_page, committed_engine, db_url, keys, openalgo):
    bob = owner(committed_engine, "bob")
    add(committed_engine, "bobs", openalgo, bob)
    app = open_page(db_url, PAGE, role="trader")
    no_exception(app)
    assert "No broker accounts yet" in texts(app.info) and "bobs" not in every_text(app)
    viewer = open_page(db_url, PAGE, role="viewer")
    assert "cannot manage broker accounts: that needs the trader role" in texts(viewer.error)
    assert not viewer.title


@pytest.fixture
def servers_pair():
    pair = (OpenAlgoServer().start(), OpenAlgoServer().start())
    yield pair
    for server in pair:
        server.stop()


def test_a_csv_only_account_has_nothing_to_sync(open_page, committed_engine, db_url, keys):
    alice = owner(committed_engine, "alice")
    service.add_account(committed_engine, LOCAL_OPERATOR, name="schwab", broker="schwab", owner=alice)
    app = open_page(db_url, PAGE, role="admin")
    no_exception(app)
    assert app.button(key="accounts.sync").disabled
    status = next(f.value for f in app.dataframe if "status" in f.value.columns)
    assert list(status["status"]) == ["CSV imports"] and list(status["key"]) == ["—"]
    assert "No positions: sync the account, or import a CSV export under Manage." in texts(app.info)
    uploaders = [u.proto.label for u in app.get("file_uploader")]
    assert uploaders == ["Broker CSV export", "Transaction history CSV"]  # positions and trades, side by side

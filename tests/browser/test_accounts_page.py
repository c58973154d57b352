"""The Accounts page in a real Chromium: a trader adds an account against a local OpenAlgo server (after "Test
connection" names the broker), presses Sync now, a real sidecar process works the queued run, and the page shows
the account up with its positions, funds and charts. Screenshot: tests/artifacts/accounts-synced.png
(copied to docs/screenshots/accounts.png with WHEELHOUSE_UPDATE_SCREENSHOTS=1)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from tests.browser.conftest import ARTIFACTS, CHROMIUM_ARGS, settle, start_dashboard, stop_process, wait_http
from tests.conftest import REPO_ROOT
from tests.servers.openalgo import OpenAlgoServer
from tests.support.sidecars import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow]

USER, PASSWORD = "trader-tess", "correct horse battery staple"
NO_EXCEPTION = '[data-testid="stException"]'


@pytest.fixture(scope="module")
def openalgo():
    server = OpenAlgoServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def app(tmp_path_factory, chromium):
    """The dashboard and a sidecar over a fresh SQLite file with one trader; yields (dashboard URL, database URL)."""
    from core.auth import LOCAL_OPERATOR
    from core.auth.users import create_user
    from core.config import get_settings
    from core.db import migrate
    from core.db.engine import create_db_engine

    url = f"sqlite:///{tmp_path_factory.mktemp('accounts') / 'wheelhouse.db'}"
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "MARKET_DATA_PROVIDER": "synthetic",
        "WHEELHOUSE_SECRET_KEY": Fernet.generate_key().decode(),  # no key file in anyone's home
        "ACCOUNT_PING_INTERVAL_SECONDS": "5",  # the sidecar's ping timer, soon after the account is added
        "PYTHONUNBUFFERED": "1",
    }
    migrate.upgrade(url)
    get_settings.cache_clear()
    engine = create_db_engine(url)
    create_user(engine, LOCAL_OPERATOR, USER, PASSWORD, "trader")
    engine.dispose()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    logs = [open(ARTIFACTS / f"accounts-{n}.log", "w") for n in ("sidecar", "streamlit")]  # noqa: SIM115
    dashboard, base = start_dashboard(env, logs[1])
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "core.sync", "--database-url", url, "--poll-seconds", "0.5"],
            cwd=REPO_ROOT,
            env=env,
            stdout=logs[0],
            stderr=subprocess.STDOUT,
        ),
        dashboard,
    ]
    try:
        wait_http(f"{base}/_stcore/health", dashboard)
        yield base, url
    finally:
        for process in processes:
            stop_process(process)
        for log in logs:
            log.close()
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def page(app, chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1440, "height": 1000})
        tab.set_default_timeout(60_000)  # generous: the machine is shared
        yield tab
        browser.close()


def _no_exception(page) -> None:
    assert page.locator(NO_EXCEPTION).count() == 0, page.locator(NO_EXCEPTION).first.inner_text()


def _status(database_url: str) -> str | None:
    from core.db.engine import create_db_engine, unit_of_work
    from core.db.models import TradingAccount

    engine = create_db_engine(database_url)
    try:
        with unit_of_work(engine) as session:
            return session.scalars(select(TradingAccount.connection_status)).one()
    finally:
        engine.dispose()


def test_a_trader_adds_an_account_syncs_it_and_sees_its_positions(page, app, openalgo):
    app_url, database_url = app
    page.goto(app_url)
    page.get_by_label("Username", exact=True).fill(USER)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.locator('[data-testid="stMain"] h1').filter(has_text="Scan Premiums").wait_for()
    settle(page)
    page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Accounts").first.click()
    page.wait_for_url(re.compile(r"/accounts/?$"))
    page.get_by_text("No broker accounts yet").wait_for()
    settle(page)

    for label, value in (
        ("Account name", "zerodha-main"),
        ("OpenAlgo host (blank: CSV imports only)", openalgo.url),
        ("OpenAlgo API key", openalgo.api_key),
    ):
        page.get_by_label(label, exact=True).fill(value)
        page.get_by_label(label, exact=True).press("Enter")  # Streamlit takes a text input's value on Enter
        settle(page)
    page.get_by_role("button", name="Test connection", exact=True).click()
    page.get_by_text("Connected to OpenAlgo: broker zerodha.").wait_for()
    page.get_by_role("button", name="Save account", exact=True).click()
    page.get_by_text("Added zerodha-main for trader-tess").wait_for()
    settle(page)
    _no_exception(page)

    page.get_by_role("button", name="Sync now", exact=True).click()
    page.get_by_text("Last sync completed").wait_for(timeout=90_000)  # the sidecar process did the work
    settle(page)
    _no_exception(page)
    main = page.locator('[data-testid="stMain"]')
    assert "320.66" in page.locator('[data-testid="stMetric"]').filter(has_text="Available cash").inner_text()
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.wait_for()
    assert "NIFTY28MAR2420800CE" in chart.inner_text()  # the P&L bar of the option position
    assert "1/1 account, 0 failed" in main.inner_text()
    wait_until(lambda: _status(database_url) == "up", timeout=60, interval=0.5, what="the sidecar's ping")
    page.get_by_role("button", name="Sync now", exact=True).click()  # again: the page redraws with the ping
    page.get_by_text(re.compile(r"Account sync \d+ queued")).wait_for()
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stProgress\"]')", timeout=90_000)
    settle(page)
    assert openalgo.api_key not in page.content()  # the key is never sent back to the browser
    page.mouse.move(1400, 980)  # no tooltip over the shot
    page.set_viewport_size({"width": 1440, "height": 1900})
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / "accounts-synced.png"))
    page.set_viewport_size({"width": 1440, "height": 1000})
    if os.environ.get("WHEELHOUSE_UPDATE_SCREENSHOTS") == "1":  # as tests/browser/test_browser.py does
        from PIL import Image

        with Image.open(ARTIFACTS / "accounts-synced.png") as image:
            shot = image.crop((0, 0, 1440, 1150)).convert("RGB").quantize(colors=256)
            shot.save(REPO_ROOT / "docs" / "screenshots" / "accounts.png", optimize=True)

"""Single sign-on in a real Chromium against a local OpenID Connect provider (tests/browser/oidc_provider.py).

The dashboard runs with a secrets file whose [auth] section points at the provider; clicking "Sign in with
single sign-on" goes through Streamlit's st.login (authorization code flow, Authlib, the signed ID token) and
back. A user whose email matches signs in with their own role; an identity no user has is refused with the
reason; signing out ends both the Wheelhouse session and Streamlit's identity cookie.
"""

from __future__ import annotations

import os
import secrets

import pytest

from tests.browser.conftest import (
    ARTIFACTS,
    CHROMIUM_ARGS,
    free_port,
    settle,
    start_dashboard,
    stop_process,
    wait_http,
)
from tests.browser.oidc_provider import CLIENT_ID, CLIENT_SECRET, IdentityProvider

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def idp():
    with IdentityProvider() as provider:
        yield provider


@pytest.fixture(scope="module")
def sso_app(tmp_path_factory, chromium, idp):
    """The dashboard with single sign-on through `idp`, over a migrated SQLite file with two users."""
    from core.auth import LOCAL_OPERATOR
    from core.auth.users import create_user
    from core.db import migrate
    from core.db.engine import create_db_engine

    folder = tmp_path_factory.mktemp("sso")
    url = f"sqlite:///{folder / 'wheelhouse.db'}"
    migrate.upgrade(url)
    engine = create_db_engine(url)
    create_user(engine, LOCAL_OPERATOR, "ada", PASSWORD, "admin")
    create_user(engine, LOCAL_OPERATOR, "ann", PASSWORD, "trader", "ann@example.com")
    engine.dispose()

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    (folder / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "{base}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_urlsafe(32)}"\n'
        f'client_id = "{CLIENT_ID}"\n'
        f'client_secret = "{CLIENT_SECRET}"\n'
        f'server_metadata_url = "{idp.issuer}/.well-known/openid-configuration"\n'
    )
    env = {**os.environ, "DATABASE_URL": url, "MARKET_DATA_PROVIDER": "synthetic"}
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with open(ARTIFACTS / "streamlit-sso.log", "w") as log:
        app, _ = start_dashboard(env, log, "--secrets.files", str(folder / "secrets.toml"), port=port)
        try:
            wait_http(f"{base}/_stcore/health", app)
            yield base, url
        finally:
            stop_process(app)


@pytest.fixture
def page(sso_app, chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1440, "height": 1000})  # a fresh context: no cookies
        tab.set_default_timeout(60_000)
        yield tab
        browser.close()


def _single_sign_on(page, base: str) -> None:
    page.goto(base)
    page.get_by_role("button", name="Sign in with single sign-on").click()
    page.wait_for_url(f"{base}/**")  # back from the provider


def test_a_known_email_signs_in_with_its_users_role_and_signs_out(page, sso_app, idp):
    base, _ = sso_app
    idp.identity = {"sub": "ann-1", "email": "Ann@Example.com", "email_verified": True, "name": "Ann"}
    _single_sign_on(page, base)
    page.locator('[data-testid="stMain"] h1').filter(has_text="Scan Premiums").wait_for()
    settle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert "ann" in sidebar.inner_text() and "trader" in sidebar.inner_text()
    assert page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Scanners").count() == 1
    assert page.locator('[data-testid="stSidebarNavLink"]').filter(has_text="Users").count() == 0
    page.screenshot(path=str(ARTIFACTS / "sso-signed-in.png"))

    sidebar.get_by_role("button", name="Sign out").click()
    page.get_by_label("Username", exact=True).wait_for()
    settle(page)
    page.goto(base)  # the identity cookie is gone too: a reload does not sign in again
    page.get_by_label("Username", exact=True).wait_for()
    settle(page)
    assert page.locator('[data-testid="stSidebarNavLink"]').count() == 0


def test_an_identity_no_user_has_is_refused(page, sso_app, idp):
    base, _ = sso_app
    idp.identity = {"sub": "zed-1", "email": "zed@example.com", "email_verified": True}
    _single_sign_on(page, base)
    page.get_by_text("No Wheelhouse user has the email zed@example.com").wait_for()
    settle(page)
    assert page.locator('[data-testid="stSidebarNavLink"]').count() == 0
    assert page.get_by_role("button", name="Sign out of single sign-on").count() == 1

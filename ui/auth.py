"""Who is using the dashboard: the session token in `st.session_state`, checked against the database every rerun.

`current_actor()` is the one way a page learns who is signed in. A token is validated on every rerun
(core.auth.sessions), so signing out elsewhere, a password or role change, or a disabled user takes effect at
the next click; a token that no longer works is dropped and the sign-in page says why. With single sign-on
configured (an `[auth]` section in .streamlit/secrets.toml), Streamlit's `st.user` identity is mapped to a user
by email on every rerun instead.

The token lives only in this browser session's server-side state: reloading the page starts a new Streamlit
session, which asks for the password again (no cookie holds it; docs/security.md says why).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

import streamlit as st
from streamlit import config as streamlit_config
from streamlit.runtime.scriptrunner import get_script_run_ctx

from core.auth import (
    Actor,
    Client,
    Permission,
    PermissionDenied,
    SessionEnded,
    SignInRefused,
    WeakPassword,
    client_from_request,
    require,
)
from core.auth.sessions import end_session, validate_session
from core.auth.sign_in import change_password, sign_in
from core.auth.sso import sso_actor
from core.config import get_settings
from ui.db import database_guard, engine

TOKEN_KEY = "auth.token"
NOTICE_KEY = "auth.notice"  # why the last session ended, for the sign-in page
SSO_SEEN_KEY = "auth.sso_seen"  # this browser session's single sign-on has been logged
SIGN_IN_PAGE = "pages/sign_in.py"
ACCOUNT_PAGE = "pages/account.py"
MAIN_SCRIPT = "dashboard.py"

# Set while dashboard.py runs the page its navigation chose. Until dashboard.py first calls st.navigation in a
# server process, Streamlit's old discovery of the `pages/` folder is on: a first request for a page's address
# runs that file alone, under a menu of every file in pages/. Pages then hand the request to dashboard.py.
# (AppTest keeps that discovery on for every run, so there the pages' own checks are what is tested.)
_ROUTED: ContextVar[bool] = ContextVar("wheelhouse_routed", default=False)


@contextmanager
def routed() -> Iterator[None]:
    """Around `page.run()` in dashboard.py: the page was chosen by the role's navigation."""
    token = _ROUTED.set(True)
    try:
        yield
    finally:
        _ROUTED.reset(token)


def through_dashboard() -> None:
    """Hand a page file run on its own (without dashboard.py choosing it) to dashboard.py."""
    ctx = get_script_run_ctx()
    if _ROUTED.get() or ctx is None or Path(ctx.main_script_path).name != MAIN_SCRIPT:
        return  # chosen by the navigation, or a page file run as its own app (tests)
    if not streamlit_config.get_option("global.appTest"):  # AppTest patches the module's get_option, not st's
        st.switch_page(MAIN_SCRIPT)


def request_client() -> Client:
    """This request's client (X-Forwarded-For only through `TRUSTED_PROXY_COUNT` trusted proxies)."""
    headers = st.context.headers
    return client_from_request(
        st.context.ip_address,
        headers.get("X-Forwarded-For"),
        headers.get("User-Agent"),
        get_settings().trusted_proxy_count,
    )


def sso_configured() -> bool:
    """True when .streamlit/secrets.toml has an `[auth]` section (Streamlit's OpenID Connect sign-in)."""
    return st.secrets.load_if_toml_exists() and "auth" in st.secrets


def _sso_actor() -> Actor | None:
    if not st.user.is_logged_in:
        return None
    try:
        actor = sso_actor(
            engine(),
            st.user.get("email"),
            request_client(),
            email_verified=st.user.get("email_verified"),
            first_time=not st.session_state.get(SSO_SEEN_KEY),
        )
    except SignInRefused as exc:
        st.session_state[NOTICE_KEY] = str(exc)
        st.session_state.pop(SSO_SEEN_KEY, None)
        return None
    st.session_state[SSO_SEEN_KEY] = True
    return actor


def current_actor() -> Actor | None:
    """The signed-in actor, validated against the database now; None when no one is (or no longer) signed in."""
    if sso_configured() and (actor := _sso_actor()) is not None:
        return actor
    token = st.session_state.get(TOKEN_KEY)
    if not token:
        return None
    try:
        return validate_session(engine(), token, request_client())
    except SessionEnded as exc:
        del st.session_state[TOKEN_KEY]
        st.session_state[NOTICE_KEY] = str(exc)
        return None


def require_page(permission: Permission) -> Actor:
    """At the top of every page: the actor if their role may open it; otherwise a clear message and stop."""
    through_dashboard()
    with database_guard():
        actor = current_actor()
    if actor is None:
        st.warning("Sign in to open this page.", icon=":material/lock:")
        st.stop()
    try:
        return require(actor, permission)
    except PermissionDenied as exc:
        st.error(str(exc), icon=":material/block:")
        st.stop()


def password_sign_in(username: str, password: str) -> str | None:
    """Sign in and keep the session token; return what to tell the person when it was refused."""
    try:
        signed = sign_in(engine(), username, password, request_client())
    except SignInRefused as exc:
        return str(exc)
    st.session_state[TOKEN_KEY] = signed.token
    st.session_state.pop(NOTICE_KEY, None)
    return None


def change_own_password(actor: Actor, current: str, new: str) -> str | None:
    """Change the actor's password and keep the new session; return what to tell them when it was refused."""
    try:
        st.session_state[TOKEN_KEY] = change_password(engine(), actor, current, new)
    except (SignInRefused, WeakPassword) as exc:
        return str(exc)
    return None


def sign_out() -> None:
    """End this session (and single sign-on's), then show the sign-in page."""
    token = st.session_state.pop(TOKEN_KEY, None)
    if token:
        end_session(engine(), token, request_client())
    st.session_state[NOTICE_KEY] = "You signed out."
    if sso_configured() and st.user.is_logged_in:
        st.session_state.pop(SSO_SEEN_KEY, None)
        st.logout()
    st.switch_page(SIGN_IN_PAGE)


def render_user(actor: Actor) -> None:
    """The sidebar's account box: who is signed in, their role, Change password and Sign out."""
    box = st.sidebar.container(border=True)
    name = actor.username.replace("_", r"\_")  # names may hold '_', which Markdown reads as emphasis
    box.markdown(f":material/person: **{name}** · {actor.role}")
    # one above the other: side by side in the sidebar's width, "Password" was cut to "Pass…"
    if actor.user_id is not None and box.button(
        "Change password", key="auth.change_password", icon=":material/key:", width="stretch"
    ):
        st.switch_page(ACCOUNT_PAGE)
    if box.button("Sign out", key="auth.sign_out", icon=":material/logout:", width="stretch"):
        sign_out()

"""Single sign-on in AppTest: Streamlit's `st.user` identity (as AppTest seeds it) mapped to a user by email on
every rerun; unknown identities refused unless self-registration is on; a disabled user refused at once.

What AppTest cannot do is the OpenID Connect exchange itself (`st.login` redirects a browser); the browser test
tests/browser/test_sso.py runs that against a local identity provider."""

from __future__ import annotations

from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core.auth import LOCAL_OPERATOR
from core.auth.sso import set_sso_self_registration
from core.auth.users import create_user, list_users, set_active
from core.db.engine import unit_of_work
from core.db.models import ActivityLog
from tests.conftest import REPO_ROOT
from tests.pages.conftest import TEST_PASSWORD, no_exception, texts

AUTH = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "a-test-cookie-secret-of-some-length",
    "client_id": "wheelhouse",
    "client_secret": "not-a-real-secret",
    "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration",
}


def _app(open_page, db_url, email: str | None, page: str = "dashboard.py") -> AppTest:
    open_page(db_url, role=None)  # DATABASE_URL and fresh caches
    app = AppTest.from_file(str(REPO_ROOT / page), default_timeout=60)
    app.secrets["auth"] = AUTH
    app.user = {"is_logged_in": email is not None, "email": email, "email_verified": True}
    return app.run()


def test_sign_in_page_offers_single_sign_on(open_page, committed_engine, db_url):
    app = _app(open_page, db_url, None)
    no_exception(app)
    assert [t.value for t in app.title] == ["Sign in"]
    assert "Sign in with single sign-on" in [b.label for b in app.button]
    assert [w.label for w in app.text_input] == ["Username", "Password"]  # passwords still work beside it


def test_an_unknown_identity_is_refused(open_page, committed_engine, db_url):
    app = _app(open_page, db_url, "ann@example.com")
    assert [t.value for t in app.title] == ["Sign in"]
    assert "No Wheelhouse user has the email ann@example.com" in texts(app.info)
    assert "Sign out of single sign-on" in [b.label for b in app.button]
    assert list_users(committed_engine, LOCAL_OPERATOR) == []


def test_a_known_email_signs_in_as_its_user_and_is_checked_every_rerun(open_page, committed_engine, db_url):
    create_user(committed_engine, LOCAL_OPERATOR, "ada", TEST_PASSWORD, "admin")
    create_user(committed_engine, LOCAL_OPERATOR, "ann", TEST_PASSWORD, "trader", "Ann@Example.com")
    app = _app(open_page, db_url, "ANN@example.com")
    no_exception(app)
    assert app.title[0].value == "Scan Premiums"
    assert "**ann** · trader" in texts(app.sidebar.markdown)
    app.switch_page("pages/watchlists.py").run()  # not Scanners: it probes the sandbox, a process
    assert app.title[0].value == "Watchlists"
    set_active(committed_engine, LOCAL_OPERATOR, "ann", False)
    app.run()
    assert "Sign in to open this page." in texts(app.warning) and not app.title
    with unit_of_work(committed_engine, write=False) as session:
        sign_ins = session.scalars(select(ActivityLog.details).where(ActivityLog.action == "sign_in")).all()
    assert sign_ins == ['{"via": "sso"}']  # once per browser session, not once per rerun


def test_self_registration_creates_a_user_with_the_default_role(open_page, committed_engine, db_url):
    set_sso_self_registration(committed_engine, LOCAL_OPERATOR, "viewer")
    app = _app(open_page, db_url, "new.person@example.com")
    no_exception(app)
    assert app.title[0].value == "Scan Premiums"
    made = {u.username: (str(u.role), u.email) for u in list_users(committed_engine, LOCAL_OPERATOR)}
    assert made == {"new.person": ("viewer", "new.person@example.com")}
    direct = _app(open_page, db_url, "new.person@example.com", "pages/scanners.py")
    assert "new.person (viewer) cannot manage or run scanners" in texts(direct.error)


def test_an_unverified_email_is_refused(open_page, committed_engine, db_url):
    create_user(committed_engine, LOCAL_OPERATOR, "ann", TEST_PASSWORD, "trader", "ann@example.com")
    open_page(db_url, role=None)
    app = AppTest.from_file(str(REPO_ROOT / "dashboard.py"), default_timeout=60)
    app.secrets["auth"] = AUTH
    app.user = {"is_logged_in": True, "email": "ann@example.com", "email_verified": False}
    app.run()
    assert [t.value for t in app.title] == ["Sign in"]
    assert "has not verified this email" in texts(app.info)

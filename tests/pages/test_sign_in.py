"""Signing in to the dashboard in AppTest: only the sign-in page before, navigation per role after, every page
re-checking, throttled and logged failures, sessions that end at the next rerun, and signing out."""

from __future__ import annotations

import contextlib

import pytest
from sqlalchemy import select

from core.auth import LOCAL_OPERATOR
from core.auth.sessions import end_session
from core.auth.users import create_user, set_active, set_role
from core.db.engine import unit_of_work
from core.db.models import ActivityLog
from tests.pages.conftest import TEST_PASSWORD, no_exception, signed_in, texts

PAGES = [
    "pages/premiums.py",
    "pages/watchlists.py",
    "pages/scanners.py",
    "pages/accounts.py",
    "pages/lab.py",
    "pages/history.py",
    "pages/overview.py",
]


def _field(app, label):
    return next(w for w in app.text_input if w.label == label)


def _button(app, label):
    return next(b for b in app.button if b.label == label)


def _sign_in(app, username, password):
    _field(app, "Username").input(username)
    _field(app, "Password").input(password)
    return _button(app, "Sign in").click().run()


def _try_to_open(app, page):
    """Ask for `page` (AppTest refuses outright a page missing from the navigation, or, for a file it finds in
    pages/, runs that file without dashboard.py, the way a real server never does; both must show nothing)."""
    with contextlib.suppress(ValueError):
        app.switch_page(page)
    return app.run()


def _shut_out(app) -> bool:
    """Only the sign-in page, or a page refusing on its own with nothing of its content drawn."""
    refused = "Sign in to open this page." in texts(app.warning) and not app.title and not app.dataframe
    return _on_sign_in_page(app) or refused


def _through_dashboard(app):
    """Make the next run start at dashboard.py. With a `pages/` folder beside the main script, Streamlit's
    multipage-v1 discovery stays on in AppTest, so a rerun of the page a run finished on executes that page file
    alone (no dashboard.py, no sidebar); a real server switches it off once dashboard.py calls st.navigation."""
    app._page_hash = app._finished_page_script_hash = ""
    return app


def _on_sign_in_page(app) -> bool:
    return [t.value for t in app.title] == ["Sign in"] and [w.label for w in app.text_input] == ["Username", "Password"]


def test_anonymous_sees_only_the_sign_in_page_and_cannot_open_another(open_page, committed_engine, db_url):
    app = open_page(db_url, role=None)
    no_exception(app)
    assert _on_sign_in_page(app)
    assert _field(app, "Password").proto.type == _field(app, "Password").proto.PASSWORD  # masked
    assert [b.label for b in app.button][0] == "Sign in"
    assert not app.sidebar.caption  # no database, data or sidecar facts for strangers
    for page in [*PAGES, "pages/users.py", "pages/account.py"]:
        _try_to_open(app, page)
        no_exception(app)
        assert _shut_out(app), page


@pytest.mark.parametrize("page", PAGES)
def test_every_page_checks_on_its_own(open_page, committed_engine, db_url, page):
    app = open_page(db_url, page, role=None)
    no_exception(app)
    assert "Sign in to open this page." in texts(app.warning)
    assert not app.title


def test_signing_in_with_the_form_opens_the_first_page(open_page, committed_engine, db_url):
    create_user(committed_engine, LOCAL_OPERATOR, "Tess", TEST_PASSWORD, "trader")
    app = open_page(db_url, role=None)
    _sign_in(app, "tess", TEST_PASSWORD)  # names ignore case
    no_exception(app)
    assert app.title[0].value == "Scan Premiums"
    assert app.session_state["auth.token"]
    app.switch_page("pages/watchlists.py").run()  # not Scanners: its sandbox probe starts a process
    assert app.title[0].value == "Watchlists"
    assert _try_to_open(app, "pages/users.py").title == []  # admins only
    assert "tess (trader) cannot manage users" in texts(app.error).lower()


def test_the_sidebar_names_the_user_and_signs_out(open_page, committed_engine, db_url):
    create_user(committed_engine, LOCAL_OPERATOR, "ada", TEST_PASSWORD, "admin")
    app = signed_in(_app(open_page, db_url), db_url, "trader", username="Tess_T").run()
    assert r"**Tess\_T** · trader" in texts(app.sidebar.markdown)
    assert [b.label for b in app.sidebar.button] == ["Change password", "Sign out"]
    _button(app, "Sign out").click()
    _through_dashboard(app).run()
    no_exception(app)
    assert _on_sign_in_page(app)
    assert "You signed out." in texts(app.info)
    assert "auth.token" not in app.session_state
    assert _shut_out(_try_to_open(app, "pages/scanners.py"))


def test_a_viewer_cannot_open_scanners(open_page, committed_engine, db_url):
    app = open_page(db_url, role="viewer")
    assert app.title[0].value == "Scan Premiums"
    assert _try_to_open(app, "pages/scanners.py").title[0].value == "Scan Premiums"  # not in a viewer's navigation
    for page in ("pages/history.py", "pages/watchlists.py"):
        app.switch_page(page).run()
        no_exception(app)
    direct = open_page(db_url, "pages/scanners.py", role="viewer")  # and the page refuses on its own
    assert "cannot manage or run scanners: that needs the trader role" in texts(direct.error)
    assert not direct.title


def _pages_beyond(role: str) -> list[tuple[str, str]]:
    """(file, title) of every page in dashboard.py's PAGES table that `role` may not open, read from the
    source (running dashboard.py needs Streamlit's runtime): Scanners and Users today, Accounts when it lands."""
    import ast

    from core.auth import ROLE_PERMISSIONS, Permission, Role
    from tests.conftest import REPO_ROOT

    tree = ast.parse((REPO_ROOT / "dashboard.py").read_text())
    table = next(n.value for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "PAGES")
    rows = [(row.elts[0].value, row.elts[1].value, row.elts[3].attr) for row in table.elts]
    return [(path, title) for path, title, need in rows if Permission[need] not in ROLE_PERMISSIONS[Role(role)]]


def test_a_viewer_opens_no_page_beyond_reading(open_page, committed_engine, db_url):
    beyond = _pages_beyond("viewer")
    assert {"pages/scanners.py", "pages/users.py"} <= {path for path, _ in beyond}
    app = open_page(db_url, role="viewer")
    for path, title in beyond:  # not in a viewer's navigation (or, run alone by AppTest, refused by the page)
        assert title not in [t.value for t in _try_to_open(app, path).title], path
        no_exception(app)
    for path, _ in beyond:
        direct = open_page(db_url, path, role="viewer")  # each page refuses on its own, naming the role it needs
        assert "that needs the" in texts(direct.error) and not direct.title, path


def test_wrong_passwords_are_refused_throttled_and_logged(open_page, committed_engine, db_url):
    create_user(committed_engine, LOCAL_OPERATOR, "bob", TEST_PASSWORD, "viewer")
    app = open_page(db_url, role=None)
    for n in range(4):
        _sign_in(app, "bob", f"wrong password {n}")
        assert texts(app.error) == "Wrong username or password."
    _sign_in(app, "bob", TEST_PASSWORD)  # right, but too soon after four failures
    assert "Too many failed sign-ins" in texts(app.error)
    assert _on_sign_in_page(app)
    with unit_of_work(committed_engine, write=False) as session:
        logged = session.execute(select(ActivityLog.action, ActivityLog.username).order_by(ActivityLog.id)).all()
    assert [tuple(r) for r in logged if r.action != "user_create"] == [("sign_in_failed", "bob")] * 4 + [
        ("sign_in_throttled", "bob")
    ]


@pytest.mark.parametrize(
    ("revoke", "notice"),
    [
        (lambda engine, app: end_session(engine, app.session_state["auth.token"]), "You signed out."),
        (lambda engine, app: set_role(engine, LOCAL_OPERATOR, "rita", "viewer"), "Your role was changed"),
        (lambda engine, app: set_active(engine, LOCAL_OPERATOR, "rita", False), "has been disabled"),
    ],
    ids=["signed out elsewhere", "role changed", "disabled"],
)
def test_a_revoked_session_is_signed_out_at_its_next_rerun(open_page, committed_engine, db_url, revoke, notice):
    create_user(committed_engine, LOCAL_OPERATOR, "ada", TEST_PASSWORD, "admin")
    app = signed_in(_app(open_page, db_url), db_url, "trader", username="rita")
    app.run()
    app.switch_page("pages/watchlists.py").run()  # not Scanners: its sandbox probe starts a process
    assert app.title[0].value == "Watchlists"
    revoke(committed_engine, app)
    app.run()  # the next click on the page
    no_exception(app)
    assert _shut_out(app)
    assert "auth.token" not in app.session_state
    _through_dashboard(app).run()
    assert _on_sign_in_page(app)
    assert notice in texts(app.info)


def _app(open_page, db_url):
    """An AppTest of the dashboard that has not run yet (open_page runs it; this one is signed in first)."""
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO_ROOT

    open_page(db_url, role=None)  # sets DATABASE_URL and clears caches
    return AppTest.from_file(str(REPO_ROOT / "dashboard.py"), default_timeout=60)


def test_a_disabled_user_is_refused(open_page, committed_engine, db_url):
    create_user(committed_engine, LOCAL_OPERATOR, "ada", TEST_PASSWORD, "admin")
    create_user(committed_engine, LOCAL_OPERATOR, "dan", TEST_PASSWORD, "trader")
    set_active(committed_engine, LOCAL_OPERATOR, "dan", False)
    app = open_page(db_url, role=None)
    _sign_in(app, "dan", TEST_PASSWORD)
    assert "This user is disabled: ask an admin." in texts(app.error)
    assert _on_sign_in_page(app)

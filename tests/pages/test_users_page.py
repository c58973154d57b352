"""The Users page (admins) and Your account in AppTest: adding a user, disabling only after a yes, resetting,
single-sign-on registration, the activity log, and changing one's own password."""

from __future__ import annotations

import pytest

from core.auth import LOCAL_OPERATOR, SignInRefused
from core.auth.sign_in import sign_in
from core.auth.sso import sso_self_registration
from core.auth.users import create_user, list_users
from core.operations.service import activity
from tests.pages.conftest import TEST_PASSWORD, no_exception, texts
from tests.support.actors import ADMIN

PAGE = "pages/users.py"


def _input(app, label, value):
    next(w for w in app.text_input if w.label == label).input(value)


def _click(app, label):
    return next(b for b in app.button if b.label == label).click().run()


def _users(engine) -> dict[str, tuple[str, bool]]:
    return {u.username: (str(u.role), u.is_active) for u in list_users(engine, LOCAL_OPERATOR)}


def test_only_admins_open_it(open_page, committed_engine, db_url):
    app = open_page(db_url, PAGE, role="trader")
    assert "cannot manage users: that needs the admin role" in texts(app.error)
    assert not app.title and not app.dataframe


def test_an_admin_adds_a_user_and_a_weak_password_is_refused(open_page, committed_engine, db_url):
    app = open_page(db_url, PAGE)
    no_exception(app)
    assert app.title[0].value == "Users"
    _input(app, "New username", "carol")
    _input(app, "Password", "password123")
    _input(app, "Password again", "password123")
    _click(app, "Add user")
    assert "common word" in texts(app.error)
    assert "carol" not in _users(committed_engine)
    _input(app, "Password", TEST_PASSWORD)
    _input(app, "Password again", TEST_PASSWORD)
    app.selectbox(key="users.add.role").select("trader")
    _click(app, "Add user")
    no_exception(app)
    assert "Added carol (trader)." in texts(app.success)
    assert _users(committed_engine)["carol"] == ("trader", True)
    assert "carol" in set(app.dataframe[0].value["username"])


def test_disabling_asks_for_confirmation_first(open_page, committed_engine, db_url):
    create_user(committed_engine, LOCAL_OPERATOR, "dave", TEST_PASSWORD, "viewer")
    app = open_page(db_url, PAGE)
    app.selectbox(key="users.change.user").select("dave").run()
    _click(app, "Disable user…")
    assert "Disable dave?" in texts(app.warning)
    assert _users(committed_engine)["dave"] == ("viewer", True)  # nothing yet
    _click(app, "Cancel")
    assert _users(committed_engine)["dave"] == ("viewer", True)
    assert not texts(app.warning)
    _click(app, "Disable user…")
    _click(app, "Yes, disable dave")
    no_exception(app)
    assert "dave is disabled." in texts(app.success)
    assert _users(committed_engine)["dave"] == ("viewer", False)
    with pytest.raises(SignInRefused, match="disabled"):
        sign_in(committed_engine, "dave", TEST_PASSWORD)


def test_role_change_and_self_registration_and_activity(open_page, committed_engine, db_url):
    create_user(committed_engine, LOCAL_OPERATOR, "erin", TEST_PASSWORD, "viewer")
    app = open_page(db_url, PAGE)
    app.selectbox(key="users.change.user").select("erin").run()
    user_id = next(u.id for u in list_users(committed_engine, LOCAL_OPERATOR) if u.username == "erin")
    app.selectbox(key=f"users.change.role.{user_id}").select("trader").run()
    _click(app, "Change role")
    assert _users(committed_engine)["erin"] == ("trader", True)
    app.radio(key="users.sso").set_value("viewer").run()
    _click(app, "Save")
    assert str(sso_self_registration(committed_engine)) == "viewer"
    assert {"role_change", "sso_registration", "user_create"} <= {e.action for e in activity(committed_engine, ADMIN)}


def test_changing_ones_own_password(open_page, committed_engine, db_url):
    create_user(committed_engine, LOCAL_OPERATOR, "fay", TEST_PASSWORD, "viewer")
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO_ROOT
    from tests.pages.conftest import signed_in

    open_page(db_url, role=None)
    app = signed_in(
        AppTest.from_file(str(REPO_ROOT / "pages" / "account.py"), default_timeout=60), db_url, username="fay"
    )
    app.run()
    assert "Signed in as **fay**, role **viewer**." in texts(app.markdown)
    _input(app, "Current password", "not my password")
    _input(app, "New password", "a fresh long passphrase")
    _input(app, "New password again", "a fresh long passphrase")
    _click(app, "Change password")
    assert texts(app.error) == "The current password is wrong."
    _input(app, "Current password", TEST_PASSWORD)
    _input(app, "New password", "a fresh long passphrase")
    _input(app, "New password again", "a fresh long passphrase")
    _click(app, "Change password")
    no_exception(app)
    assert "Password changed" in texts(app.success)
    app.run()  # still signed in with the new session
    assert app.title[0].value == "Your account"
    with pytest.raises(SignInRefused):
        sign_in(committed_engine, "fay", TEST_PASSWORD)
    assert sign_in(committed_engine, "fay", "a fresh long passphrase").actor.username == "fay"

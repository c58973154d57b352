"""Users (admins): add people, change roles, reset passwords, disable (after confirming), single sign-on.

The activity log these changes write is on History (its Activity tab).
"""

import streamlit as st

from core.auth import AuthError, Permission
from core.auth.sso import set_sso_self_registration, sso_self_registration
from core.auth.users import create_user, list_users, reset_password, set_active, set_role
from ui import tables
from ui.auth import require_page
from ui.db import engine

ROLES = ("viewer", "trader", "admin")
CONFIRM = "users.confirm_disable"  # the user whose disabling waits for a yes

actor = require_page(Permission.MANAGE_USERS)
st.title("Users")
if "users.done" in st.session_state:
    st.success(st.session_state.pop("users.done"), icon=":material/check_circle:")


def attempt(action, done: str) -> None:
    """Run one change; on success say so and redraw, on refusal show its one-line reason."""
    try:
        action()
    except AuthError as exc:
        st.error(str(exc), icon=":material/block:")
        return
    st.session_state["users.done"] = done
    st.rerun()


users = list_users(engine(), actor)
tables.show(
    [
        {
            "username": u.username,
            "role": str(u.role),
            "active": u.is_active,
            "email": u.email,
            "last sign-in": u.last_login,
            "created": u.created_at,
        }
        for u in users
    ],
    hide_index=True,
    width="stretch",
)

add_tab, change_tab, sso_tab = st.tabs(["Add a user", "Change a user", "Single sign-on"])

with add_tab, st.form("users.add", clear_on_submit=False):
    name = st.text_input("New username", key="users.add.name")
    role = st.selectbox("Role", ROLES, key="users.add.role")
    email = st.text_input("Email (optional; for single sign-on)", key="users.add.email")
    first = st.text_input("Password", type="password", key="users.add.password", autocomplete="new-password")
    again = st.text_input("Password again", type="password", key="users.add.again", autocomplete="new-password")
    if st.form_submit_button("Add user", type="primary"):
        if first != again:
            st.error("The two passwords differ.")
        else:
            attempt(lambda: create_user(engine(), actor, name, first, role, email or None), f"Added {name} ({role}).")

with change_tab:
    by_name = {u.username: u for u in users}
    chosen = by_name[st.selectbox("User", list(by_name), key="users.change.user")]
    state = "active" if chosen.is_active else "disabled"
    st.caption(f"{chosen.username}: {chosen.role}, {state}. Any change here signs them out everywhere.")
    new_role = st.selectbox("Role", ROLES, index=ROLES.index(chosen.role), key=f"users.change.role.{chosen.id}")
    if st.button("Change role", key="users.change.set_role", disabled=new_role == chosen.role):
        attempt(lambda: set_role(engine(), actor, chosen.username, new_role), f"{chosen.username} is now {new_role}.")

    with st.form("users.reset", clear_on_submit=True):
        password = st.text_input("New password for this user", type="password", autocomplete="new-password")
        if st.form_submit_button("Reset password"):
            attempt(lambda: reset_password(engine(), actor, chosen.username, password), "Password reset.")

    if not chosen.is_active:
        if st.button("Enable user", key="users.change.enable"):
            attempt(lambda: set_active(engine(), actor, chosen.username, True), f"{chosen.username} is enabled.")
    elif st.session_state.get(CONFIRM) != chosen.username:
        if st.button("Disable user…", key="users.change.disable"):
            st.session_state[CONFIRM] = chosen.username
            st.rerun()
    else:
        st.warning(f"Disable {chosen.username}? They are signed out at once and cannot sign in until enabled again.")
        yes, no = st.columns(2)
        if no.button("Cancel", key="users.change.cancel"):
            del st.session_state[CONFIRM]
            st.rerun()
        if yes.button(f"Yes, disable {chosen.username}", key="users.change.confirm", type="primary"):
            del st.session_state[CONFIRM]
            attempt(lambda: set_active(engine(), actor, chosen.username, False), f"{chosen.username} is disabled.")

with sso_tab:
    current = sso_self_registration(engine())
    st.caption(
        "With single sign-on configured (an [auth] section in .streamlit/secrets.toml), people sign in through "
        "your identity provider and are matched to a user by email. Someone with no user here is refused, "
        "unless you let them register:"
    )
    options = ("refused", "viewer", "trader")
    choice = st.radio(
        "Unknown identities",
        options,
        index=options.index(str(current) if current else "refused"),
        format_func=lambda o: "are refused" if o == "refused" else f"register as {o}",
        key="users.sso",
    )
    if st.button("Save", key="users.sso.save"):
        role_or_none = None if choice == "refused" else choice
        attempt(lambda: set_sso_self_registration(engine(), actor, role_or_none), "Single sign-on setting saved.")

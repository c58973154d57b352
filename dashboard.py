"""Wheelhouse dashboard: registers the pages a signed-in role may open; each page re-checks at its top.

Someone not signed in gets one page, Sign in. Navigation is rebuilt on every rerun from the session, which
is validated against the database first (ui.auth), so a role change or a revoked session changes what can be
opened at the next click. A page a role may not open is not registered at all: its URL and `st.switch_page`
lead nowhere.
"""

import streamlit as st

from core.auth import Permission
from ui.auth import current_actor, render_user, routed
from ui.db import database_guard
from ui.sidebar import render_status

st.set_page_config(page_title="Wheelhouse", page_icon=":material/sailing:", layout="wide")

# (file, title, icon, what opening it needs). Later pages slot in by permission.
PAGES = (
    ("pages/premiums.py", "Scan Premiums", ":material/payments:", Permission.READ),
    ("pages/watchlists.py", "Watchlists", ":material/list_alt:", Permission.READ),
    ("pages/symbol.py", "Symbol", ":material/query_stats:", Permission.READ),
    ("pages/scanners.py", "Scanners", ":material/radar:", Permission.MANAGE_SCANNERS),
    ("pages/accounts.py", "Accounts", ":material/account_balance:", Permission.MANAGE_OWN_ACCOUNTS),
    ("pages/wheel.py", "Wheel", ":material/autorenew:", Permission.MANAGE_OWN_ACCOUNTS),
    ("pages/lab.py", "Strategy Lab", ":material/science:", Permission.MANAGE_SAVED_SCREENS),
    ("pages/history.py", "History", ":material/history:", Permission.READ),
    ("pages/overview.py", "Overview", ":material/database:", Permission.READ),
    ("pages/users.py", "Users", ":material/group:", Permission.MANAGE_USERS),
    ("pages/operations.py", "Operations", ":material/tune:", Permission.MANAGE_CALENDARS),
)
SIGN_IN = "pages/sign_in.py"
ACCOUNT = "pages/account.py"  # Change password (opened from the sidebar, not listed)

with database_guard():  # the database going away is a message, never a traceback
    actor = current_actor()

if actor is None:
    pages = [st.Page(SIGN_IN, title="Sign in", icon=":material/login:", default=True)]
else:
    allowed = [entry for entry in PAGES if actor.can(entry[3])]
    pages = [st.Page(path, title=title, icon=icon, default=n == 0) for n, (path, title, icon, _) in enumerate(allowed)]
    # Hidden: the sign-in page sends a signed-in user on to the first page; the account page has Change password.
    pages += [
        st.Page(SIGN_IN, title="Sign in", visibility="hidden"),
        st.Page(ACCOUNT, title="Your account", icon=":material/person:", visibility="hidden"),
    ]

page = st.navigation(pages)
if actor is not None:
    render_user(actor)
    render_status()
with database_guard(), routed():
    page.run()

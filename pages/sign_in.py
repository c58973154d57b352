"""Sign in: a username and password (and single sign-on when it is configured). The only page before signing in."""

import streamlit as st

from ui.auth import NOTICE_KEY, current_actor, password_sign_in, sso_configured, through_dashboard
from ui.db import database_guard

through_dashboard()
with database_guard():
    signed_in = current_actor() is not None
if signed_in:  # e.g. just signed in: go on to the first page, keeping the address's query (a bookmarked screen)
    query = [(name, value) for name in st.query_params for value in st.query_params.get_all(name)]
    st.switch_page("pages/premiums.py", query_params=query or None)

st.title("Sign in")
notice = st.session_state.pop(NOTICE_KEY, None)
if notice:
    st.info(notice, icon=":material/info:")

with st.form("sign_in.form"):
    username = st.text_input("Username", key="sign_in.username", autocomplete="username")
    password = st.text_input("Password", type="password", key="sign_in.password", autocomplete="current-password")
    submitted = st.form_submit_button("Sign in", type="primary")
if submitted:
    with database_guard():
        problem = password_sign_in(username, password)
    if problem:
        st.error(problem, icon=":material/block:")
    else:
        st.rerun()

if sso_configured():
    st.divider()
    providers = [name for name, value in st.secrets["auth"].items() if hasattr(value, "keys")]
    for provider in providers or [None]:
        label = f"Sign in with {provider}" if provider else "Sign in with single sign-on"
        st.button(label, key=f"sign_in.sso.{provider}", on_click=st.login, args=(provider,) if provider else ())
    if st.user.is_logged_in:  # the provider knows them, Wheelhouse refused them (the notice says why)
        st.button("Sign out of single sign-on", key="sign_in.sso_logout", on_click=st.logout)
else:
    st.caption("No account yet? An admin creates one: `python -m core users create NAME --role viewer`.")

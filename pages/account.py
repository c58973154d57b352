"""Your account: who you are signed in as, and changing your password (which signs out your other sessions)."""

import streamlit as st

from core.auth import Permission
from ui.auth import change_own_password, require_page, sso_configured

actor = require_page(Permission.READ)

st.title("Your account")
st.markdown(f"Signed in as **{actor.username}**, role **{actor.role}**.")
if sso_configured() and st.user.is_logged_in:
    st.info("You sign in with single sign-on: your password is managed by your identity provider.")
    st.stop()

st.subheader("Change password")
with st.form("account.password", clear_on_submit=True):
    current = st.text_input("Current password", type="password", autocomplete="current-password")
    new = st.text_input("New password", type="password", autocomplete="new-password")
    again = st.text_input("New password again", type="password", autocomplete="new-password")
    submitted = st.form_submit_button("Change password", type="primary")
st.caption("At least 10 characters; not a common password, a keyboard run or your username. A few words work well.")
if submitted:
    problem = "The two new passwords differ." if new != again else change_own_password(actor, current, new)
    if problem:
        st.error(problem, icon=":material/block:")
    else:
        st.success("Password changed. Your other sessions have been signed out.", icon=":material/check_circle:")

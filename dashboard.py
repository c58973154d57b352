"""Wheelhouse dashboard: registers the pages; each page is widgets, one core call and rendering."""

import streamlit as st

from ui.db import database_guard
from ui.sidebar import render_status

st.set_page_config(page_title="Wheelhouse", page_icon=":material/sailing:", layout="wide")

pages = [
    st.Page("pages/premiums.py", title="Scan Premiums", icon=":material/payments:", default=True),
    st.Page("pages/watchlists.py", title="Watchlists", icon=":material/list_alt:"),
    st.Page("pages/scanners.py", title="Scanners", icon=":material/radar:"),
    st.Page("pages/history.py", title="History", icon=":material/history:"),
    st.Page("pages/overview.py", title="Overview", icon=":material/database:"),
]

page = st.navigation(pages)
render_status()
with database_guard():  # the database going away mid-page is a message, never a traceback
    page.run()

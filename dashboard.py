"""Wheelhouse dashboard: registers the pages; each page is widgets, one core call and rendering."""

import streamlit as st

st.set_page_config(page_title="Wheelhouse", page_icon=":material/sailing:", layout="wide")

pages = [
    st.Page("pages/overview.py", title="Overview", icon=":material/database:", default=True),
]
st.navigation(pages).run()

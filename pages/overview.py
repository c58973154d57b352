"""Overview: which database the dashboard reads and how much is in it."""

import pandas as pd
import streamlit as st

from core.auth import Permission
from core.operations.service import database_overview
from ui.auth import require_page
from ui.db import database_guard, engine

actor = require_page(Permission.READ)  # before anything else: who may open this page
st.title("Overview")
with database_guard():
    overview = database_overview(engine(), actor)
st.caption(f"Database: `{overview.database}`")

if overview.error:
    st.error(f"The database cannot be reached: {overview.error}")
    st.info("Check DATABASE_URL, then run `python -m core db upgrade`.")
    st.stop()
if not overview.revision:
    st.warning("This database has no schema yet: run `python -m core db upgrade` (or `make run`).")
    st.stop()

left, mid, right = st.columns(3)
left.metric("Schema revision", overview.revision)
mid.metric("Tables", len(overview.tables))
right.metric("Rows", f"{sum(overview.tables.values()):,}")
counts = pd.DataFrame({"table": list(overview.tables), "rows": list(overview.tables.values())})
st.dataframe(counts, hide_index=True, width="stretch")

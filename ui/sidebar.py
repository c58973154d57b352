"""The sidebar facts every page shows: database, data freshness, sidecar health, and a synthetic-data banner."""

from __future__ import annotations

import streamlit as st

from core.operations.database import Engine
from core.operations.service import STALE_AFTER, DashboardStatus, describe_age, describe_since, sidebar_status
from core.wording import plural
from ui.db import engine, masked_url


@st.cache_data(ttl=5, show_spinner=False)
def _status(_engine: Engine) -> DashboardStatus:
    return sidebar_status(_engine)


def _when(moment) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment else "never"


def render_status() -> None:
    """Write the status facts into the sidebar (a few cheap queries, cached for five seconds)."""
    try:
        status = _status(engine())
    except Exception as exc:  # a broken DATABASE_URL must not take the whole sidebar down
        st.sidebar.error(f"Database: {exc}")
        return
    sidebar = st.sidebar
    sidebar.caption(f"Database: `{masked_url()}`")
    if status.error:
        sidebar.error("Database unavailable", icon=":material/database_off:")
        return
    if status.synthetic:
        sidebar.warning(
            f"**Synthetic data** — not market quotes ({status.synthetic_reason}).", icon=":material/science:"
        )
    if status.newest_quote is None:
        sidebar.caption("Data: nothing synced yet")
    else:
        now = status.sidecar.now
        newest, oldest = describe_since(now - status.newest_quote), describe_age(now - status.oldest_quote)
        sidebar.caption(
            f"Data: {plural(status.symbols_with_data, 'symbol')}, newest quote {_when(status.newest_quote)} "
            f"({newest}), oldest {oldest} old"
        )
    beat = status.sidecar
    if beat.last_beat is None:
        sidebar.caption(":material/pause_circle: Sidecar: no heartbeat yet — start `python -m core.sync`")
    elif beat.alive:
        sidebar.caption(f":material/check_circle: Sidecar: alive (heartbeat {describe_age(beat.age)} ago)")
    else:
        sidebar.caption(
            f":material/error: Sidecar: **stale** — last heartbeat {describe_age(beat.age)} ago "
            f"(over {int(STALE_AFTER.total_seconds() // 60)} min); queued syncs wait for it"
        )

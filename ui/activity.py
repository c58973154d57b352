"""History's Activity tab (admins): the activity log, newest first, filtered by user and by action.

Only drawn for a role with `READ_ACTIVITY`; the service (core.operations.service.activity) checks again.
"""

from __future__ import annotations

import dataclasses

import streamlit as st

from core.auth import Actor
from core.operations.database import Engine
from core.operations.service import activity, activity_choices
from ui import tables

KEY = "history:activity"
EVERYONE, EVERY_ACTION = "Everyone", "Every action"
LIMIT = 500


def render_activity(eng: Engine, actor: Actor) -> None:
    """Two filters and the newest LIMIT matching rows: who, what, to what, from where, with what details."""
    names, actions = activity_choices(eng, actor)
    left, right = st.columns(2)
    who = left.selectbox("User", [EVERYONE, *names], key=f"{KEY}:user")
    what = right.selectbox("Action", [EVERY_ACTION, *actions], key=f"{KEY}:action")
    entries = activity(
        eng,
        actor,
        username=None if who == EVERYONE else who,
        action=None if what == EVERY_ACTION else what,
        limit=LIMIT,
    )
    if not entries:
        st.info("No activity matches these filters.")
        return
    st.caption(f"The newest {len(entries)} entries, newest first (at most {LIMIT}).")
    tables.show(
        [dataclasses.asdict(e) for e in entries],
        hide_index=True,
        key=f"{KEY}:table",
        column_config={
            "timestamp": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
            "username": "User",
            "action": "Action",
            "target": "Target",
            "details": st.column_config.TextColumn("Details", width="large"),
            "ip_address": "Client",
        },
    )

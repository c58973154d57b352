"""The Watchlists page's editing tabs (traders and admins): add and remove symbols, rename, and delete after a yes.

Deleting asks first: "Delete watchlist…" shows what goes with the list (its symbols and the scanner schedules
over it, from core.watchlists.service.deletion_impact) and only "Yes, delete" deletes.
"""

from __future__ import annotations

import streamlit as st

from core.auth import Actor, PermissionDenied
from core.operations.database import Engine
from core.watchlists import service
from core.watchlists.service import WatchlistError, WatchlistInfo
from ui import watchlist_actions as act

KEY = act.KEY
CONFIRM = f"{KEY}:confirm_delete"  # the watchlist whose deletion waits for a yes
state = st.session_state


def render_tabs(eng: Engine, actor: Actor, info: WatchlistInfo, add, remove, manage) -> None:
    """Fill the three editing tabs for watchlist `info`."""
    with add:
        st.text_area(
            "Paste symbols",
            key=f"{KEY}:paste",
            height=100,
            placeholder="NASDAQ:AAPL,NYSE:KO — or one per line — or AAPL, MSFT, KO",
            help="A TradingView export, one symbol per line, or comma-separated.",
        )
        st.button("Add pasted symbols", key=f"{KEY}:add_pasted", on_click=act.add_pasted, args=(eng, actor, info.name))
        st.file_uploader(
            "…or upload a CSV (a `symbol` or `ticker` column, optional `exchange`)",
            type=["csv", "txt"],
            key=f"{KEY}:upload",
        )
        st.button("Add from file", key=f"{KEY}:add_file", on_click=act.add_file, args=(eng, actor, info.name))
    with remove:
        st.multiselect("Symbols to remove", list(info.symbols), key=f"{KEY}:remove")
        st.button(
            "Remove",
            key=f"{KEY}:remove_button",
            on_click=act.remove,
            args=(eng, actor, info.name),
            disabled=not state.get(f"{KEY}:remove"),
        )
    with manage:
        field = f"{KEY}:rename_to:{info.id}"
        st.text_input("New name", value=info.name, key=field)
        st.button("Rename", key=f"{KEY}:rename", on_click=act.rename, args=(eng, actor, info.name, field))
        window = f"{KEY}:window:{info.id}"
        st.number_input(
            "Sync window (days)",
            min_value=0,
            max_value=3660,
            value=info.sync_max_dte,
            step=1,
            key=window,
            placeholder="SYNC_MAX_DTE",
            help="Syncs of this list ask only for expiries within this many days; 0 means every listed expiry; "
            "empty means the SYNC_MAX_DTE setting.",
        )
        st.button(
            "Set sync window", key=f"{KEY}:set_window", on_click=act.set_window, args=(eng, actor, info.name, window)
        )
        _delete_with_confirmation(eng, actor, info.name)


def _delete_with_confirmation(eng: Engine, actor: Actor, name: str) -> None:
    if state.get(CONFIRM) != name:
        st.button("Delete watchlist…", key=f"{KEY}:delete", on_click=_ask, args=(name,))
        return
    try:
        impact = service.deletion_impact(eng, actor, name)
    except (WatchlistError, PermissionDenied) as exc:
        st.warning(str(exc))
        return
    st.warning(f"Delete “{name}”? {impact.describe()}. This cannot be undone.")
    yes, no = st.columns(2)
    yes.button(
        f"Yes, delete “{name}”",
        key=f"{KEY}:delete_confirm",
        type="primary",
        on_click=act.delete,
        args=(eng, actor, name),
    )
    no.button("Cancel", key=f"{KEY}:delete_cancel", on_click=state.pop, args=(CONFIRM, None))


def _ask(name: str) -> None:
    state[CONFIRM] = name

"""Watchlists: create, rename and delete lists; add symbols by pasting or uploading; export; sync one list."""

import streamlit as st

from core.auth import Permission
from core.watchlists import service
from ui import watchlist_actions as act
from ui.auth import require_page
from ui.db import require_database
from ui.progress import sync_button, sync_progress

require_page(Permission.READ)  # before anything else: who may open this page
KEY = act.KEY
cc = st.column_config
eng = require_database()
state = st.session_state

st.title("Watchlists")
names = service.names(eng)
if state.get(f"{KEY}:selected") not in names:
    state[f"{KEY}:selected"] = names[0] if names else None

side, main = st.columns([1, 3], gap="large")
with side:
    selected = st.radio("Watchlist", names, key=f"{KEY}:selected") if names else None
    with st.container(border=True):
        st.text_input("New watchlist", key=f"{KEY}:new_name", placeholder="e.g. Wheel candidates")
        st.text_input("Description (optional)", key=f"{KEY}:new_description")
        st.button("Create", key=f"{KEY}:create", on_click=act.create, args=(eng,), icon=":material/add:")

with main:
    act.render_report()
    if selected is None:
        st.info("No watchlists yet: create one on the left, or run `python -m core demo` for three examples.")
        st.stop()
    shown = service.view(eng, selected)
    info = shown.info
    st.subheader(info.name)
    if info.description:
        st.caption(info.description)
    button, progress = st.columns([1.6, 4], vertical_alignment="center")
    with button:
        sync_button(eng, key=f"{KEY}:{info.id}", watchlist=info.name, label="Sync this watchlist")
    with progress:
        sync_progress(eng, key=f"{KEY}:{info.id}", watchlist=info.name)
    st.dataframe(
        shown.table,
        hide_index=True,
        key=f"{KEY}:symbols",
        column_config={
            "symbol": cc.TextColumn("Symbol", pinned=True),
            "exchange": "Exchange",
            "name": "Name",
            "sector": "Sector",
            "price": cc.NumberColumn("Price", format="dollar"),
            "best_put_expiry": cc.DateColumn("Best put expiry", format="YYYY-MM-DD"),
            "best_put_strike": cc.NumberColumn("Strike", format="dollar"),
            "best_put_premium": cc.NumberColumn("Premium", format="dollar"),
            "best_put_annualized": cc.NumberColumn(
                "Annualised", format="%.1f%%", help="Best cash-secured put under the default screen."
            ),
            "iv_rank": cc.NumberColumn("IV rank", format="%.0f"),
            "fetched_at": cc.DatetimeColumn("Data age", format="distance"),
            "sync_status": "Last sync",
        },
    )
    add, remove, manage, export = st.tabs(["Add symbols", "Remove symbols", "Rename or delete", "Export"])
    with add:
        st.text_area(
            "Paste symbols",
            key=f"{KEY}:paste",
            height=100,
            placeholder="NASDAQ:AAPL,NYSE:KO — or one per line — or AAPL, MSFT, KO",
            help="A TradingView export, one symbol per line, or comma-separated.",
        )
        st.button("Add pasted symbols", key=f"{KEY}:add_pasted", on_click=act.add_pasted, args=(eng, info.name))
        st.file_uploader(
            "…or upload a CSV (a `symbol` or `ticker` column, optional `exchange`)",
            type=["csv", "txt"],
            key=f"{KEY}:upload",
        )
        st.button("Add from file", key=f"{KEY}:add_file", on_click=act.add_file, args=(eng, info.name))
    with remove:
        st.multiselect("Symbols to remove", list(info.symbols), key=f"{KEY}:remove")
        st.button(
            "Remove",
            key=f"{KEY}:remove_button",
            on_click=act.remove,
            args=(eng, info.name),
            disabled=not state.get(f"{KEY}:remove"),
        )
    with manage:
        st.text_input("New name", value=info.name, key=f"{KEY}:rename_to:{info.id}")
        st.button(
            "Rename", key=f"{KEY}:rename", on_click=act.rename, args=(eng, info.name, f"{KEY}:rename_to:{info.id}")
        )
        st.checkbox(f"Yes, delete “{info.name}” (its scanner schedules go with it)", key=f"{KEY}:confirm_delete")
        st.button(
            "Delete watchlist",
            key=f"{KEY}:delete",
            type="primary",
            on_click=act.delete,
            args=(eng, info.name),
            disabled=not state.get(f"{KEY}:confirm_delete"),
        )
    with export:
        st.code(service.export_tradingview(info) or "(empty)", language=None, wrap_lines=True)
        left, right = st.columns(2)
        left.download_button(
            "TradingView list (.txt)",
            service.export_tradingview(info),
            f"{info.name}.txt",
            key=f"{KEY}:export_txt",
            icon=":material/download:",
        )
        right.download_button(
            "CSV",
            service.export_csv(info),
            f"{info.name}.csv",
            mime="text/csv",
            key=f"{KEY}:export_csv",
            icon=":material/download:",
        )

"""Watchlists: create, rename and delete lists; add symbols by pasting or uploading; export; sync one list."""

import streamlit as st

from core.auth import Permission
from core.watchlists import service
from ui import tables, watchlist_edit
from ui import watchlist_actions as act
from ui.auth import require_page
from ui.db import require_database
from ui.progress import sync_button, sync_progress

actor = require_page(Permission.READ)  # before anything else: who may open this page
KEY = act.KEY
cc = st.column_config
eng = require_database()
state = st.session_state

st.title("Watchlists")
names = service.names(eng, actor)
if state.get(f"{KEY}:selected") not in names:
    state[f"{KEY}:selected"] = names[0] if names else None

side, main = st.columns([1, 3], gap="large")
with side:
    selected = st.radio("Watchlist", names, key=f"{KEY}:selected") if names else None
    if actor.can(Permission.MANAGE_WATCHLISTS):
        with st.container(border=True):
            st.text_input("New watchlist", key=f"{KEY}:new_name", placeholder="e.g. Wheel candidates")
            st.text_input("Description (optional)", key=f"{KEY}:new_description")
            st.button("Create", key=f"{KEY}:create", on_click=act.create, args=(eng, actor), icon=":material/add:")

with main:
    act.render_report()
    if selected is None:
        st.info("No watchlists yet: a trader creates one on the left, or run `python -m core demo` for three examples.")
        st.stop()
    shown = service.view(eng, actor, selected)
    info = shown.info
    st.subheader(info.name)
    if info.description:
        st.caption(info.description)
    if not info.symbols:  # nothing to sync: say how to fill it rather than show another scope's last sync
        st.info(
            "This watchlist is empty. Add symbols under **Add symbols** below: paste tickers "
            "(`AAPL, MSFT` or TradingView's `NASDAQ:AAPL`), or upload a CSV."
            if actor.can(Permission.MANAGE_WATCHLISTS)
            else "This watchlist is empty: a trader can add symbols to it."
        )
    else:
        button, progress = st.columns([1.6, 4], vertical_alignment="center")
        with button:
            sync_button(eng, actor, key=f"{KEY}:{info.id}", watchlist=info.name, label="Sync this watchlist")
        with progress:
            sync_progress(eng, actor, key=f"{KEY}:{info.id}", watchlist=info.name)
    tables.show(
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
    if actor.can(Permission.MANAGE_WATCHLISTS):  # viewers see and export; traders also edit
        add, remove, manage, export = st.tabs(["Add symbols", "Remove symbols", "Rename or delete", "Export"])
        watchlist_edit.render_tabs(eng, actor, info, add, remove, manage)
    else:
        (export,) = st.tabs(["Export"])
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

"""Scan Premiums: the best cash-secured put or covered call per symbol under filters, and a row in depth."""

import streamlit as st

from core.auth import Permission, PermissionDenied
from core.clock import today_in_new_york
from core.premiums import service
from core.premiums.service import InvalidFilters, ScreenError
from ui import tables
from ui.auth import require_page
from ui.db import require_database
from ui.premium_filters import premium_filters_form, set_filter_state
from ui.premium_scope import scope_form
from ui.premium_table import premium_columns, render_summary, shown_frame, table_height
from ui.progress import sync_button, sync_progress
from ui.queries import best_premiums, choices, current_version
from ui.symbol_detail import render_detail, trade_from_row

actor = require_page(Permission.READ)  # before anything else: who may open this page
KEY = "premiums"
eng = require_database()
state = st.session_state


def _notice(kind: str, text: str) -> None:
    state[f"{KEY}:notice"] = (kind, text)


def _load_screen(sectors: list[str], watchlists: list[str]) -> None:
    name = state.get(f"{KEY}:screen")
    try:
        flt = service.load_screen(eng, actor, name)
        set_filter_state(KEY, flt, sectors, watchlists)
        _notice("success", f"Loaded screen “{name}”.")
    except ScreenError as exc:
        _notice("warning", str(exc))


def _save_screen() -> None:
    try:
        name = service.save_screen(eng, actor, state.get(f"{KEY}:screen_name", ""), state[f"{KEY}:current"])
        state[f"{KEY}:screen"] = name
        _notice("success", f"Saved screen “{name}”.")
    except (ScreenError, PermissionDenied) as exc:
        _notice("warning", str(exc))


def _set_as_of(day) -> None:
    state[f"{KEY}:as_of"] = day  # a callback: runs before the date widget exists on the rerun


def _delete_screen() -> None:
    name = state.pop(f"{KEY}:screen", None)
    try:
        service.delete_screen(eng, actor, name)
        _notice("success", f"Deleted screen “{name}”.")
    except PermissionDenied as exc:
        _notice("warning", str(exc))


st.title("Scan Premiums")
version = current_version(eng)
opts = choices(eng, actor, version)
screens = service.screen_names(eng, actor)  # not in the data version: always read fresh
button, progress = st.columns([1, 6], vertical_alignment="center")
with button:
    sync_button(eng, actor, key=KEY)
with progress:
    sync_progress(eng, actor, key=KEY)

flt = premium_filters_form(KEY, opts.sectors, opts.watchlists)
owns_accounts = actor.can(Permission.MANAGE_OWN_ACCOUNTS)
scope = scope_form(KEY, actor, service.account_choices(eng, actor) if owns_accounts else {}, flt.strategy)
with st.expander("Saved screens", icon=":material/bookmarks:", expanded=f"{KEY}:notice" in state):
    if f"{KEY}:notice" in state:
        kind, text = state.pop(f"{KEY}:notice")
        getattr(st, kind)(text)
    if state.get(f"{KEY}:screen") not in screens:
        state[f"{KEY}:screen"] = None
    left, load, delete = st.columns([3, 1, 1], vertical_alignment="bottom")
    chosen = left.selectbox("Saved screen", screens, key=f"{KEY}:screen", placeholder="Choose a screen")
    load.button(
        "Load", key=f"{KEY}:load", on_click=_load_screen, args=(opts.sectors, opts.watchlists), disabled=chosen is None
    )
    if actor.can(Permission.MANAGE_SAVED_SCREENS):  # viewers load screens; traders also save and delete them
        delete.button("Delete", key=f"{KEY}:delete", on_click=_delete_screen, disabled=chosen is None)
        left, save = st.columns([3, 2], vertical_alignment="bottom")
        left.text_input("Save the current filters as", key=f"{KEY}:screen_name", placeholder="e.g. Weekly puts")
        save.button("Save screen", key=f"{KEY}:save", on_click=_save_screen)

if opts.synced == 0:
    st.info(
        "**No option data yet.** Run `python -m core demo` for a synthetic demo universe (about ten seconds), "
        "or click **Sync All** to fetch chains with the configured provider; the sidecar "
        "(`python -m core.sync`) does the work and this page fills in when it finishes.",
        icon=":material/info:",
    )
    st.stop()
try:
    if scope is None:
        frame = best_premiums(eng, actor, flt, version)
    elif flt.strategy == "cc":
        frame = service.covered_calls(eng, actor, flt, account=scope.account, never_below_cost=scope.never_below_cost)
    else:
        frame = service.sized_puts(eng, actor, flt, account=scope.account, affordable_only=scope.affordable_only)
        cash = frame.attrs["cash"]
        st.caption(
            f"Free cash ${cash['free']:,.2f}: ${cash['available']:,.2f} available less ${cash['reserved']:,.2f} "
            "reserved by open short puts."
        )
except InvalidFilters as exc:
    st.warning(f"These filters cannot be used: {exc}")
    st.stop()
as_of_day = flt.as_of or today_in_new_york()
fresh = service.freshness(eng, actor, as_of_day)
if fresh.stale:
    st.warning(
        f"**Quotes are from {fresh.quote_date}; set the as-of date to it.** The newest stored quote is older than "
        f"the as-of date's trading day ({fresh.trading_day}), so days to expiry would be counted from a date "
        "these quotes never saw.",
        icon=":material/history:",
    )
    st.button(
        f"Set the as-of date to {fresh.quote_date}",
        key=f"{KEY}:use_quote_date",
        on_click=_set_as_of,
        args=(fresh.quote_date,),
        icon=":material/event:",
    )
    if frame.empty:
        st.stop()
window_note = service.sync_windows(eng, actor).message(flt.dte[1])
if window_note:
    st.caption(window_note)
if frame.empty:
    st.info(
        "No contract matches these filters. Widen the days-to-expiry or |delta| range, lower the minimum "
        "premium or return, or clear the sector and watchlist filters.",
        icon=":material/filter_alt_off:",
    )
    st.stop()

render_summary(frame)
shown = shown_frame(frame)
event = tables.show(
    shown,
    column_config=premium_columns(shown),
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key=f"{KEY}:table",
    height=table_height(len(shown)),
)
as_of = str(as_of_day)
st.download_button(
    "Download CSV",
    lambda: service.table_csv(frame),  # made on the click, not on every rerun (77 ms a rerun for 500 rows)
    file_name=f"premiums-{flt.strategy}-{as_of}.csv",
    mime="text/csv",
    icon=":material/download:",
    key=f"{KEY}:csv",
)
rows = [r for r in event.selection.rows if r < len(frame)]
if rows:
    render_detail(eng, actor, trade_from_row(frame.iloc[rows[0]], flt.strategy, flt.price_basis), as_of, version)
else:
    st.caption("Select a row to see its chain around the money, IV smile, IV and premium history, and payoff.")

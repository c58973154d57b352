"""History's Track record tab: per tracked screen what it promised and what it delivered, the cumulative P&L of
one screen, its snapshots, and (traders) tracking a saved screen or not. Everything comes from
core.track.service, which checks the role again."""

from __future__ import annotations

import streamlit as st

from core.auth import Actor, Permission
from core.operations.database import Engine
from core.track import service
from ui import charts, tables

KEY = "history:track"
cc = st.column_config

SUMMARY_COLUMNS = {
    "screen": "Screen",
    "tracked": cc.CheckboxColumn("Tracked"),
    "sessions": cc.NumberColumn("Syncs recorded", format="%d"),
    "opportunities": cc.NumberColumn("Opportunities", format="%d"),
    "resolved": cc.NumberColumn("Resolved", format="%d"),
    "open": cc.NumberColumn("Not expired", format="%d"),
    "unresolved": cc.NumberColumn("Close unknown", format="%d", help="Past expiry; the close is not known yet."),
    "win_rate": cc.NumberColumn("Win rate", format="percent", help="Resolved with a positive P&L."),
    "mean_realized_annualized": cc.NumberColumn("Realised %/yr (mean)", format="%.1f"),
    "median_realized_annualized": cc.NumberColumn("Realised %/yr (median)", format="%.1f"),
    "mean_promised_annualized": cc.NumberColumn(
        "Promised %/yr (mean)", format="%.1f", help="The screen's annualized return of the same resolved snapshots."
    ),
    "worst_pnl": cc.NumberColumn("Worst P&L ($)", format="%.0f"),
    "total_pnl": cc.NumberColumn("Total P&L ($)", format="%.0f"),
}
SNAPSHOT_CONFIG = {
    "quote_date": cc.DateColumn("Screened"),
    "expiration_date": cc.DateColumn("Expiry"),
    "premium": cc.NumberColumn("Premium ($)", format="%.2f"),
    "capital": cc.NumberColumn("Capital ($)", format="%.0f"),
    "promised_annualized": cc.NumberColumn("Promised %/yr", format="%.1f"),
    "promised_flat_annualized": cc.NumberColumn("Promised flat %/yr", format="%.1f"),
    "underlying_close": cc.NumberColumn("Close at expiry", format="%.2f"),
    "pnl": cc.NumberColumn("P&L ($)", format="%.2f"),
    "realized_return": cc.NumberColumn("Realised %", format="%.2f"),
    "realized_annualized": cc.NumberColumn("Realised %/yr", format="%.1f"),
    "unresolved_reason": cc.TextColumn("Why unresolved", width="large"),
}


def render_track_record(eng: Engine, actor: Actor) -> None:
    """The summary table, then one screen in depth."""
    if actor.can(Permission.MANAGE_SAVED_SCREENS):
        _tracking(eng, actor)  # first, so a change shows in the table below at once
    records = service.track_record(eng, actor)
    if not records:
        st.info(
            "No tracked screen yet. Save a screen on **Scan Premiums** and track it here (or "
            "`python -m core track-record --track NAME`): after each completed universe sync the sidecar records "
            "its results, and resolves each one from the underlying's close after it expires."
        )
        return
    tables.show([r.to_json() for r in records], hide_index=True, key=f"{KEY}:summary", column_config=SUMMARY_COLUMNS)
    screen = st.selectbox("Screen", [r.screen for r in records], key=f"{KEY}:screen")
    frame = service.snapshots(eng, actor, screen)
    by_day = service.cumulative_pnl(frame)
    if by_day.empty:
        st.caption("Nothing of this screen has expired and been resolved yet.")
    else:
        st.plotly_chart(charts.cumulative_pnl_figure(by_day, screen), key=f"{KEY}:pnl")
    status = st.segmented_control(
        "Snapshots", ["all", "resolved", "open", "unresolved"], default="all", key=f"{KEY}:status"
    )
    shown = frame if status in (None, "all") else frame[frame["status"] == status]
    st.caption(f"{len(shown):,} of {len(frame):,} snapshots, newest first. P&L per contract held to expiry.")
    tables.show(shown.drop(columns=["screen"]), hide_index=True, key=f"{KEY}:snapshots", column_config=SNAPSHOT_CONFIG)


def _tracking(eng: Engine, actor: Actor) -> None:
    """Which saved screens are tracked: one multiselect and a button (a trader's)."""
    saved = service.screens(eng, actor)
    if not saved:
        return
    with st.expander("Tracked screens"):
        chosen = st.multiselect(
            "Track these saved screens",
            list(saved),
            default=[name for name, tracked in saved.items() if tracked],
            key=f"{KEY}:tracked",
            help="Recorded after each completed universe sync; untracking keeps the record.",
        )
        if st.button("Save tracking", key=f"{KEY}:save"):
            for name, tracked in saved.items():
                if (name in chosen) != tracked:
                    service.set_tracked(eng, actor, name, name in chosen)
            st.success("Saved: the sidecar records the tracked screens after the next completed universe sync.")

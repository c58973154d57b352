"""History: sync runs, scan runs, critical errors, sidecar heartbeats and data coverage."""

import streamlit as st

from core.db.engine import unit_of_work
from core.history import history_report
from ui import charts
from ui.db import require_database

KEY = "history"
cc = st.column_config
eng = require_database()

st.title("History")
with unit_of_work(eng, write=False) as session:
    report = history_report(session)

coverage = report.coverage
cols = st.columns(5)
cols[0].metric("Stocks", f"{coverage.stocks:,}")
cols[1].metric("Fresh chains (24 h)", f"{coverage.fresh:,}", help="Symbols synced with options in the last 24 hours.")
cols[2].metric("Contracts stored", f"{coverage.contracts:,}")
cols[3].metric("Without options", f"{coverage.no_options:,}")
cols[4].metric("Failed last sync", f"{coverage.failed:,}")
if coverage.quarantined:
    st.caption("Rows kept out of rankings at the last sync, by reason: "
               + ", ".join(f"{reason} {n:,}" for reason, n in coverage.quarantined.items()))

runs, scans, errors, beats = st.tabs(["Sync runs", "Scan runs", "Critical errors", "Sidecar heartbeats"])
with runs:
    if report.sync_runs.empty:
        st.info("No sync has run yet: click **Sync All** on Scan Premiums, or run `python -m core demo`.")
    else:
        left, right = st.columns(2)
        left.plotly_chart(charts.run_durations_figure(report.sync_runs), key=f"{KEY}:durations")
        right.plotly_chart(charts.contracts_per_run_figure(report.sync_runs), key=f"{KEY}:contracts")
        st.dataframe(report.sync_runs, hide_index=True, key=f"{KEY}:runs", column_config={
            "id": cc.NumberColumn("Run", format="%d"), "requested_by": "Asked by",
            "created_at": cc.DatetimeColumn("Requested", format="YYYY-MM-DD HH:mm:ss"),
            "started_at": cc.DatetimeColumn("Started", format="YYYY-MM-DD HH:mm:ss"),
            "finished_at": cc.DatetimeColumn("Finished", format="YYYY-MM-DD HH:mm:ss"),
            "duration_s": cc.NumberColumn("Seconds", format="%.1f"), "no_options": "No options",
            "contracts": cc.NumberColumn("Contracts", format="localized"),
            "quarantined": cc.TextColumn("Quarantined rows", help="Rows kept out of rankings, by reason."),
        })
with scans:
    if report.scan_runs.empty:
        st.info("No scanner has run yet (the Scanners page and the sidecar's schedules fill this in).")
    else:
        st.dataframe(report.scan_runs, hide_index=True, key=f"{KEY}:scans", column_config={
            "execution_s": cc.NumberColumn("Seconds", format="%.2f"),
            "started_at": cc.DatetimeColumn("Started", format="YYYY-MM-DD HH:mm:ss"),
            "completed_at": cc.DatetimeColumn("Completed", format="YYYY-MM-DD HH:mm:ss"),
        })
with errors:
    if report.errors.empty:
        st.success("No critical errors recorded.")
    else:
        st.dataframe(report.errors, hide_index=True, key=f"{KEY}:errors", column_config={
            "created_at": cc.DatetimeColumn("When", format="YYYY-MM-DD HH:mm:ss"),
            "resolved_at": cc.DatetimeColumn("Resolved", format="YYYY-MM-DD HH:mm:ss"),
            "message": cc.TextColumn("Message", width="large"),
        })
with beats:
    if report.heartbeats.empty:
        st.info("No heartbeat yet: the sidecar (`python -m core.sync`) writes one every few seconds while it runs.")
    else:
        st.dataframe(report.heartbeats, hide_index=True, key=f"{KEY}:beats", column_config={
            "check_timestamp": cc.DatetimeColumn("Last beat", format="distance"),
            "details": cc.TextColumn("Details", width="large"),
        })

"""History: sync runs, scan runs, critical errors, sidecar heartbeats, data coverage, the track record of tracked
screens and (admins) the activity log."""

import streamlit as st

from core.auth import Permission
from core.operations.service import history_report
from core.wording import describe_counts
from ui import charts, tables
from ui.activity import render_activity
from ui.auth import require_page
from ui.db import require_database
from ui.track_record import render_track_record

actor = require_page(Permission.READ)  # before anything else: who may open this page
KEY = "history"
cc = st.column_config
eng = require_database()

st.title("History")
report = history_report(eng, actor)

coverage = report.coverage
cols = st.columns(5)
cols[0].metric("Stocks", f"{coverage.stocks:,}")
cols[1].metric("Fresh chains (24 h)", f"{coverage.fresh:,}", help="Symbols synced with options in the last 24 hours.")
cols[2].metric("Contracts stored", f"{coverage.contracts:,}")
cols[3].metric("Without options", f"{coverage.no_options:,}")
cols[4].metric("Failed last sync", f"{coverage.failed:,}")
if coverage.quarantined:
    st.caption("Rows kept out of rankings at the last sync, by reason: " + describe_counts(coverage.quarantined))


def _when(label: str):
    return cc.DatetimeColumn(label, format="YYYY-MM-DD HH:mm:ss")


def _table(frame, name: str, empty: str, config: dict, notice=st.info) -> None:
    """The tab's table, or what to do when it has no rows yet."""
    if frame.empty:
        notice(empty)
    else:
        tables.show(frame, hide_index=True, key=f"{KEY}:{name}", column_config=config)


names = ["Sync runs", "Scan runs", "Critical errors", "Sidecar heartbeats", "Track record"]
admin = actor.can(Permission.READ_ACTIVITY)  # the Activity tab is for admins only (and its service re-checks)
runs, scans, errors, beats, track, *activity = st.tabs(names + ["Activity"] if admin else names)
with runs:
    if not report.sync_runs.empty:
        left, right = st.columns(2)
        left.plotly_chart(charts.run_durations_figure(report.sync_runs), key=f"{KEY}:durations")
        right.plotly_chart(charts.contracts_per_run_figure(report.sync_runs), key=f"{KEY}:contracts")
    _table(
        report.sync_runs,
        "runs",
        "No sync has run yet: click **Sync All** on Scan Premiums, or run `python -m core demo`.",
        {
            "id": cc.NumberColumn("Run", format="%d"),
            "requested_by": "Asked by",
            "created_at": _when("Requested"),
            "started_at": _when("Started"),
            "finished_at": _when("Finished"),
            "duration_s": cc.NumberColumn("Seconds", format="%.1f"),
            "no_options": "No options",
            "contracts": cc.NumberColumn("Contracts", format="localized"),
            "quarantined": cc.TextColumn("Quarantined rows", help="Rows kept out of rankings, by reason."),
            "max_dte": cc.NumberColumn(
                "Window (days)", format="%d", help="Expiries asked for: within this many days; 0 means every expiry."
            ),
            "requests": cc.NumberColumn("Requests", format="localized", help="HTTP requests to the provider."),
            "retries": "Retries",
            "rate_limited": cc.NumberColumn("429s", help="Answers 'too many requests': every fetcher paused."),
            "megabytes": cc.NumberColumn("MB", format="%.1f"),
            "wait_s": cc.NumberColumn("Rate-limit wait (s)", format="%.0f", help="Summed over fetchers."),
            "network_s": cc.NumberColumn("Network (s)", format="%.0f", help="Summed over fetchers."),
        },
    )
with scans:
    _table(
        report.scan_runs,
        "scans",
        "No scanner has run yet (the Scanners page and the sidecar's schedules fill this in).",
        {
            "execution_s": cc.NumberColumn("Seconds", format="%.2f"),
            "started_at": _when("Started"),
            "completed_at": _when("Completed"),
        },
    )
with errors:
    _table(
        report.errors,
        "errors",
        "No critical errors recorded.",
        {
            "created_at": _when("When"),
            "resolved_at": _when("Resolved"),
            "message": cc.TextColumn("Message", width="large"),
        },
        notice=st.success,
    )
with beats:
    _table(
        report.heartbeats,
        "beats",
        "No heartbeat yet: the sidecar (`python -m core.sync`) writes one every few seconds while it runs.",
        {
            "check_timestamp": cc.DatetimeColumn("Last beat", format="distance"),
            "details": cc.TextColumn("Details", width="large"),
        },
    )
with track:
    render_track_record(eng, actor)
if activity:
    with activity[0]:
        render_activity(eng, actor)

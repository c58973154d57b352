"""The "Sync All" / "Sync this watchlist" button and its progress bar.

The button only inserts a request (core.sync.service.request_sync: a second click while the run is queued or
running returns that same run). The sidecar does the work and updates the run's counts after
each batch; a fragment re-reads that one row every POLL_SECONDS and redraws only itself, so the rest of the
page is not rerun while a sync is in progress. When the run ends, the fragment reruns the whole page once:
the data version has changed, so the cached tables are read again.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from core.auth import Actor, Permission, PermissionDenied
from core.operations.database import Engine
from core.operations.status import describe_age
from core.sync import service
from core.sync.service import RunProgress, SyncRequestError
from core.wording import plural
from ui.db import database_guard

POLL_SECONDS = 1.5
AGE_REFRESH_SECONDS = 30  # with no run open, the status line is redrawn this often so its age stays true


def _describe_eta(run: RunProgress) -> str:
    eta = run.eta
    return f", about {describe_age(eta)} left" if eta is not None else ""


def sync_button(eng: Engine, actor: Actor, *, key: str, watchlist: str | None = None, label: str = "Sync All") -> None:
    """The button (for roles that may sync); a click enqueues (or finds) the run and the progress bar follows it."""
    if not actor.can(Permission.SYNC):
        return
    if st.button(
        label,
        key=f"{key}:sync",
        icon=":material/sync:",
        help="Queue a refresh of the option chains; the sidecar (python -m core.sync) does the work.",
    ):
        try:
            with database_guard():
                run, created = service.request_sync(eng, actor, watchlist=watchlist)
        except (SyncRequestError, PermissionDenied) as exc:
            st.warning(str(exc))
            return
        st.session_state[f"{key}:run"] = run.run_id
        st.toast(
            f"Sync run {run.run_id} {'queued' if created else 'was already queued or running'}.", icon=":material/sync:"
        )


def sync_progress(eng: Engine, actor: Actor, *, key: str, watchlist: str | None = None) -> None:
    """A progress bar for this scope's queued or running sync; polls only while there is one."""
    with database_guard():
        active = service.active_sync(eng, actor, watchlist=watchlist)
    following = st.session_state.get(f"{key}:run")

    @st.fragment(run_every=POLL_SECONDS if active is not None or following else AGE_REFRESH_SECONDS)
    def poll() -> None:
        with database_guard():
            view = service.sync_view(eng, actor, run_id=st.session_state.get(f"{key}:run"), watchlist=watchlist)
        run, last = view.run, view.last
        if run is not None and not run.finished:
            st.session_state[f"{key}:run"] = run.run_id
            _render_running(run, view.sidecar_alive)
            return
        if run is not None and st.session_state.pop(f"{key}:run", None) is not None:
            st.rerun()  # the run just ended: refresh the whole page (its data version changed)
        if run is not None or last is not None:
            _render_finished(run or last)

    poll()


def _render_running(run: RunProgress, sidecar_alive: bool) -> None:
    if run.status == "queued":
        st.progress(0.0, text=f"Sync run {run.run_id} queued: {plural(run.total, 'symbol')} waiting for the sidecar")
        if not sidecar_alive:
            st.warning(
                "No sidecar has sent a heartbeat in the last two minutes, so nothing will pick this up: "
                "start it with `python -m core.sync` (`make run` starts it for you).",
                icon=":material/pause_circle:",
            )
        return
    st.progress(run.fraction, text=f"Syncing (run {run.run_id}): {run.summary()}{_describe_eta(run)}")


def ended(finished_at: dt.datetime | None) -> str:
    """ "at 01:58 UTC, 3 min ago": the clock time stays true however long the page sits, and the age is computed
    now, at each render (not when the run was read), so it grows."""
    if finished_at is None:
        return "at an unknown time"
    now = dt.datetime.now(dt.UTC)
    stamp = finished_at.astimezone(dt.UTC)
    clock = stamp.strftime("%H:%M UTC" if stamp.date() == now.date() else "%Y-%m-%d %H:%M UTC")
    return f"at {clock}, {describe_age(max(now - stamp, dt.timedelta(0)))} ago"


def _render_finished(run: RunProgress) -> None:
    took = f" (took {describe_age(run.elapsed)})" if run.elapsed is not None else ""
    text = f"Last sync (run {run.run_id}) {run.status} {ended(run.finished_at)}{took}: {run.summary()}"
    if run.status == "completed" and not run.failed:
        st.caption(f":material/check_circle: {text}")
    else:
        st.caption(f":material/error: {text}")

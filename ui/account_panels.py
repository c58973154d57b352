"""The Accounts page's parts that hold state of their own: the sync button and its progress, the status table,
and the Add / Edit / Delete / Import forms. Every call goes to core.accounts.service with the signed-in actor;
keys are typed into password fields and only ever shown masked.
"""

from __future__ import annotations

import dataclasses
import hashlib

import streamlit as st

from core.accounts import service
from core.accounts.errors import AccountError
from core.auth import Actor, AuthError, Permission
from core.operations.database import Engine
from core.wording import plural
from ui import tables
from ui.db import database_guard
from ui.progress import AGE_REFRESH_SECONDS, ended

POLL_SECONDS = 1.5
PRESETS = ("detect", "schwab", "fidelity", "generic")
STATUS = {"up": "up", "down": "DOWN", "disconnected": "failing"}  # failing: pings fail, not yet N in a row
DONE = "accounts.done"  # a message to show after the rerun that follows a change
ADD_GENERATION = "accounts.add.generation"  # moved on after each save (see add_form)


def price_note(shown: list[service.AccountView]) -> str:
    """Whether last prices are live. A user's feed (their active data account's) prices all their accounts, so an
    account is live-priced when some account of its owner has a live feed; the rest are as of their last sync."""
    live = [v for v in shown if v.feed_at]
    if not live:
        return "Prices are as of each account's last sync (no live feed is up for these accounts)."
    newest = max(live, key=lambda v: v.feed_at)
    note = f"Live prices from the WebSocket feed of {newest.name}, last written {newest.feed_at:%H:%M:%S} UTC."
    owners = {v.owner_id for v in live}
    if any(v.owner_id not in owners for v in shown):
        note += " Accounts of owners without a live feed show prices as of their last sync."
    return note


def attempt(action, done: str | None = None):
    """Run one service call; show its one-line refusal, or keep `done` for after the rerun and rerun."""
    try:
        with database_guard():
            result = action()
    except (AccountError, AuthError) as exc:
        st.error(str(exc), icon=":material/block:")
        return None
    if done is not None:
        st.session_state[DONE] = done(result) if callable(done) else done
        st.rerun()
    return result


def status_table(views: list[service.AccountView]) -> None:
    """One row per account: status, last ping and sync, last error, role in failover, masked key."""
    tables.show(
        [
            {
                "account": v.name,
                "owner": v.owner,
                "broker": v.broker,
                "status": _status(v),
                "role": "primary" if v.is_primary else (f"backup of {v.backup_of}" if v.backup_of else "—"),
                "last ping": v.last_ping,
                "last sync": v.last_sync,
                "last error": v.last_error or v.key_problem,
                "host": v.host or "CSV imports",
                "key": v.key or "—",
            }
            for v in views
        ],
        hide_index=True,
        width="stretch",
        key="accounts.status",
        column_config={
            "last ping": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss z"),
            "last sync": st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm:ss z"),
        },
    )


def _status(view: service.AccountView) -> str:
    if not view.host:
        text = "CSV imports"
    elif view.last_ping is None:
        text = "not pinged yet"
    else:
        text = STATUS.get(view.status, view.status)
    return text if view.is_active else f"{text} (inactive)"


def sync_controls(eng: Engine, actor: Actor, ids: list[int] | None, *, syncable: bool = True) -> None:
    """The Sync button (queues a run for the sidecar) and a progress line that polls while the run is open.

    `syncable` False (only CSV-import accounts shown) disables the button: there is nothing to fetch.
    """
    run_key = "accounts.sync.run"
    tip = "Queued for the sidecar" if syncable else "These accounts take CSV imports only: nothing to sync"
    if st.button("Sync now", icon=":material/sync:", key="accounts.sync", help=tip, disabled=not syncable):
        queued = attempt(lambda: service.request_account_sync(eng, actor, ids))
        if queued is not None:
            run, created = queued
            st.session_state[run_key] = run.run_id
            st.toast(f"Account sync {run.run_id} {'queued' if created else 'was already queued'}.")
    with database_guard():
        view = service.account_sync_view(eng, actor, ids, run_id=st.session_state.get(run_key))
    open_run = view.run is not None and not view.run.finished

    @st.fragment(run_every=POLL_SECONDS if open_run else AGE_REFRESH_SECONDS)
    def progress() -> None:
        with database_guard():
            now = service.account_sync_view(eng, actor, ids, run_id=st.session_state.get(run_key))
        run = now.run
        if run is not None and not run.finished:
            text = f"Sync run {run.run_id} {run.status}: {run.done}/{plural(run.total, 'account')}, {run.failed} failed"
            st.progress(run.fraction, text=text)
            if run.status == "queued" and not now.sidecar_alive:
                st.warning("No sidecar is running to pick this up: start it with `python -m core.sync`.")
            return
        if run is not None and st.session_state.pop(run_key, None) is not None:
            st.rerun()  # the run just ended: redraw the page with the new rows
        last = run or now.last
        if last is not None:
            icon = ":material/check_circle:" if last.status == "completed" and not last.failed else ":material/error:"
            st.caption(
                f"{icon} Last sync {last.status} {ended(last.finished_at)}: "
                f"{last.done}/{plural(last.total, 'account')}, {last.failed} failed"
            )

    progress()


def add_form(eng: Engine, actor: Actor, views: list[service.AccountView]) -> None:
    """Add an account; with a host, "Test connection" must succeed for the host and key typed before saving.

    The fields' keys carry a generation number, moved on after a save: new widgets start empty, so the key typed
    does not stay in the browser's form (deleting a widget's state does not clear what the browser shows).
    """
    form = f"accounts.add.{st.session_state.get(ADD_GENERATION, 0)}"
    left, right = st.columns(2)
    name = left.text_input("Account name", key=f"{form}.name")
    broker = right.text_input("Broker (blank: as OpenAlgo reports it)", key=f"{form}.broker")
    host = left.text_input("OpenAlgo host (blank: CSV imports only)", placeholder="http://127.0.0.1:5000",
                           key=f"{form}.host")  # fmt: skip
    ws_url = right.text_input("WebSocket feed (optional)", placeholder="ws://127.0.0.1:8765", key=f"{form}.ws")
    key = left.text_input("OpenAlgo API key", type="password", key=f"{form}.key", autocomplete="off")
    owner = actor.username
    if actor.can(Permission.MANAGE_ALL_ACCOUNTS):
        owner = right.text_input("Owner (username)", value=actor.username, key=f"{form}.owner")
    primaries = [v.name for v in views if v.owner == owner and v.backup_of is None]
    backup = right.selectbox("Backup of", ["(none)", *primaries], key=f"{form}.backup")
    typed = hashlib.sha256(f"{host.strip()}\0{key.strip()}".encode()).hexdigest()  # what was tested, not the key
    test, save = st.columns(2)
    if test.button("Test connection", key=f"{form}.test", disabled=not host.strip()):
        reply = attempt(lambda: service.check_connection(actor, host, key, ws_url=ws_url.strip() or None))
        if reply is not None:
            st.session_state[f"{form}.tested"] = (typed, reply)
    tested = st.session_state.get(f"{form}.tested")
    passed = tested is not None and tested[0] == typed
    if passed:
        st.success(f"Connected to OpenAlgo: broker {tested[1]}.", icon=":material/check_circle:")
    if save.button("Save account", type="primary", key=f"{form}.save", disabled=bool(host.strip()) and not passed,
                   help="Test the connection first" if host.strip() and not passed else None):  # fmt: skip
        view = attempt(
            lambda: service.create_account(
                eng, actor, name=name, broker=broker.strip() or (tested[1] if passed else "csv"), host=host.strip(),
                api_key=key.strip(), ws_url=ws_url.strip(), backup_of=None if backup == "(none)" else backup,
                owner=owner,
            )
        )  # fmt: skip
        if view is not None:
            st.session_state[ADD_GENERATION] = st.session_state.get(ADD_GENERATION, 0) + 1  # an empty form again
            st.session_state[DONE] = f"Added {view.name} for {view.owner}, key {view.key or 'none (CSV imports)'}."
            st.rerun()


def edit_form(eng: Engine, actor: Actor, view: service.AccountView) -> None:
    with st.form(f"accounts.edit.{view.id}"):
        left, right = st.columns(2)
        name = left.text_input("Account name", view.name)
        broker = right.text_input("Broker", view.broker)
        host = left.text_input("OpenAlgo host (blank: CSV imports only)", view.host or "")
        ws_url = right.text_input("WebSocket feed", view.ws_url or "")
        key = left.text_input(f"New API key (blank keeps {view.key or 'none'})", type="password", autocomplete="off")
        active = right.checkbox("Active (synced and pinged)", view.is_active)
        if st.form_submit_button("Save changes", type="primary"):
            changes = service.AccountChanges(name, broker, host or None, ws_url or None, active, key or None)
            attempt(lambda: service.change_account(eng, actor, view.id, changes), f"Saved {name}.")


def delete_section(eng: Engine, actor: Actor, view: service.AccountView) -> None:
    """Delete, after a confirmation that says what goes with the account."""
    confirm = "accounts.confirm_delete"
    if st.session_state.get(confirm) != view.id:
        if st.button(f"Delete {view.name}…", key="accounts.delete"):
            st.session_state[confirm] = view.id
            st.rerun()
        return
    gone = attempt(lambda: service.removal_preview(eng, actor, view.id))
    if gone is None:
        return
    unlinked = f" {', '.join(gone.backups_unlinked)} will no longer back it up." if gone.backups_unlinked else ""
    st.warning(
        f"Delete {gone.name} (owner {gone.owner})? Its {plural(gone.positions, 'position')}, "
        f"{plural(gone.holdings, 'holding')}, {plural(gone.orders, 'order')} and {plural(gone.trades, 'trade')}, "
        "its funds and its stored key go with it; failover history "
        f"is kept.{unlinked} This cannot be undone."
    )
    yes, no = st.columns(2)
    if no.button("Cancel", key="accounts.delete.cancel"):
        del st.session_state[confirm]
        st.rerun()
    if yes.button(f"Yes, delete {gone.name}", type="primary", key="accounts.delete.confirm"):
        del st.session_state[confirm]
        attempt(lambda: service.delete_account(eng, actor, view.id), f"Deleted {gone.name}.")


def import_section(eng: Engine, actor: Actor, view: service.AccountView) -> None:
    """Positions and holdings from a broker's CSV export: a preview first, then the import."""
    upload = st.file_uploader("Broker CSV export", type=["csv"], key=f"accounts.import.file.{view.id}")
    preset = st.selectbox("Layout", PRESETS, key="accounts.import.preset", help="docs/accounts.md lists the columns")
    if upload is None:
        return
    data, chosen = upload.getvalue(), None if preset == "detect" else preset
    preview = attempt(lambda: service.preview_upload(data, upload.name, preset=chosen))
    if preview is None:
        return
    st.caption(f"{preview.file}: {len(preview.rows)} rows read as {preview.preset}; {len(preview.skipped)} skipped.")
    tables.show([dataclasses.asdict(r) for r in preview.rows], hide_index=True, width="stretch")
    if preview.skipped:
        st.caption("Skipped: " + "; ".join(f"line {line}: {why}" for line, why in preview.skipped))
    if st.button(f"Import {len(preview.rows)} rows into {view.name}", type="primary", key="accounts.import.go"):
        attempt(
            lambda: service.import_upload(eng, actor, view.id, data, upload.name, preset=chosen),
            lambda r: f"Imported {r.positions} positions and {r.holdings} holdings into {r.account}.",
        )


def trades_import_section(eng: Engine, actor: Actor, view: service.AccountView) -> None:
    """Trades from a broker's transaction-history export: a preview (and what is new), then the import."""
    upload = st.file_uploader("Transaction history CSV", type=["csv"], key=f"accounts.trades.file.{view.id}")
    preset = st.selectbox("History layout", PRESETS, key="accounts.trades.preset", help="docs/accounts.md")
    if upload is None:
        return
    data, chosen = upload.getvalue(), None if preset == "detect" else preset
    preview = attempt(lambda: service.preview_trades_upload(eng, actor, view.id, data, upload.name, preset=chosen))
    if preview is None:
        return
    read = preview.preview
    st.caption(
        f"{read.file}: {plural(len(read.rows), 'trade')} read as {read.preset}, {preview.added} new, "
        f"{preview.already_stored} already stored; {plural(len(read.skipped), 'row')} skipped."
    )
    rows = [{k: v for k, v in dataclasses.asdict(r).items() if k not in ("key", "trade_id")} for r in read.rows]
    tables.show(rows, key="accounts.trades.preview")
    if read.skipped:
        st.caption("Skipped: " + "; ".join(f"line {line}: {why}" for line, why in read.skipped))
    if st.button(
        f"Import {plural(preview.added, 'new trade')} into {view.name}",
        type="primary",
        key="accounts.trades.go",
        disabled=not preview.added,
    ):
        attempt(
            lambda: service.import_trades_upload(eng, actor, view.id, data, upload.name, preset=chosen),
            lambda r: f"Imported {plural(r.added, 'trade')} into {r.account} ({r.already_stored} already there).",
        )

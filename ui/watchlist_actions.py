"""The Watchlists page's button callbacks: each is one call into core.watchlists.service (one unit of work).

They run before the page's widgets are drawn (Streamlit callbacks), so they may move the selected watchlist;
what they report is kept in session state as plain values and shown by `render_report`.
"""

from __future__ import annotations

import streamlit as st

from core.auth import Actor, PermissionDenied
from core.operations.database import Engine
from core.watchlists import service
from core.watchlists.service import AddResult, Parsed, WatchlistError
from core.wording import plural
from ui import tables

KEY = "watchlists"
state = st.session_state


def _k(name: str) -> str:
    return f"{KEY}:{name}"


def _report(kind: str, text: str, result: AddResult | None = None) -> None:
    state[_k("report")] = (kind, text, result)


def _run(action) -> None:
    try:
        action()
    except (WatchlistError, PermissionDenied) as exc:
        _report("warning", str(exc))


def create(eng: Engine, actor: Actor) -> None:
    def action():
        info = service.create(eng, actor, state.get(_k("new_name"), ""), state.get(_k("new_description")))
        state[_k("selected")] = info.name
        state[_k("new_name")] = ""
        _report("success", f"Created watchlist “{info.name}”. Add symbols below.")

    _run(action)


def rename(eng: Engine, actor: Actor, old: str, field: str) -> None:
    def action():
        info = service.rename(eng, actor, old, state.get(field, ""))
        state[_k("selected")] = info.name
        _report("success", f"Renamed “{old}” to “{info.name}”.")

    _run(action)


def set_window(eng: Engine, actor: Actor, name: str, field: str) -> None:
    def action():
        days = state.get(field)
        info = service.set_sync_window(eng, actor, name, None if days is None else int(days))
        said = "SYNC_MAX_DTE" if info.sync_max_dte is None else describe_days(info.sync_max_dte)
        _report("success", f"Syncs of “{name}” now ask for {said}.")

    _run(action)


def describe_days(max_dte: int) -> str:
    return "every listed expiry" if max_dte == 0 else f"expiries within {max_dte} days"


def delete(eng: Engine, actor: Actor, name: str) -> None:
    def action():
        gone = service.delete(eng, actor, name)
        state.pop(_k("selected"), None)
        state.pop(_k("confirm_delete"), None)
        _report(
            "success",
            f"Deleted watchlist “{name}” with {plural(gone.symbols, 'symbol')} "
            f"and {plural(gone.schedules, 'schedule')}.",
        )

    _run(action)


def _add(eng: Engine, actor: Actor, name: str, parsed: Parsed, source: str) -> None:
    def action():
        result = service.add(eng, actor, name, parsed)
        kind = "success" if result.added and not result.skipped else "warning" if result.skipped else "info"
        _report(
            kind,
            f"{source}: added {plural(len(result.added), 'symbol')} to “{name}”, skipped {len(result.skipped)}.",
            result,
        )

    _run(action)


def add_pasted(eng: Engine, actor: Actor, name: str) -> None:
    _add(eng, actor, name, service.parse_symbols(state.get(_k("paste"), "") or ""), "Pasted symbols")
    state[_k("paste")] = ""


def add_file(eng: Engine, actor: Actor, name: str) -> None:
    upload = state.get(_k("upload"))
    if upload is None:
        _report("warning", "Choose a CSV file first.")
        return
    try:
        parsed = service.parse_csv(upload.getvalue())
    except WatchlistError as exc:
        _report("warning", f"File {upload.name}: {exc}. Nothing was added.")
        return
    _add(eng, actor, name, parsed, f"File {upload.name}")


def remove(eng: Engine, actor: Actor, name: str) -> None:
    def action():
        removed = service.remove(eng, actor, name, state.get(_k("remove"), []))
        state[_k("remove")] = []
        _report("success", f"Removed {plural(removed, 'symbol')} from “{name}”.")

    _run(action)


def render_report() -> None:
    """Show (once) what the last action did, with every skipped entry and its reason."""
    report = state.pop(_k("report"), None)
    if report is None:
        return
    kind, text, result = report
    getattr(st, kind)(text)
    if result is not None and result.skipped:
        tables.show(
            {"entry": [s.entry for s in result.skipped], "reason": [s.reason for s in result.skipped]},
            hide_index=True,
            key=_k("skipped"),
        )

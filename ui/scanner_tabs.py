"""Parts of the Scanners page: a queued run's progress bar, the schedule form, deleting a scanner after a yes
that says what goes with it (its schedules, past runs and results), and how scanner text is shown.

Scanner text is hostile data (a shared scanner is someone else's code): its errors, printed output, metric names
and the reasons a run failed are shown with `plain` -- a fixed title of ours, then the text in a code block,
which Streamlit never reads as Markdown. Shown as Markdown, `[x](http://...)`, `**`, `:red[...]` or `$...$`
would become links, styling or formulas on the operator's screen. Where a line must mix our words with a
scanner's (a dry run's signal), the scanner's part goes through `escape_markdown`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

import streamlit as st

from core.auth import Actor
from core.operations.database import Engine
from core.scanner import service
from core.wording import plural


def run_progress(eng: Engine, actor: Actor, scanner_id: int, run_key: str) -> None:
    """A progress bar for this scanner's run (the one just queued, or its active one); polls while it runs."""
    ended_key = f"{run_key}.ended"  # the run whose end the whole page has been redrawn for
    active = st.session_state.get(run_key) or service.active_run(eng, actor, scanner_id)

    @st.fragment(run_every=None if active and st.session_state.get(ended_key) == active else 2)
    def show_progress(run_id: int) -> None:
        progress = service.scan_progress(eng, actor, run_id)
        if progress is None:
            return
        st.progress(
            progress.done / max(progress.total, 1),
            text=f"Run {run_id} {progress.status}: {progress.done}/{plural(progress.total, 'symbol')}, "
            f"{progress.failed} failed",
        )
        if progress.status == "queued":
            st.caption("Waiting for the sidecar (`python -m core.sync`) to pick the run up.")
        elif progress.status != "running" and st.session_state.get(ended_key) != run_id:
            st.session_state[ended_key] = run_id
            st.rerun()  # the run ended: redraw the page once so Results shows it (and stop polling)

    if active:
        show_progress(active)


def schedule_form(eng: Engine, actor: Actor, scanner_id: int, watchlists: list[service.Choice]) -> None:
    """The form that adds a schedule of this scanner over a watchlist; says what was scheduled or what is wrong."""
    with st.form("scanners.schedule"):
        target = st.selectbox("Watchlist", watchlists, format_func=lambda c: c.label)
        kind = st.selectbox("Repeat", service.SCHEDULE_TYPES, index=2)
        minutes = st.number_input("Every N minutes (interval)", min_value=1, value=30)
        at = st.time_input("At (exchange time, New York)", dt.time(9, 45))
        days = st.multiselect(
            "Days (weekly): 0 = Monday ... 6 = Sunday",
            list(range(7)),
            default=[0],
            format_func=lambda d: f"{d} = {service.DAY_NAMES[d]}",
        )
        market_only = st.checkbox("Only while the market is open", value=True)
        if st.form_submit_button("Add schedule"):
            try:
                text = service.add_schedule(
                    eng,
                    actor,
                    scanner_id,
                    target.id,
                    kind,
                    interval_minutes=int(minutes),
                    run_time=at,
                    days=days,
                    market_hours_only=market_only,
                )
                st.success(f"Scheduled: {text}.")
            except service.ScheduleError as exc:
                st.error(str(exc))


CONFIRM = "scanners.confirm_delete"  # the scanner whose deletion waits for a yes


def delete_with_confirmation(eng: Engine, actor: Actor, scanner: service.ScannerRow) -> None:
    """ "Delete scanner…", then what goes with it and "Yes, delete" / "Cancel"; only the yes deletes."""
    if st.session_state.get(CONFIRM) != scanner.id:
        if st.button("Delete scanner…", key="scanners.delete"):
            st.session_state[CONFIRM] = scanner.id
            st.rerun()
        return
    impact = service.deletion_impact(eng, actor, scanner.id)
    if impact is None:  # deleted meanwhile (another tab or user)
        st.session_state.pop(CONFIRM, None)
        return
    st.warning(f"Delete “{escape_markdown(impact.name)}”? {impact.describe()}. This cannot be undone.")
    if st.button(f"Yes, delete “{impact.name}”", key="scanners.delete_confirm", type="primary"):
        st.session_state.pop(CONFIRM, None)
        service.delete_scanner(eng, actor, scanner.id)
        st.session_state.pop("scanners.choice", None)
        st.rerun()
    if st.button("Cancel", key="scanners.delete_cancel"):
        st.session_state.pop(CONFIRM, None)
        st.rerun()


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~:$^=])")


def escape_markdown(text: str) -> str:
    """`text` with every character Markdown (or Streamlit's `:color[]`, `:emoji:`, `$math$`) reads escaped."""
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))


def plain(title: str, text: str, notice: Callable[[str], object] = st.error) -> None:
    """Our `title` as a notice, then scanner-provided `text` as plain text (see the module docstring)."""
    notice(title)
    st.code(text, language=None, wrap_lines=True)


def dry_run_result(dry: service.DryRun) -> None:
    """What one dry run found: its signal or error, its metrics, its variables and inputs, what it printed."""
    symbol = escape_markdown(dry.symbol)
    if dry.error:
        plain(f"The dry run of {symbol} failed:", dry.error)
    elif dry.signal:
        st.success(f"{symbol}: {escape_markdown(dry.signal)}")
        st.json(dry.metrics)
    else:
        st.info(f"{symbol}: no signal")
    left, right = st.columns(2)
    left.markdown("**Your variables**")
    left.json(dry.variables)
    right.markdown("**Inputs**")
    right.json(dry.inputs)
    if dry.printed:
        st.code(dry.printed, language=None)

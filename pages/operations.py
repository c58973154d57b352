"""Operations (admins): market calendars (closures added by hand, refill) and retention (policy, run housekeeping).

Calendars come from core.calendars.service, retention from core.operations.service; both re-check the role.
Housekeeping itself runs in the sidecar: "Run housekeeping now" only asks it to.
"""

import datetime as dt

import streamlit as st

from core.auth import AuthError, Permission
from core.calendars.service import CalendarError, add_closure, calendar_view, refill_calendar, remove_closure
from core.operations.service import RetentionError, request_housekeeping, retention_view, set_retention
from ui import tables
from ui.auth import require_page
from ui.db import engine

CONFIRM = "operations.confirm_remove"  # (exchange, date) whose removal waits for a yes
DONE = "operations.done"

actor = require_page(Permission.MANAGE_CALENDARS)
st.title("Operations")
if DONE in st.session_state:
    st.success(st.session_state.pop(DONE), icon=":material/check_circle:")


def attempt(action, done) -> None:
    """Run one change; on success say so (`done` may read the result) and redraw, on refusal show the reason."""
    try:
        result = action()
    except (CalendarError, RetentionError, AuthError) as exc:
        st.error(str(exc), icon=":material/block:")
        return
    st.session_state[DONE] = done(result) if callable(done) else done
    st.rerun()


calendars_tab, retention_tab = st.tabs(["Calendars", "Retention"])

with calendars_tab:
    view = calendar_view(engine(), actor)
    codes = [e.code for e in view.exchanges]
    if not codes:
        st.info("No market calendars yet: the sidecar fills them when it first starts.", icon=":material/info:")
    tables.show(
        [
            {
                "exchange": e.code,
                "name": e.name,
                "time zone": e.timezone,
                "regular hours": e.hours,
                "days on file to": e.holidays_to,
                "added by hand": e.hand_added,
            }
            for e in view.exchanges
        ],
        hide_index=True,
        width="stretch",
    )
    st.subheader("Holidays and early closes ahead")
    tables.show(view.upcoming, hide_index=True, width="stretch", key="operations.upcoming")

    if codes:
        st.subheader("Close a market")
        st.caption(
            "For a closure exchange_calendars does not know (a national day of mourning, a storm). A refill keeps "
            "it; it wins over the library for its date until you remove it."
        )
        with st.form("operations.add", clear_on_submit=False):
            code = st.selectbox("Exchange", codes, key="operations.add.exchange")
            day = st.date_input("Date", value=view.today + dt.timedelta(days=1), key="operations.add.date")
            reason = st.text_input("Reason", key="operations.add.reason", max_chars=200)
            early = st.checkbox("Only an early close", key="operations.add.early")
            closes = st.time_input("Closes at (exchange time)", value=dt.time(13, 0), key="operations.add.time")
            if st.form_submit_button("Add closure", type="primary"):
                attempt(
                    lambda: add_closure(engine(), actor, code, day, reason, closes if early else None),
                    lambda added: f"Added: {added.describe()}",
                )

        by_hand = view.upcoming[view.upcoming["source"] == "added by hand"]
        choices = {
            f"{r.exchange} {r.date} · {r.kind} · {r.description}": (r.exchange, r.date) for r in by_hand.itertuples()
        }
        if choices:
            st.subheader("Remove a closure added by hand")
            chosen = choices[st.selectbox("Added by hand", list(choices), key="operations.remove.day")]
            if st.session_state.get(CONFIRM) != chosen:
                if st.button("Remove closure…", key="operations.remove"):
                    st.session_state[CONFIRM] = chosen
                    st.rerun()
            else:
                st.warning(f"Remove the closure of {chosen[0]} on {chosen[1]}? Its regular hours apply again.")
                yes, no = st.columns(2)
                if no.button("Cancel", key="operations.remove.cancel"):
                    del st.session_state[CONFIRM]
                    st.rerun()
                if yes.button("Yes, remove it", key="operations.remove.confirm", type="primary"):
                    del st.session_state[CONFIRM]
                    attempt(
                        lambda: remove_closure(engine(), actor, *chosen),
                        lambda removed: f"Removed the closure of {removed.exchange_code} on {removed.date}.",
                    )

        st.subheader("Refill from exchange_calendars")
        st.caption(
            "Rewrites the weekly hours and this year's and next year's holidays from the installed "
            "exchange_calendars; closures added by hand are kept."
        )
        refill_code = st.selectbox("Exchange to refill", codes, key="operations.refill.exchange")
        if st.button("Refill now", key="operations.refill"):
            attempt(
                lambda: refill_calendar(engine(), actor, refill_code),
                lambda report: (
                    f"Refilled {report.exchange_code}: "
                    + ", ".join(f"{year}: {n} days" for year, n in report.holidays_added.items())
                    + "".join(f"; {year} skipped ({why})" for year, why in report.years_skipped.items())
                ),
            )

with retention_tab:
    policy = retention_view(engine(), actor)
    st.caption(
        "How many days housekeeping keeps each kind of row. Defaults come from the RETENTION_* settings; what you "
        "save here overrides them, and the sidecar uses it at its next housekeeping."
    )
    if policy.overrides:
        st.caption(
            "Overridden here: "
            + ", ".join(f"{policy.labels[k]} {v} (default {policy.defaults[k]})" for k, v in policy.overrides.items())
        )
    with st.form("operations.retention"):
        values = {}
        for name, label in policy.labels.items():
            least, most = policy.bounds[name]
            values[name] = st.number_input(
                f"{label.capitalize()} (days)",
                min_value=least,
                max_value=most,
                value=policy.effective[name],
                step=1,
                key=f"operations.retention.{name}",
                help=f"default {policy.defaults[name]}" + (" · overridden" if name in policy.overrides else ""),
            )
        if st.form_submit_button("Save retention", type="primary"):
            attempt(lambda: set_retention(engine(), actor, {k: int(v) for k, v in values.items()}), "Retention saved.")
    if policy.overrides and st.button("Back to the defaults", key="operations.retention.defaults"):
        attempt(lambda: set_retention(engine(), actor, policy.defaults), "Retention is back to the defaults.")

    st.subheader("Housekeeping")
    if policy.requested_at:
        st.info(
            f"Asked at {policy.requested_at:%Y-%m-%d %H:%M} UTC; the sidecar has not run it yet.",
            icon=":material/hourglass_top:",
        )
    if st.button("Run housekeeping now", key="operations.housekeep"):
        attempt(
            lambda: request_housekeeping(engine(), actor),
            "Housekeeping asked for: the running sidecar starts it within a minute.",
        )
    last = policy.last_run
    if last is None:
        st.caption("No housekeeping has run since this was recorded.")
    else:
        used = ", ".join(f"{policy.labels[k]} {v}" for k, v in last.retention.items() if k in policy.labels)
        st.caption(f"Last run {last.at:%Y-%m-%d %H:%M} UTC, keeping days of {used}:")
        tables.show(
            [{"table": table, "rows removed": rows} for table, rows in last.removed.items()],
            hide_index=True,
            key="operations.last_run",
        )

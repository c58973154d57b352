"""Strategy Lab: strategy configs (a saved screen plus rules), test runs over past daily history with progress,
the equity curve against buy and hold, the trades, and two runs compared (docs/lab.md). Traders and admins."""

import datetime as dt

import streamlit as st

from core.auth import Permission
from core.lab import service
from ui import lab_panels as panels
from ui import tables
from ui.auth import require_page
from ui.db import database_guard, engine

actor = require_page(Permission.MANAGE_SAVED_SCREENS)
st.title("Strategy Lab")
st.caption(
    "Premiums are modelled with Black-Scholes from each day's close unless a stored snapshot of the screen exists "
    "for that day; trades say which. docs/lab.md says what is measured and what is modelled."
)
eng = engine()
with database_guard():
    configs = {c.name: c for c in service.list_configs(eng, actor)}
    screens = service.screen_names(eng, actor)


@st.fragment(run_every=2.0)
def show_run(run_id: str, name: str) -> None:
    """The run's progress while the sidecar works it (refreshed every 2 s), then its results."""
    with database_guard():
        run = service.get_run(eng, actor, run_id)
        progress = service.progress(eng, actor, run)
    if run.status in ("queued", "running"):
        loaded = f"{progress.done} of {progress.total}" if progress else "0"
        st.progress(progress.fraction if progress else 0.0, text=f"{run.status}: history of {loaded} symbols loaded")
        if st.button("Cancel run", key="lab.run.cancel"):
            with database_guard():
                service.cancel_run(eng, actor, run.id)
    elif run.status == "cancelled":
        st.warning(run.results.get("message", "cancelled"))
    else:
        panels.figures(run.results)
        st.plotly_chart(panels.equity_figure({name: run.results}), key="lab.run.equity")
        panels.trades_table(run.results, "lab.run.trades")
        if service.assistant_available():  # no endpoint configured: no box
            ask_box(name, run.id)


def ask_box(name: str, run_id: str) -> None:
    """Ask about this strategy: the config and this run's results go to the configured assistant."""
    with st.expander("Ask about this strategy"):
        question = st.text_area("Question", key="lab.ask.question")
        if st.button("Ask", key="lab.ask.go"):
            with database_guard(), st.spinner("Asking"):
                try:
                    service.ask_assistant(eng, actor, name, question, run_id)
                except service.AssistantError as exc:
                    st.error(str(exc))
        for asked, answer in reversed(service.conversations(eng, actor, name)):
            st.markdown(f"**{asked}**")
            st.text(answer)  # the model's text, shown as plain text


configs_tab, run_tab, compare_tab = st.tabs(["Configs", "Run a test", "Compare runs"])

with configs_tab:
    with st.expander("New config from a saved screen", expanded=not configs):
        if not screens:
            st.info("Save a screen on Scan Premiums first: a config is a saved screen plus rules.")
        else:
            screen = st.selectbox("Saved screen", screens, key="lab.new.screen")
            name = st.text_input("Name", key="lab.new.name")
            values = panels.rules_form("lab.new")
            if st.button("Create config", key="lab.new.create", type="primary"):
                with database_guard(), st.spinner("Saving"):
                    try:
                        made = service.create_config(eng, actor, name, service.Rules(**values), screen=screen)
                    except (service.ConfigError, service.InvalidRules) as exc:
                        st.error(str(exc))
                    else:
                        st.success(f"Config {made.name!r} created.")
                        st.rerun()
    if configs:
        chosen = configs[st.selectbox("Config", list(configs), key="lab.edit.config")]
        st.write(f"Screen: {chosen.screen or 'filters only'} · {chosen.filters.strategy} · DTE "
                 f"{chosen.filters.dte[0]}-{chosen.filters.dte[1]}")  # fmt: skip
        active = st.toggle("Active", value=chosen.active, key=f"lab.edit.active.{chosen.id}")
        values = panels.rules_form(f"lab.edit.{chosen.id}", chosen.rules)
        if st.button("Save changes", key="lab.edit.save"):
            with database_guard():
                try:
                    service.update_config(eng, actor, chosen.name, rules=service.Rules(**values), active=active)
                except service.InvalidRules as exc:
                    st.error(str(exc))
                else:
                    st.success("Saved.")

with run_tab:
    if not configs:
        st.info("Create a config first.")
    else:
        name = st.selectbox("Config to test", list(configs), key="lab.run.config")
        left, right = st.columns(2)
        today = dt.date.today()
        start = left.date_input("From", today - dt.timedelta(days=365), key="lab.run.start")
        end = right.date_input("To", today - dt.timedelta(days=1), key="lab.run.end")
        if st.button("Run test", key="lab.run.go", type="primary"):
            with database_guard():
                try:
                    st.session_state["lab.run.id"] = service.start_run(eng, actor, name, start, end).id
                except (service.RunRequestError, service.ConfigError) as exc:
                    st.error(str(exc))
        if st.session_state.get("lab.run.id"):
            show_run(st.session_state["lab.run.id"], name)

with compare_tab:
    with database_guard():
        finished = [r for r in service.list_runs(eng, actor) if r.status == "completed"]
    labels = {f"{r.config} {r.parameters.get('start')}..{r.parameters.get('end')} ({r.id[:8]})": r for r in finished}
    picked = st.multiselect("Runs", list(labels), default=list(labels)[:2], max_selections=2, key="lab.compare")
    if not picked:
        st.info("No completed test runs yet.")
    else:
        runs = {label: labels[label].results for label in picked}
        tables.show(panels.comparison(runs), key="lab.compare.table")
        st.plotly_chart(panels.equity_figure(runs), key="lab.compare.equity")

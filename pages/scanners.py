"""Scanners: write, validate, dry-run, run on a watchlist, see results and schedule FluxScan-style scanners."""

import uuid

import streamlit as st

from core.auth import Permission
from core.scanner import service
from core.wording import plural
from ui import scanner_tabs, tables
from ui.auth import require_page
from ui.code_input import code_input
from ui.db import database_guard, engine

actor = require_page(Permission.MANAGE_SCANNERS)  # before anything else: who may open this page
NEW = "+ New scanner from a template"

st.title("Scanners")
with database_guard():
    eng = engine()
page = service.scanners_page(eng, actor)
if page.error:
    st.error(f"The database is not ready: {page.error}")
    st.stop()
st.caption(f"Sandbox: {page.sandbox}. User code never runs in the dashboard: it runs in sandboxed worker processes.")

by_name = {s.name: s for s in page.scanners}
with st.expander(f"All scanners ({len(by_name)})"):
    tables.show(
        [{"name": s.name, "category": s.category, "description": s.description} for s in page.scanners],
        hide_index=True,
        width="stretch",
    )
if "scanners.created" in st.session_state:  # select a scanner just made (before the selectbox exists)
    st.session_state["scanners.choice"] = st.session_state.pop("scanners.created")
choice = st.selectbox("Scanner", [*by_name, NEW], key="scanners.choice")
if choice == NEW:
    if not page.templates:
        st.info("There are no scanner templates yet.")
        if st.button("Add the built-in templates", key="scanners.seed"):
            service.seed_templates(eng, actor)
            st.rerun()
        st.stop()
    template = st.selectbox("Template", page.templates, format_func=lambda c: c.label, key="scanners.template")
    name = st.text_input("Name (default: the template's)", key="scanners.new_name")
    if st.button("Create scanner", type="primary", key="scanners.create"):
        st.session_state["scanners.created"] = service.create_from_template(eng, actor, template.id, name or None)
        st.rerun()
    st.stop()

scanner = by_name[choice]
code_tab, dry_tab, run_tab, results_tab, schedule_tab = st.tabs(["Code", "Dry run", "Run", "Results", "Schedule"])

with code_tab:
    if scanner.draft:
        st.warning(
            "**Draft:** this scanner was saved with validation problems, so it is never run or scheduled, "
            "by hand or by its schedules, until its code passes validation and is saved again."
        )
    code = code_input("Code", scanner.code, key=f"scanners.code.{scanner.id}")
    parameters = st.text_area(
        "Parameters (JSON: name -> default, or {default, type, min, max})",
        scanner.parameters,
        height=140,
        key=f"scanners.params.{scanner.id}",
    )
    validate_col, save_col, delete_col = st.columns(3)
    if validate_col.button("Validate", key="scanners.validate"):
        issues = service.validate(code)
        if issues:
            lines = "\n".join(f"Line {i.line}, column {i.column}: {i.message}" for i in issues)
            scanner_tabs.plain(f"{plural(len(issues), 'validation problem')}:", lines)
        else:
            st.success("The code passes validation.")
    if save_col.button("Save", type="primary", key="scanners.save"):
        saved = service.save_scanner(eng, actor, scanner.id, scanner.name, code, parameters)
        if saved.error:
            scanner_tabs.plain("Not saved:", saved.error)
        else:
            if saved.issues:
                problems = plural(len(saved.issues), "validation problem")
                st.warning(f"Saved as a draft, with {problems}: it is not run or scheduled until they are fixed.")
            else:
                st.success("Saved.")
    with delete_col:
        scanner_tabs.delete_with_confirmation(eng, actor, scanner)
    with st.expander("Highlighted source"):
        st.code(code, language="python", line_numbers=True)

with dry_tab:
    st.caption("Runs the code above on one symbol in the sandbox, with its cached daily bars.")
    symbol = st.text_input("Symbol", "AAPL", key="scanners.dry_symbol")
    values = st.text_input("Parameter values (JSON, optional)", "", key="scanners.dry_values")
    if st.button("Dry run", key="scanners.dry"):
        with st.spinner("Running in the sandbox..."):
            caller = st.session_state.setdefault("scanners.caller", uuid.uuid4().hex)  # one dry run per session
            dry = service.dry_run(eng, actor, code, symbol, parameters, values, caller=caller)
        scanner_tabs.dry_run_result(dry)

with run_tab:
    run_key = f"scanners.run.{scanner.id}"
    if not page.watchlists:
        st.info("There are no watchlists to scan yet.")
    else:
        watchlist = st.selectbox("Watchlist", page.watchlists, format_func=lambda c: c.label, key="scanners.wl")
        as_of = st.date_input(
            "As of (the bars end on this day; empty: today)",
            value=None,
            max_value=page.today,
            key="scanners.as_of",
            help="Scan a past day, e.g. a folder of recorded prices that ends in the past.",
        )
        if scanner.draft:
            st.caption("This scanner is a draft (saved with validation problems): it cannot run until they are fixed.")
        if st.button("Run on watchlist", type="primary", key="scanners.run"):
            try:
                run_id, created = service.start_scan(eng, actor, scanner.id, watchlist.id, as_of=as_of)
            except service.ScanRequestError as exc:  # a draft: saved with validation problems
                scanner_tabs.plain("Not queued:", str(exc))
            else:
                st.session_state[run_key] = run_id
                st.caption(f"Run {run_id} queued." if created else f"Run {run_id} was already queued or running.")

    scanner_tabs.run_progress(eng, actor, scanner.id, run_key)

with results_tab:
    results = service.latest_results(eng, actor, scanner.id, run_id=st.session_state.get(run_key))
    st.caption(results.summary)
    if results.errors:
        scanner_tabs.plain("Errors in this run:", results.errors, notice=st.warning)
    tables.show(results.frame, hide_index=True, width="stretch")
    st.download_button(
        "Export CSV",
        service.results_csv(results.frame),
        file_name=f"{scanner.name}-results.csv",
        mime="text/csv",
        key="scanners.csv",
        disabled=results.frame.empty,
    )

with schedule_tab:
    tables.show(service.schedule_table(eng, actor, scanner.id), hide_index=True, width="stretch")
    if page.watchlists:
        scanner_tabs.schedule_form(eng, actor, scanner.id, page.watchlists)

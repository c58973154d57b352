"""The Strategy Lab page in AppTest on both databases: a config created from a saved screen, a finished run's
figures, equity curve and trades, two runs compared, a cancelled run saying so; a viewer cannot open it."""

from __future__ import annotations

import datetime as dt

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.auth import LOCAL_OPERATOR
from core.config import get_settings
from core.db.engine import unit_of_work
from core.lab import service
from core.premiums.filters import PremiumFilters
from core.premiums.saved_screens import save_screen
from tests.conftest import REPO_ROOT
from tests.pages.conftest import no_exception, signed_in, texts

PAGE = "pages/lab.py"
SYMBOLS = ["AAPL", "MSFT", "KO", "SPY"]


@pytest.fixture
def open_lab(monkeypatch, committed_engine, db_url):
    with unit_of_work(committed_engine, write=True) as session:
        save_screen(session, "Puts 30", PremiumFilters(dte=(20, 40)))

    def open_as(role: str = "trader", **state) -> AppTest:
        monkeypatch.setenv("DATABASE_URL", db_url)
        get_settings.cache_clear()
        st.cache_data.clear()
        app = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=60)
        app = signed_in(app, db_url, role)
        for key, value in state.items():
            app.session_state[key] = value
        return app.run()

    yield open_as
    get_settings.cache_clear()


def _finished_run(engine, name: str, take_profit: float | None = None) -> service.TestRun:
    service.create_config(engine, LOCAL_OPERATOR, name, service.Rules(per_day=2, take_profit=take_profit),
                          screen="Puts 30")  # fmt: skip
    run = service.start_run(engine, LOCAL_OPERATOR, name, dt.date(2025, 3, 3), dt.date(2025, 5, 30), symbols=SYMBOLS)
    return service.work_inline(engine, LOCAL_OPERATOR, run)


def test_create_a_config_from_a_saved_screen(open_lab, committed_engine):
    app = open_lab()
    no_exception(app)
    assert "Strategy Lab" in texts(app.title)
    app.text_input(key="lab.new.name").input("Careful puts")
    app.button(key="lab.new.create").click().run()
    no_exception(app)
    configs = service.list_configs(committed_engine, LOCAL_OPERATOR)
    assert [(c.name, c.screen, c.filters.dte) for c in configs] == [("Careful puts", "Puts 30", (20, 40))]
    app.text_input(key="lab.new.name").input("careful PUTS")
    app.button(key="lab.new.create").click().run()
    assert "already exists" in texts(app.error)


def test_a_finished_run_shows_figures_curve_and_trades(open_lab, committed_engine):
    run = _finished_run(committed_engine, "Hold")
    app = open_lab(**{"lab.run.id": run.id})
    no_exception(app)
    trades = next(f.value for f in app.dataframe if "pnl" in f.value.columns)
    assert len(trades) == len(run.results["trades"])
    assert trades["pnl"].sum() == pytest.approx(sum(t["pnl"] for t in run.results["trades"]))
    shown = {m.label: m.value for m in app.metric}
    assert shown["Total return %"] == f"{run.results['summary']['total_return_pct']:.2f}"
    assert app.get("plotly_chart")


def test_two_runs_compared_and_a_cancelled_run_says_so(open_lab, committed_engine):
    first, second = _finished_run(committed_engine, "Hold"), _finished_run(committed_engine, "Take half", 50.0)
    app = open_lab()
    table = next(f.value for f in app.dataframe if "Win rate %" in f.value.columns)
    assert len(table) == 3 and "buy and hold" in table.index
    wins = {first.results["summary"]["win_rate_pct"], second.results["summary"]["win_rate_pct"]}
    assert set(table["Win rate %"].iloc[:2]) == wins

    queued = service.start_run(committed_engine, LOCAL_OPERATOR, "Hold", dt.date(2025, 3, 3), dt.date(2025, 5, 30),
                               symbols=SYMBOLS)  # fmt: skip
    service.cancel_run(committed_engine, LOCAL_OPERATOR, queued.id)
    service.work_inline(committed_engine, LOCAL_OPERATOR, queued)  # the worker finds it cancelled
    app = open_lab(**{"lab.run.id": queued.id})
    no_exception(app)
    assert "cancelled before it started" in texts(app.warning)


def test_a_viewer_cannot_open_it(open_lab):
    viewer = open_lab("viewer")
    assert "Strategy Lab" not in texts(viewer.title) and not viewer.dataframe


def test_the_assistant_box_answers_when_an_endpoint_is_configured(open_lab, committed_engine, monkeypatch):
    from tests.servers.chat import ANSWER, Endpoint

    run = _finished_run(committed_engine, "Hold")
    assert "Ask about this strategy" not in [e.label for e in open_lab(**{"lab.run.id": run.id}).expander]
    served = Endpoint()
    try:
        monkeypatch.setenv("LLM_BASE_URL", served.url)
        monkeypatch.setenv("LLM_MODEL", "tiny")
        app = open_lab(**{"lab.run.id": run.id})
        app.text_area(key="lab.ask.question").input("Why so many assignments?")
        app.button(key="lab.ask.go").click().run()
        no_exception(app)
        assert ANSWER in texts(app.text) and len(served.requests) == 1
    finally:
        served.close()


def test_edit_a_configs_rules_and_deactivate_it(open_lab, committed_engine):
    service.create_config(committed_engine, LOCAL_OPERATOR, "Editable", service.Rules(), screen="Puts 30")
    app = open_lab()
    config = service.get_config(committed_engine, LOCAL_OPERATOR, "Editable")
    app.toggle(key=f"lab.edit.active.{config.id}").set_value(False)
    app.number_input(key=f"lab.edit.{config.id}.per_day").set_value(4)
    app.radio(key=f"lab.edit.{config.id}.on_assignment").set_value("sell")
    app.button(key="lab.edit.save").click().run()
    no_exception(app)
    edited = service.get_config(committed_engine, LOCAL_OPERATOR, "Editable")
    assert not edited.active and edited.rules.per_day == 4 and edited.rules.on_assignment == "sell"
    assert "Saved." in texts(app.success)

"""The Scanners page in AppTest: an empty database, templates, creating a scanner, validation at its lines."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from streamlit.testing.v1 import AppTest

from core.config import get_settings
from core.db.engine import unit_of_work
from core.db.models import JobRun, Scanner
from core.scanner.templates import TEMPLATES, seed_templates
from tests import factories
from tests.conftest import REPO_ROOT
from tests.pages.conftest import signed_in
from ui.code_input import PLAIN

pytestmark = pytest.mark.slow  # every test here starts the sandbox


@pytest.fixture
def page(monkeypatch):
    def open_with(url: str, plain: bool = True) -> AppTest:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        app = signed_in(AppTest.from_file(str(REPO_ROOT / "pages" / "scanners.py"), default_timeout=30), url)
        app.session_state[PLAIN] = plain  # AppTest cannot type into the code editor component
        return app.run()

    yield open_with
    get_settings.cache_clear()


def test_renders_with_an_empty_database(page, db_url, committed_engine):
    app = page(db_url)
    assert not app.exception
    assert app.title[0].value == "Scanners"
    assert any("Sandbox:" in c.value for c in app.caption)
    assert app.info[0].value == "There are no scanner templates yet."
    app.button(key="scanners.seed").click().run()
    assert not app.exception
    assert len(app.selectbox(key="scanners.template").options) == len(TEMPLATES)


def test_create_from_a_template_and_see_its_tabs(page, db_url, committed_engine):
    with unit_of_work(committed_engine, write=True) as session:
        seed_templates(session)
    app = page(db_url)
    template = app.selectbox(key="scanners.template")
    template.select(next(o for o in template.options if o.startswith("RSI Oversold"))).run()
    app.button(key="scanners.create").click().run()
    assert not app.exception
    assert app.selectbox(key="scanners.choice").value == "RSI Oversold"
    assert [t.label for t in app.tabs] == ["Code", "Dry run", "Run", "Results", "Schedule"]
    assert "RSI(close" in app.text_area[0].value
    assert any("no runs yet" in c.value for c in app.caption)


def test_validate_shows_errors_at_their_lines(page, db_url, committed_engine):
    with unit_of_work(committed_engine, write=True) as session:
        scanner = factories.scanner(session, name="Mine", code="signal = close[-1] > close[-2]")
        scanner_id = scanner.id
    app = page(db_url)
    app.selectbox(key="scanners.choice").select("Mine").run()
    app.text_area(key=f"scanners.code.{scanner_id}").input("x = 1\nimport os\ny = df.__class__\n").run()
    app.button(key="scanners.validate").click().run()
    assert not app.exception
    assert [e.value for e in app.error] == ["2 validation problems:"]
    assert app.code[0].value.splitlines() == [  # scanner text: shown as text, never as Markdown
        "Line 2, column 1: import of 'os' is not allowed (only datetime, math, numpy, pandas, statistics, talib)",
        "Line 3, column 8: dunder attribute '.__class__' is not allowed",
    ]
    app.text_area(key=f"scanners.code.{scanner_id}").input("signal = True\n").run()
    app.button(key="scanners.validate").click().run()
    assert app.success[0].value == "The code passes validation."


def test_dry_run_queue_a_run_and_schedule(page, db_url, committed_engine, monkeypatch):
    from core.scanner.sandbox import sandbox_status

    monkeypatch.setenv("MARKET_DATA_PROVIDER", "synthetic")
    with unit_of_work(committed_engine, write=True) as session:
        factories.scanner(session, name="Mine", code="rsi = RSI(close, 14)\nsignal = True\nmetrics = {'rsi': rsi[-1]}")
        factories.watchlist(session, name="Tech", symbols=["AAPL", "MSFT"])
    app = page(db_url)
    app.selectbox(key="scanners.choice").select("Mine").run()
    if sandbox_status().usable:
        app.button(key="scanners.dry").click().run()
        assert not app.exception
        assert app.success[0].value == "AAPL: BUY"
    app.button(key="scanners.run").click().run()
    assert not app.exception
    assert any("queued" in c.value for c in app.caption)
    app.button[-1].click().run()  # the schedule form's submit: daily at 09:45 by default
    assert not app.exception
    assert app.success[-1].value == "Scheduled: daily at 09:45 (market hours only)."


def test_delete_asks_first_and_says_what_goes_with_it(page, db_url, committed_engine):
    from sqlalchemy import select

    from core.db.models import ActivityLog, Scanner

    with unit_of_work(committed_engine, write=True) as session:
        mine = factories.scanner(session, name="Mine")
        tech = factories.watchlist(session, name="Tech", symbols=["AAPL"])
        factories.scan_history(session, mine, tech)
        factories.scan_history(session, mine, tech)

    def names() -> list[str]:
        with unit_of_work(committed_engine) as session:
            return list(session.scalars(select(Scanner.name)))

    app = page(db_url)
    app.selectbox(key="scanners.choice").select("Mine").run()
    app.button(key="scanners.delete").click().run()  # the first click only asks
    assert not app.exception
    assert names() == ["Mine"]
    assert app.warning[0].value == (
        "Delete “Mine”? Its 0 schedules, 2 past runs and 0 results go with it. This cannot be undone."
    )
    app.button(key="scanners.delete_cancel").click().run()
    assert names() == ["Mine"] and not app.warning

    app.button(key="scanners.delete").click().run()
    app.button(key="scanners.delete_confirm").click().run()
    assert not app.exception
    assert names() == []
    assert app.selectbox(key="scanners.choice").value != "Mine"
    with unit_of_work(committed_engine) as session:
        logged = session.execute(select(ActivityLog.username, ActivityLog.action, ActivityLog.target)).one()
    assert logged.username.startswith("test-admin-") and logged[1:] == ("scanner_delete", "scanner:Mine")


def test_a_scanner_saved_with_problems_is_a_draft_that_is_not_queued(page, db_url, committed_engine):
    with unit_of_work(committed_engine, write=True) as session:
        scanner_id = factories.scanner(session, name="Mine", code="signal = True").id
        factories.watchlist(session, name="Tech", symbols=["AAPL"])
    app = page(db_url)
    app.selectbox(key="scanners.choice").select("Mine").run()
    app.text_area(key=f"scanners.code.{scanner_id}").input("import os\nsignal = True\n").run()
    app.button(key="scanners.save").click().run()
    assert app.warning[-1].value == (
        "Saved as a draft, with 1 validation problem: it is not run or scheduled until they are fixed."
    )
    app.button(key="scanners.run").click().run()
    assert not app.exception
    assert [e.value for e in app.error] == ["Not queued:"]
    assert any("'Mine' is a draft" in c.value for c in app.code)
    with unit_of_work(committed_engine) as session:
        assert session.get(Scanner, scanner_id).draft is True
        assert session.scalars(select(JobRun)).all() == []


def test_the_code_editor_is_a_code_component_and_a_draft_says_so_beside_it(page, db_url, committed_engine):
    with unit_of_work(committed_engine, write=True) as session:
        mine = factories.scanner(session, name="Mine", code="signal = close[-1] > 1\n").id
        factories.scanner(session, name="Rough", code="import os\nsignal = True\n", draft=True)
        factories.watchlist(session, name="Tech", symbols=["AAPL"])
    app = page(db_url, plain=False)
    app.selectbox(key="scanners.choice").select("Mine").run()
    assert not app.exception
    editors = app.get("component_instance")
    assert len(editors) == 1 and "code_editor" in editors[0].proto.component_name
    assert '"code": "signal = close[-1] > 1\\n"' in editors[0].proto.json_args
    assert '"lang": "python"' in editors[0].proto.json_args
    assert f"scanners.code.{mine}" not in [t.key for t in app.text_area]
    assert not app.warning
    app.selectbox(key="scanners.choice").select("Rough").run()
    assert app.warning[0].value.startswith("**Draft:** this scanner was saved with validation problems, so it is never")
    assert any("is a draft" in c.value for c in app.caption)  # and the Run tab says so too


def test_run_as_of_a_past_day_and_results_name_the_run(page, db_url, committed_engine, monkeypatch):
    import datetime as dt

    from core.db.models import ScanHistory, ScanResult

    monkeypatch.setenv("MARKET_DATA_PROVIDER", "synthetic")
    with unit_of_work(committed_engine, write=True) as session:
        scanner_id = factories.scanner(session, name="Mine", code="signal = True\n").id
        factories.watchlist(session, name="Tech", symbols=["AAPL"])
        for _ in range(3):  # earlier ids, so the job run's id and the history's differ
            session.add(ScanHistory(scanner_id=scanner_id, status="completed", symbols_scanned=0))
    app = page(db_url)
    app.selectbox(key="scanners.choice").select("Mine").run()
    app.date_input(key="scanners.as_of").set_value(dt.date(2023, 10, 27)).run()
    app.button(key="scanners.run").click().run()
    assert not app.exception
    with unit_of_work(committed_engine) as session:
        run = session.scalars(select(JobRun)).one()
    assert run.params["as_of"] == "2023-10-27" and run.scope.endswith(":as-of:2023-10-27")
    assert f"Run {run.id} queued." in [c.value for c in app.caption]

    with unit_of_work(committed_engine, write=True) as session:  # the sidecar's part, as it would record it
        history = ScanHistory(
            scanner_id=scanner_id,
            status="completed",
            symbols_scanned=1,
            signals_found=1,
            error_message="MSFT: no daily bars for this symbol; " * 100,  # 3,700 characters
        )
        session.add(history)
        session.flush()
        session.get(JobRun, run.id).scan_history_id = history.id
        session.add(
            ScanResult(
                scanner_id=scanner_id,
                scan_history_id=history.id,
                symbol="AAPL",
                signal="BUY",
                metrics={"expiry": "2027-01-08T00:00:00", "note": None},
            )
        )
        assert history.id != run.id
    app.run()
    summary = next(c.value for c in app.caption if c.value.startswith("run "))
    assert summary.startswith(f"run {run.id} as of 2023-10-27 completed: 1 symbol scanned, 1 signal")
    frame = app.dataframe[-2].value  # the results table (the schedule table is the last)
    assert frame.loc[0, "expiry"] == "2027-01-08" and frame.loc[0, "note"] == ""  # blank, not "None"
    shown = next(c.value for c in app.code if c.value.startswith("MSFT: no daily bars"))
    whole = "MSFT: no daily bars for this symbol; " * 100
    assert len(shown) <= 2_000 and shown.endswith(" …")  # cut between words, and says so
    assert whole.startswith(shown[:-2]) and whole[len(shown) - 2] in " ;"

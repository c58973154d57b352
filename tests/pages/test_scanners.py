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

pytestmark = pytest.mark.slow  # every test here starts the sandbox


@pytest.fixture
def page(monkeypatch):
    def open_with(url: str) -> AppTest:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        return signed_in(AppTest.from_file(str(REPO_ROOT / "pages" / "scanners.py"), default_timeout=30), url).run()

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
    assert [e.value for e in app.error] == ["2 validation problem(s):"]
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
        "Delete “Mine”? Its 0 schedule(s), 2 past run(s) and 0 result(s) go with it. This cannot be undone."
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
    assert app.success[0].value == "Saved, with 1 validation problems."
    app.button(key="scanners.run").click().run()
    assert not app.exception
    assert [e.value for e in app.error] == ["Not queued:"]
    assert any("'Mine' is a draft" in c.value for c in app.code)
    with unit_of_work(committed_engine) as session:
        assert session.get(Scanner, scanner_id).draft is True
        assert session.scalars(select(JobRun)).all() == []

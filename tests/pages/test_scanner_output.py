"""Scanner text is shown as plain text everywhere on the Scanners page (issue 10, class 5).

One scanner puts Markdown, Streamlit's `:red[]` and math markers into every field it controls: a validation
message (through a dunder name), a dry run's error, its printed output, a metric name, a run's error summary.
The test then looks at every element Streamlit reads as Markdown (notices, captions, markdown, titles) and
asserts that none holds a marker, and that each piece of scanner text is still shown, in a code block. A new
path that hands scanner text to a Markdown element fails here whichever field it shows.
"""

from __future__ import annotations

import datetime as dt

import pytest
from streamlit.testing.v1 import AppTest

from core.config import get_settings
from core.db.engine import unit_of_work
from core.db.models import ScanResult
from core.scanner.sandbox import sandbox_status
from tests import factories
from tests.conftest import REPO_ROOT
from tests.pages.conftest import signed_in
from ui.code_input import PLAIN

HOSTILE = "**BOLD** [link](http://evil.example) :red[RED] $x^2$"
MARKERS = ("**BOLD**", "[link]", ":red[", "$x^2$", "__HOSTILE__")
CODE = f'print("{HOSTILE}")\nmetrics = {{"{HOSTILE}": 1}}\nraise ValueError("{HOSTILE}")\n'


@pytest.fixture
def page(monkeypatch):
    def open_with(url: str) -> AppTest:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("MARKET_DATA_PROVIDER", "synthetic")
        get_settings.cache_clear()
        app = signed_in(AppTest.from_file(str(REPO_ROOT / "pages" / "scanners.py"), default_timeout=60), url)
        app.session_state[PLAIN] = True  # AppTest cannot type into the code editor component
        return app.run()

    yield open_with
    get_settings.cache_clear()


def _markdown_elements(app: AppTest) -> list[str]:
    """The text of every element Streamlit renders as Markdown."""
    kinds = ("markdown", "caption", "error", "warning", "info", "success", "title", "header", "subheader", "toast")
    return [str(element.value) for kind in kinds for element in getattr(app, kind)]


def _assert_plain(app: AppTest, *expected: str) -> None:
    assert not app.exception
    for text in _markdown_elements(app):
        assert not any(marker in text for marker in MARKERS), f"scanner text rendered as Markdown: {text!r}"
    shown = "\n".join(str(c.value) for c in app.code)
    for piece in expected:
        assert piece in shown, f"{piece!r} is not shown as plain text"


@pytest.mark.slow  # starts the sandbox
def test_scanner_text_never_reaches_a_markdown_element(page, db_url, committed_engine):
    with unit_of_work(committed_engine, write=True) as session:
        scanner = factories.scanner(session, name="Hostile", code=CODE)
        history = factories.scan_history(
            session, scanner, symbols_scanned=1, signals_found=1, error_message=f"MSFT: line 3: ValueError: {HOSTILE}"
        )
        session.add(
            ScanResult(
                scanner_id=scanner.id,
                scan_history_id=history.id,
                symbol="AAPL",
                signal="BUY",
                metrics={HOSTILE: 1.0},
                timestamp=dt.datetime(2026, 11, 20, tzinfo=dt.UTC),
            )
        )
        scanner_id = scanner.id
    app = page(db_url)
    app.selectbox(key="scanners.choice").select("Hostile").run()
    _assert_plain(app, f"MSFT: line 3: ValueError: {HOSTILE}")
    assert any(HOSTILE in d.value.columns for d in app.dataframe)  # a metric name, in a table: plain

    app.text_area(key=f"scanners.code.{scanner_id}").input("y = df.__HOSTILE__\n").run()
    app.button(key="scanners.validate").click().run()
    _assert_plain(app, "Line 1, column 8: dunder attribute '.__HOSTILE__' is not allowed")
    assert [e.value for e in app.error] == ["1 validation problem:"]

    if sandbox_status().usable:
        app.text_area(key=f"scanners.code.{scanner_id}").input(CODE).run()
        app.button(key="scanners.dry").click().run()
        _assert_plain(app, f"line 3: ValueError: {HOSTILE}", HOSTILE + "\n")
        assert app.error[0].value == "The dry run of AAPL failed:"


@pytest.mark.slow  # starts the sandbox
def test_a_dry_run_refuses_a_symbol_that_is_not_a_ticker(page, db_url, committed_engine):
    with unit_of_work(committed_engine, write=True) as session:
        factories.scanner(session, name="Mine", code="signal = True")
    app = page(db_url)
    app.selectbox(key="scanners.choice").select("Mine").run()
    app.text_input(key="scanners.dry_symbol").input("**X** [y](z)").run()
    app.button(key="scanners.dry").click().run()
    _assert_plain(app, "'**X** [Y](Z)' is not a ticker symbol")

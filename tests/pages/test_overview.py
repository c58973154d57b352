"""The Overview page in Streamlit's AppTest: a market view for everyone (coverage, quote ages, IV regime, movers),
the database's tables for admins only, and a database that is unmigrated or down."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.config import get_settings
from tests.conftest import REPO_ROOT
from tests.pages.conftest import DEMO_SYMBOLS, signed_in, texts


@pytest.fixture
def page(monkeypatch):
    def open_with(url: str, role: str = "admin") -> AppTest:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        app = AppTest.from_file(str(REPO_ROOT / "pages" / "overview.py"), default_timeout=30)
        return signed_in(app, url, role).run()

    yield open_with
    get_settings.cache_clear()


def _labels(app) -> list[str]:
    return [m.label for m in app.metric]


def test_a_trader_sees_the_market_not_the_tables(page, demo_url):
    app = page(demo_url, role="trader")
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Symbols with chains"] == f"{DEMO_SYMBOLS} / {DEMO_SYMBOLS}"
    assert {"Newest quote", "Median IV rank", "Median IV30"} <= set(metrics)
    sectors = app.dataframe[0].value  # coverage by sector
    assert sectors["symbols"].sum() == DEMO_SYMBOLS
    movers = app.dataframe[1].value
    assert 0 < len(movers) <= 10
    assert "Top movers in IV rank" in texts(app.markdown)  # the demo backfills two weeks of IV history
    assert movers["change"].abs().is_monotonic_decreasing
    # The operator view is not there: no table list, no schema revision, no database URL.
    assert "Schema revision" not in _labels(app)
    assert not any("Database:" in c.value for c in app.caption)
    assert len(app.dataframe) == 2


def test_an_admin_also_sees_the_tables(page, demo_url):
    app = page(demo_url)
    assert not app.exception
    assert any("Database:" in c.value for c in app.caption)
    assert len(app.dataframe) == 3
    table = app.dataframe[2].value
    assert "stock_premiums" in set(table["table"])
    assert _labels(app)[-3:] == ["Schema revision", "Tables", "Rows"]


def test_an_empty_database_says_how_to_fill_it(page, db_url):
    app = page(db_url, role="viewer")
    assert not app.exception
    assert "python -m core demo" in texts(app.info)
    assert "Highest IV rank today" in texts(app.markdown)  # no history: today's ranks, and it says so


def test_unmigrated_database_says_what_to_run(page, tmp_path):
    app = page(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert not app.exception
    # Who is signed in cannot be checked without the schema: the sign-in check says what to run.
    assert "has no Wheelhouse schema yet: run `python -m core db upgrade`" in app.error[0].value


def test_database_down_is_a_clear_message(page):
    app = page("postgresql+psycopg2://postgres@127.0.0.1:1/nowhere")
    assert not app.exception
    assert "cannot reach database" in app.error[0].value

"""The overview page in Streamlit's AppTest: a migrated database, an empty one, and one that is down."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from core.config import get_settings
from tests.conftest import REPO_ROOT
from tests.pages.conftest import signed_in


@pytest.fixture
def page(monkeypatch):
    def open_with(url: str) -> AppTest:
        monkeypatch.setenv("DATABASE_URL", url)
        get_settings.cache_clear()
        app = AppTest.from_file(str(REPO_ROOT / "pages" / "overview.py"), default_timeout=30)
        return signed_in(app, url).run()

    yield open_with
    get_settings.cache_clear()


def test_shows_database_and_table_counts(page, db_url):
    app = page(db_url)
    assert not app.exception
    assert any("Database:" in c.value for c in app.caption)
    table = app.dataframe[0].value
    assert "stock_premiums" in set(table["table"])
    assert [m.label for m in app.metric] == ["Schema revision", "Tables", "Rows"]


def test_unmigrated_database_says_what_to_run(page, tmp_path):
    app = page(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert not app.exception
    # Who is signed in cannot be checked without the schema: the sign-in check says what to run.
    assert "has no Wheelhouse schema yet: run `python -m core db upgrade`" in app.error[0].value


def test_database_down_is_a_clear_message(page):
    app = page("postgresql+psycopg2://postgres@127.0.0.1:1/nowhere")
    assert not app.exception
    assert "cannot reach database" in app.error[0].value

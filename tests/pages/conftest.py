"""Fixtures for the dashboard's AppTest tests: open a page against a database, seed a small demo."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.config import get_settings
from tests.conftest import REPO_ROOT

DOWN_URL = "postgresql+psycopg2://postgres@127.0.0.1:1/nowhere"  # nothing listens on port 1
DEMO_SYMBOLS = 20


@pytest.fixture
def open_page(monkeypatch):
    """open_page(url, "pages/premiums.py") -> the page run once against `url` (caches cleared first)."""

    def open_with(url: str, page: str = "dashboard.py") -> AppTest:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("MARKET_DATA_PROVIDER", "synthetic")
        get_settings.cache_clear()
        st.cache_data.clear()
        return AppTest.from_file(str(REPO_ROOT / page), default_timeout=60).run()

    yield open_with
    get_settings.cache_clear()
    st.cache_data.clear()


@pytest.fixture
def demo_url(committed_engine, db_url, monkeypatch):
    """A database holding a small synced demo (20 symbols, two weeks of history, three watchlists)."""
    from core.demo import run_demo

    monkeypatch.setenv("MARKET_DATA_PROVIDER", "synthetic")
    get_settings.cache_clear()
    result = run_demo(committed_engine, n_symbols=DEMO_SYMBOLS, history_weeks=2)
    assert result.status == "completed"
    return db_url


def no_exception(app: AppTest) -> None:
    assert not app.exception, [e.value for e in app.exception]


def texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)

"""Scan Premiums keeps its filters in the address (`st.query_params`): a changed filter is written there, a new
session opened on that address (a reload, a bookmark, a shared link) shows the same screen, and bad values in
the address are ignored with a notice that names them, never an error page."""

from __future__ import annotations

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from core.config import get_settings
from tests.conftest import REPO_ROOT
from tests.pages.conftest import no_exception, signed_in, texts

PAGE = "pages/premiums.py"


@pytest.fixture
def open_at(monkeypatch):
    """open_at(url, {"dte": "14-30"}) -> the page opened by a signed-in admin at an address with that query."""

    def open_with(url: str, query: dict) -> AppTest:
        monkeypatch.setenv("DATABASE_URL", url)
        monkeypatch.setenv("MARKET_DATA_PROVIDER", "synthetic")
        get_settings.cache_clear()
        st.cache_data.clear()
        app = AppTest.from_file(str(REPO_ROOT / PAGE), default_timeout=60)
        app.query_params.update(query)
        return signed_in(app, url).run()

    yield open_with
    get_settings.cache_clear()
    st.cache_data.clear()


def _filter_params(app) -> dict:
    return {k: v for k, v in app.query_params.items() if k != "page"}


def test_changed_filters_go_to_the_address_and_a_reload_restores_them(open_at, demo_url):
    app = open_at(demo_url, {})
    no_exception(app)
    assert _filter_params(app) == {}  # the defaults keep the address clean
    app.radio(key="premiums:strategy").set_value("cc").run()
    app.slider(key="premiums:delta").set_value((0.30, 0.35)).run()
    app.number_input(key="premiums:min_volume").set_value(10)
    app.button(key="premiums:apply").click().run()
    address = _filter_params(app)
    assert address == {"strategy": "cc", "delta": "0.3-0.35", "min_volume": "10"}

    reloaded = open_at(demo_url, address)  # a new session at the same address
    no_exception(reloaded)
    assert reloaded.radio(key="premiums:strategy").value == "cc"
    assert reloaded.slider(key="premiums:delta").value == (0.30, 0.35)
    assert reloaded.number_input(key="premiums:min_volume").value == 10
    table = reloaded.dataframe(key="premiums:table").value
    assert len(table) > 0 and table["delta"].between(0.30, 0.35).all()
    assert not reloaded.warning


def test_bad_values_in_the_address_are_ignored_with_a_notice(open_at, demo_url):
    app = open_at(
        demo_url,
        {"strategy": "cc", "dte": "0-1000", "limit": "7", "iv": "x", "watchlist": "No such list", "sectors": "Nowhere"},
    )
    no_exception(app)
    notice = texts(app.warning)
    assert "Some filters in this link were ignored" in notice
    for part in (
        "dte='0-1000': must be within 0-400",  # the slider's ends, though the screen itself would take it
        "limit=7",
        "iv='x'",
        "no watchlist named 'No such list'",
        "no sector named 'Nowhere'",
    ):
        assert part in notice
    assert app.radio(key="premiums:strategy").value == "cc"  # the good value is kept
    assert app.slider(key="premiums:dte").value == (7, 45)  # the bad one falls back to the default
    table = app.dataframe(key="premiums:table").value
    assert len(table) > 0 and (table["delta"] > 0).all()
    assert _filter_params(app) == {"strategy": "cc"}  # the address is rewritten to what the screen shows

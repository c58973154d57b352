"""The Symbol page in AppTest: found by search (not from a result row), its chain, smile, term structure,
history and payoff on demo data; open to every role through the navigation."""

from __future__ import annotations

import pytest

from tests.pages.conftest import no_exception, texts

PAGE = "pages/symbol.py"


def test_empty_database_says_what_to_do(open_page, committed_engine, db_url):
    app = open_page(db_url, PAGE)
    no_exception(app)
    assert "python -m core demo" in texts(app.info)


def test_a_searched_symbol_shows_chain_smile_term_history_and_payoff(open_page, demo_url):
    app = open_page(demo_url, PAGE)
    no_exception(app)
    search = app.selectbox(key="symbol:pick")
    assert search.value is None and len(search.options) == 20
    symbol = search.options[0].split(" — ")[0]
    search.set_value(symbol).run()
    no_exception(app)
    assert app.subheader[0].value.startswith(symbol)
    assert {m.label for m in app.metric} >= {"Price", "IV30", "HV20", "HV60", "Market cap", "Breakeven at expiry"}
    chain = app.dataframe[0].value
    assert len(chain) > 3 and chain["call_bid"].notna().any() and chain["put_bid"].notna().any()
    assert len(app.get("plotly_chart")) == 4  # smile, term structure, payoff, price and IV history
    hv = [m.value for m in app.metric if m.label in ("HV20", "HV60")]
    assert len(hv) == 2 and "—" not in hv, "the demo stores daily closes, so HV20 and HV60 exist"


@pytest.mark.parametrize("side", ["put", "call"])
def test_payoff_breakeven_is_worked_by_hand(open_page, demo_url, side):
    app = open_page(demo_url, PAGE)
    symbol = app.selectbox(key="symbol:pick").options[3].split(" — ")[0]
    app.selectbox(key="symbol:pick").set_value(symbol).run()
    app.radio(key="symbol:side").set_value(side).run()
    no_exception(app)
    strike = app.selectbox(key="symbol:strike").value
    chain = app.dataframe[0].value.set_index("strike")
    bid, ask = chain.loc[strike, f"{side}_bid"], chain.loc[strike, f"{side}_ask"]
    mid = (bid + ask) / 2
    spot = float(next(m for m in app.metric if m.label == "Price").value.lstrip("$").replace(",", ""))
    wanted = strike - mid if side == "put" else spot - mid  # DESIGN section 4: put K - mid, covered call S - mid
    shown = next(m for m in app.metric if m.label == "Breakeven at expiry").value
    assert float(shown.lstrip("$").replace(",", "")) == pytest.approx(wanted, abs=0.006)


@pytest.mark.parametrize("role", ["viewer", "trader"])
def test_every_role_reaches_it_from_the_navigation(open_page, demo_url, role):
    app = open_page(demo_url, role=role)
    app.switch_page(PAGE).run()
    no_exception(app)
    assert app.title[0].value == "Symbol"


def test_a_scan_premiums_row_opens_the_symbol_page_with_its_stock(open_page, demo_url):
    app = open_page(demo_url)  # the dashboard: Scan Premiums is the first page
    first = app.dataframe(key="premiums:table").value.iloc[0]
    app.session_state["premiums:table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    app.run()
    app.button(key="premiums:open_symbol").click().run()
    no_exception(app)
    assert app.title[0].value == "Symbol"
    assert app.selectbox(key="symbol:pick").value == first["symbol"]
    assert app.query_params.get("symbol") in (first["symbol"], [first["symbol"]])
    assert app.subheader[0].value.startswith(f"{first['symbol']} ")  # the stock in depth, not the empty search


def test_a_link_with_a_symbol_opens_it(open_page, demo_url):
    app = open_page(demo_url)
    stock = app.dataframe(key="premiums:table").value.iloc[-1]["symbol"]
    app.query_params["symbol"] = stock.lower()
    app.switch_page(PAGE).run()
    no_exception(app)
    assert app.selectbox(key="symbol:pick").value == stock

"""The Scan Premiums page in AppTest: empty database, demo data, filters, a selected row, saved screens,
Sync All, and the database being down -- on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import func, select, update

from core.db.engine import unit_of_work
from core.db.models import JobRun, Setting, StockData
from core.demo import demo_symbols, seed_stocks
from core.premiums.filters import PremiumFilters
from tests.pages.conftest import DOWN_URL, no_exception, texts
from tests.premiums import dataset

PAGE = "pages/premiums.py"


def _table(app):
    return app.dataframe(key="premiums:table").value


def test_empty_database_says_to_run_the_demo_or_sync(open_page, committed_engine, db_url):
    app = open_page(db_url, PAGE)
    no_exception(app)
    assert "python -m core demo" in texts(app.info)
    assert "Sync All" in texts(app.info)
    assert [b.label for b in app.button][:1] == ["Sync All"]


def test_demo_data_shows_best_contract_per_symbol(open_page, demo_url):
    app = open_page(demo_url, PAGE)
    no_exception(app)
    table = _table(app)
    assert 0 < len(table) <= 20
    assert table["symbol"].is_unique
    assert table["flat_annualized_return"].is_monotonic_decreasing  # the default rank: time value only
    assert {m.label for m in app.metric} >= {"Symbols", "Contracts", "Median flat annualised"}
    assert app.get("download_button")


def test_filter_change_updates_the_table(open_page, demo_url):
    app = open_page(demo_url, PAGE)
    before = _table(app)
    app.radio(key="premiums:strategy").set_value("cc").run()
    no_exception(app)
    calls = _table(app)
    assert len(calls) > 0
    assert (calls["delta"] > 0).all() and (before["delta"] < 0).all()
    app.slider(key="premiums:delta").set_value((0.30, 0.32)).run()
    narrow = _table(app)
    assert narrow["delta"].between(0.30, 0.32).all()
    assert len(narrow) <= len(calls)


def test_all_contracts_shows_several_per_symbol(open_page, demo_url):
    app = open_page(demo_url, PAGE)
    app.toggle(key="premiums:all_contracts").set_value(True).run()
    no_exception(app)
    table = _table(app)
    assert not table["symbol"].is_unique


def test_a_filter_that_matches_nothing_explains_itself(open_page, demo_url):
    app = open_page(demo_url, PAGE)
    app.number_input(key="premiums:min_premium").set_value(1_000_000.0)
    app.button(key="premiums:apply").click().run()  # "More filters" is a form: its values apply together
    no_exception(app)
    assert "No contract matches" in texts(app.info)


def test_selecting_a_row_shows_the_symbol_in_depth(open_page, demo_url):
    app = open_page(demo_url, PAGE)
    first = _table(app).iloc[0]
    app.session_state["premiums:table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    app.run()
    no_exception(app)
    assert app.subheader[0].value.startswith(f"{first['symbol']} ")
    assert len(app.get("plotly_chart")) == 3  # smile, payoff, history (two weeks backfilled + today)
    chain = app.dataframe[1].value  # the chain around the money
    assert first["strike"] in set(chain["strike"])
    assert "Breakeven at expiry" in [m.label for m in app.metric]


def test_saved_screen_save_load_delete(open_page, demo_url, committed_engine):
    app = open_page(demo_url, PAGE)
    app.radio(key="premiums:strategy").set_value("cc").run()
    app.number_input(key="premiums:min_volume").set_value(5)
    app.button(key="premiums:apply").click().run()
    app.text_input(key="premiums:screen_name").input("Covered calls").run()
    app.button(key="premiums:save").click().run()
    no_exception(app)
    with unit_of_work(committed_engine) as session:
        saved = PremiumFilters.from_json(session.get(Setting, "screen:Covered calls").value)
    assert saved.strategy == "cc" and saved.min_volume == 5

    app.radio(key="premiums:strategy").set_value("csp").run()
    app.number_input(key="premiums:min_volume").set_value(None)
    app.button(key="premiums:apply").click().run()
    app.selectbox(key="premiums:screen").select("Covered calls").run()
    app.button(key="premiums:load").click().run()
    no_exception(app)
    assert app.radio(key="premiums:strategy").value == "cc"
    assert app.number_input(key="premiums:min_volume").value == 5
    assert "Loaded screen" in texts(app.success)

    app.button(key="premiums:delete").click().run()
    with unit_of_work(committed_engine) as session:
        assert session.get(Setting, "screen:Covered calls") is None
    assert app.selectbox(key="premiums:screen").options == []


def test_sync_all_twice_enqueues_one_run(open_page, committed_engine, db_url):
    with unit_of_work(committed_engine, write=True) as session:
        seed_stocks(session, demo_symbols(5))
    app = open_page(db_url, PAGE)
    app.button(key="premiums:sync").click().run()
    no_exception(app)
    app.button(key="premiums:sync").click().run()
    no_exception(app)
    with unit_of_work(committed_engine) as session:
        runs = session.execute(select(JobRun.scope, JobRun.status, JobRun.total_items)).all()
    assert [(r.scope, r.status, r.total_items) for r in runs] == [("sync:all", "queued", 5)]
    assert "queued" in app.get("progress")[0].proto.text
    assert "No sidecar" in texts(app.warning)


def test_progress_bar_follows_the_run_and_refreshes_when_done(open_page, committed_engine, db_url):
    from core.sync.worker import SyncWorker

    with unit_of_work(committed_engine, write=True) as session:
        seed_stocks(session, demo_symbols(5))
    app = open_page(db_url, PAGE)
    app.button(key="premiums:sync").click().run()
    SyncWorker(committed_engine).run_until_idle()
    app.run()
    no_exception(app)
    assert "completed" in texts(app.caption)
    assert len(app.dataframe(key="premiums:table").value) > 0
    with unit_of_work(committed_engine) as session:
        assert session.scalar(select(func.count()).select_from(JobRun)) == 1


def test_database_down_is_a_clear_message(open_page):
    app = open_page(DOWN_URL, PAGE)
    no_exception(app)
    assert "cannot" in app.error[0].value and "127.0.0.1" in app.error[0].value
    assert "DATABASE_URL" in texts(app.info)


def test_a_viewer_loads_screens_but_cannot_save_delete_or_sync(open_page, demo_url, committed_engine):
    from core.auth import LOCAL_OPERATOR
    from core.premiums import service

    service.save_screen(committed_engine, LOCAL_OPERATOR, "Weekly", PremiumFilters())
    app = open_page(demo_url, PAGE, role="viewer")
    no_exception(app)
    keys = {b.key for b in app.button if b.key}
    assert "premiums:load" in keys
    assert not keys & {"premiums:save", "premiums:delete", "premiums:sync"}
    assert len(app.dataframe) >= 1  # the screen itself is there


def test_stale_quotes_offer_their_date_instead_of_widen_your_filters(open_page, committed_engine, db_url):
    # an imported March snapshot: every contract has expired by today's as-of date
    with unit_of_work(committed_engine, write=True) as session:
        dataset.insert_dataset(session, dataset.build())
        session.execute(update(StockData).values(contracts=40, quote_time=dataset.QUOTE_TIME))
    app = open_page(db_url, PAGE)
    no_exception(app)
    assert "Quotes are from 2026-03-13; set the as-of date to it" in texts(app.warning)
    assert "Widen" not in texts(app.info)
    app.button(key="premiums:use_quote_date").click().run()
    no_exception(app)
    assert str(app.date_input(key="premiums:as_of").value) == "2026-03-13"
    assert len(_table(app)) > 0 and not app.warning


def test_fill_at_the_bid_toggle_prices_the_table_at_the_bid(open_page, demo_url):
    app = open_page(demo_url, PAGE)
    at_mid = _table(app)
    assert (at_mid["premium"] > at_mid["bid"] * 100 - 1e-9).all()
    app.toggle(key="premiums:fill_at_bid").set_value(True).run()
    no_exception(app)
    at_bid = _table(app)
    assert len(at_bid) > 0
    assert ((at_bid["premium"] - at_bid["bid"] * 100).abs() < 1e-6).all()
    assert at_bid["flat_annualized_return"].is_monotonic_decreasing


def test_volatility_size_and_dividend_filters_and_columns(open_page, demo_url):
    app = open_page(demo_url, PAGE)
    table = _table(app)
    assert {"hv20", "iv_hv", "iv_percentile", "expected_move", "market_cap", "ex_dividend_date"} <= set(table.columns)
    assert table["hv20"].notna().all(), "the demo stores daily closes: every synced stock has an HV20"
    assert {"earnings_before_expiry", "ex_dividend_before_expiry"} <= set(table.columns)
    caps = table["market_cap"].dropna().sort_values()
    low = float(caps.iloc[len(caps) // 2]) / 1e9  # the median cap, in billions: about half the rows stay
    app.number_input(key="premiums:market_cap_min").set_value(low)
    app.button(key="premiums:apply").click().run()  # inside the "More filters" form: applied together
    no_exception(app)
    big = _table(app)
    assert 0 < len(big) < len(table) and (big["market_cap"] >= low * 1e9).all()
    app.number_input(key="premiums:market_cap_min").set_value(None)
    app.button(key="premiums:apply").click().run()
    app.radio(key="premiums:strategy").set_value("cc").run()
    app.slider(key="premiums:dte").set_value((1, 120)).run()
    calls = _table(app)
    app.checkbox(key="premiums:exclude_ex_dividend").set_value(True)
    app.button(key="premiums:apply").click().run()
    no_exception(app)
    safe = _table(app)
    assert calls["ex_dividend_before_expiry"].any(), "the demo must hold a call spanning an ex-dividend date"
    assert not safe["ex_dividend_before_expiry"].any() and len(safe) > 0


def test_the_dte_filter_beyond_the_sync_window_says_the_data_stops_there(open_page, committed_engine, db_url):
    from core.sync.requests import SyncRequest, enqueue_sync
    from core.sync.worker import SyncWorker

    with unit_of_work(committed_engine, write=True) as session:
        seed_stocks(session, demo_symbols(5))
        enqueue_sync(session, SyncRequest(all_symbols=True, provider="synthetic", max_dte=30))
    SyncWorker(committed_engine).run_until_idle()
    app = open_page(db_url, PAGE)
    no_exception(app)
    assert "synced 30 days out" in texts(app.caption)  # the default 7-45 days reaches past the window
    app.slider(key="premiums:dte").set_value((7, 30)).run()
    assert "synced 30 days out" not in texts(app.caption)

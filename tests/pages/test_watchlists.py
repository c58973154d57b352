"""The Watchlists page in AppTest: both watchlist tables stay in step, nothing pasted is dropped silently."""

from __future__ import annotations

from sqlalchemy import select

from core.db.engine import unit_of_work
from core.db.models import JobRun, TvWatchlist, TvWatchlistSymbol, Watchlist
from tests.pages.conftest import DOWN_URL, no_exception, texts

PAGE = "pages/watchlists.py"


def _lists(engine) -> dict[str, tuple[list[str], list[tuple[str, str | None]]]]:
    """name -> (watchlists.symbols, [(tv symbol, exchange)] in position order)."""
    with unit_of_work(engine) as session:
        flux = {w.name: list(w.symbols) for w in session.scalars(select(Watchlist))}
        tv = {}
        for row in session.scalars(select(TvWatchlist)):
            tv[row.name] = [
                (s.symbol, s.exchange)
                for s in session.scalars(
                    select(TvWatchlistSymbol)
                    .where(TvWatchlistSymbol.watchlist_id == row.id)
                    .order_by(TvWatchlistSymbol.position)
                )
            ]
    assert set(flux) == set(tv), "both watchlist tables hold the same lists"
    return {name: (flux[name], tv[name]) for name in flux}


def test_empty_database_says_how_to_start(open_page, committed_engine, db_url):
    app = open_page(db_url, PAGE)
    no_exception(app)
    assert "No watchlists yet" in texts(app.info)


def test_demo_watchlists_show_symbols_with_best_premium_and_age(open_page, demo_url):
    app = open_page(demo_url, PAGE)
    no_exception(app)
    assert set(app.radio(key="watchlists:selected").options) == {"Tech leaders", "Dividend payers", "High IV"}
    table = next(d.value for d in app.dataframe if "best_put_premium" in d.value.columns)
    assert len(table) > 0
    assert table["best_put_premium"].notna().any()
    assert table["fetched_at"].notna().all()
    assert [b.label for b in app.button if b.key and b.key.endswith(":sync")] == ["Sync this watchlist"]


def test_create_and_paste_reports_every_skipped_entry(open_page, demo_url, committed_engine):
    app = open_page(demo_url, PAGE)
    app.text_input(key="watchlists:new_name").input("Wheel").run()
    app.button(key="watchlists:create").click().run()
    no_exception(app)
    assert app.radio(key="watchlists:selected").value == "Wheel"
    app.text_area(key="watchlists:paste").input(
        "NASDAQ:AAPL,NYSE:KO,###Section\nmsft\nbad symbol!\nZZZZZZ\nAAPL\nNASDAQ:MSFT:X"
    ).run()
    app.button(key="watchlists:add_pasted").click().run()
    no_exception(app)
    assert "added 3 symbols" in texts(app.warning)
    skipped = app.dataframe[0].value  # the report comes before the symbols table
    reasons = dict(zip(skipped["entry"], skipped["reason"], strict=True))
    assert "section header" in reasons["###Section"]
    assert "malformed" in reasons["bad symbol!"]
    assert "malformed" in reasons["NASDAQ:MSFT:X"]
    assert "unknown" in reasons["ZZZZZZ"]
    assert "duplicate" in reasons["AAPL"]
    flux, tv = _lists(committed_engine)["Wheel"]
    assert flux == ["AAPL", "KO", "MSFT"]  # KO: not synced in a 20-symbol demo, but in the provider's universe
    assert tv == [("AAPL", "NASDAQ"), ("KO", "NYSE"), ("MSFT", "NASDAQ")]


def test_upload_csv_rename_and_delete(open_page, demo_url, committed_engine):
    app = open_page(demo_url, PAGE)
    app.text_input(key="watchlists:new_name").input("From file").run()
    app.button(key="watchlists:create").click().run()
    app.file_uploader(key="watchlists:upload").upload(
        "list.csv", b"Ticker,Exchange\nNVDA,NASDAQ\nJPM,NYSE\n,\n", "text/csv"
    ).run()
    app.button(key="watchlists:add_file").click().run()
    no_exception(app)
    assert _lists(committed_engine)["From file"] == (["NVDA", "JPM"], [("NVDA", "NASDAQ"), ("JPM", "NYSE")])

    list_id = next(b.key for b in app.button if b.key.endswith(":sync")).split(":")[1]
    app.number_input(key=f"watchlists:window:{list_id}").set_value(21).run()
    app.button(key="watchlists:set_window").click().run()
    no_exception(app)
    assert "now ask for expiries within 21 days" in texts(app.success)
    with unit_of_work(committed_engine) as session:
        assert session.scalar(select(Watchlist.sync_max_dte).where(Watchlist.name == "From file")) == 21

    app.text_input(key=f"watchlists:rename_to:{list_id}").input("Renamed").run()
    app.button(key="watchlists:rename").click().run()
    no_exception(app)
    assert "Renamed" in _lists(committed_engine) and "From file" not in _lists(committed_engine)
    assert app.radio(key="watchlists:selected").value == "Renamed"

    app.button(key="watchlists:delete").click().run()  # the first click only asks
    no_exception(app)
    assert "Renamed" in _lists(committed_engine)
    assert "Its 2 symbols and 0 scanner schedules go with it" in texts(app.warning)
    app.button(key="watchlists:delete_cancel").click().run()
    assert "Renamed" in _lists(committed_engine) and not app.warning
    app.button(key="watchlists:delete").click().run()
    app.button(key="watchlists:delete_confirm").click().run()
    no_exception(app)
    assert "Renamed" not in _lists(committed_engine)
    assert "Renamed" not in app.radio(key="watchlists:selected").options


def test_an_old_mac_csv_is_read_and_a_binary_file_is_refused_keeping_the_list(open_page, demo_url, committed_engine):
    app = open_page(demo_url, PAGE)
    app.text_input(key="watchlists:new_name").input("Uploads").run()
    app.button(key="watchlists:create").click().run()
    app.file_uploader(key="watchlists:upload").upload("mac.csv", b"symbol\rAAPL\rMSFT\r", "text/csv").run()
    app.button(key="watchlists:add_file").click().run()
    no_exception(app)
    assert _lists(committed_engine)["Uploads"][0] == ["AAPL", "MSFT"]

    app.file_uploader(key="watchlists:upload").upload(
        "chart.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "text/csv"
    ).run()
    app.button(key="watchlists:add_file").click().run()
    no_exception(app)
    assert "chart.csv: this file is not a text CSV" in texts(app.warning)
    assert _lists(committed_engine)["Uploads"][0] == ["AAPL", "MSFT"]


def test_remove_symbols_and_export(open_page, demo_url, committed_engine):
    app = open_page(demo_url, PAGE)
    name = app.radio(key="watchlists:selected").value
    first = _lists(committed_engine)[name][0][0]
    app.multiselect(key="watchlists:remove").select(first).run()
    app.button(key="watchlists:remove_button").click().run()
    no_exception(app)
    flux, tv = _lists(committed_engine)[name]
    assert first not in flux and first not in [s for s, _ in tv]
    exported = app.code[0].value
    assert exported.split(",")[0].split(":")[-1] == flux[0]
    assert ":" in exported  # demo symbols carry their exchange: a TradingView list


def test_sync_this_watchlist_enqueues_one_run(open_page, demo_url, committed_engine):
    app = open_page(demo_url, PAGE)
    name = app.radio(key="watchlists:selected").value
    sync = next(b for b in app.button if b.key.endswith(":sync"))
    sync.click().run()
    next(b for b in app.button if b.key.endswith(":sync")).click().run()
    no_exception(app)
    with unit_of_work(committed_engine) as session:
        queued = session.scalars(select(JobRun.scope).where(JobRun.status == "queued")).all()
    assert queued == [f"sync:watchlist:{name}"]


def test_database_down_is_a_clear_message(open_page):
    app = open_page(DOWN_URL, PAGE)
    no_exception(app)
    assert "cannot" in app.error[0].value


def test_a_viewer_reads_and_exports_but_cannot_change_or_sync(open_page, demo_url, committed_engine):
    app = open_page(demo_url, PAGE, role="viewer")
    no_exception(app)
    assert len(app.radio(key="watchlists:selected").options) == 3
    assert any("best_put_premium" in d.value.columns for d in app.dataframe)
    assert [t.label for t in app.tabs] == ["Export"]
    keys = {b.key for b in app.button if b.key}
    assert not keys & {"watchlists:create", "watchlists:rename", "watchlists:delete", "watchlists:add_pasted"}
    assert not any(k.endswith(":sync") for k in keys)
    assert not app.text_input  # no "New watchlist" box


def test_a_traders_change_is_logged_under_their_name(open_page, demo_url, committed_engine):
    from core.db.models import ActivityLog

    app = open_page(demo_url, PAGE, role="trader")
    app.text_input(key="watchlists:new_name").input("Mine").run()
    app.button(key="watchlists:create").click().run()
    no_exception(app)
    with unit_of_work(committed_engine) as session:
        row = session.execute(
            select(ActivityLog.username, ActivityLog.target).where(ActivityLog.action == "watchlist_create")
        ).one()
    assert row.username.startswith("test-trader-") and row.target == "watchlist:Mine"


def test_a_new_empty_watchlist_says_how_to_fill_it_not_another_syncs_status(open_page, demo_url, committed_engine):
    app = open_page(demo_url, PAGE)  # the demo has a finished Sync All
    app.text_input(key="watchlists:new_name").input("Wheel TV").run()
    app.button(key="watchlists:create").click().run()
    no_exception(app)
    assert "This watchlist is empty. Add symbols under **Add symbols** below" in texts(app.info)
    assert not [c for c in app.caption if "Last sync" in c.value]
    assert not [b for b in app.button if b.key and b.key.endswith(":sync")]
    app.text_input(key="watchlists:new_name").input("wheel tv").run()  # names ignore case
    app.button(key="watchlists:create").click().run()
    assert "a watchlist called 'Wheel TV' already exists (names ignore case)" in texts(app.error) + texts(app.warning)


def test_the_last_sync_line_tells_its_clock_time_and_an_age_computed_now(open_page, demo_url, committed_engine):
    import datetime as dt

    from sqlalchemy import update

    from core.db.models import JobRun

    two_hours_ago = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=2)
    with unit_of_work(committed_engine, write=True) as session:  # the demo's sync, finished two hours ago
        session.execute(
            update(JobRun).values(started_at=two_hours_ago - dt.timedelta(seconds=5), finished_at=two_hours_ago)
        )
    app = open_page(demo_url, PAGE)
    no_exception(app)
    line = next(c.value for c in app.caption if "Last sync (run " in c.value)
    clock = two_hours_ago.strftime(
        "%H:%M UTC" if two_hours_ago.date() == dt.datetime.now(dt.UTC).date() else "%Y-%m-%d %H:%M UTC"
    )
    assert f" completed at {clock}, 2 h " in line and " ago (took 5 s): " in line

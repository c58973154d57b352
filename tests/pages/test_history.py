"""The History page in AppTest: sync runs with charts, scan runs, errors, heartbeats and coverage."""

from __future__ import annotations

import datetime as dt

from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import CriticalErrorLog, SystemHealthStatus
from tests import factories
from tests.pages.conftest import DEMO_SYMBOLS, DOWN_URL, no_exception, texts

PAGE = "pages/history.py"


def test_empty_database_explains_each_section(open_page, committed_engine, db_url):
    app = open_page(db_url, PAGE)
    no_exception(app)
    assert "No sync has run yet" in texts(app.info)
    assert "No heartbeat yet" in texts(app.info)
    assert [m.value for m in app.metric][:3] == ["0", "0", "0"]


def test_demo_shows_runs_charts_errors_heartbeats_and_coverage(open_page, demo_url, committed_engine):
    with unit_of_work(committed_engine, write=True) as session:
        scanner = factories.scanner(session, name="Breakout")
        factories.scan_history(
            session,
            scanner,
            status="completed",
            symbols_scanned=20,
            signals_found=3,
            execution_time_ms=1500,
            started_at=utcnow() - dt.timedelta(seconds=2),
            completed_at=utcnow(),
        )
        session.add(
            CriticalErrorLog(
                error_type="sync_item_failed",
                message="XYZ: provider timed out",
                details={"symbol": "XYZ"},
                severity="MEDIUM",
            )
        )
        session.add(SystemHealthStatus(service_name="sidecar", status="ok", details={"pid": 42}))
    app = open_page(demo_url, PAGE)
    no_exception(app)
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Stocks"] == str(DEMO_SYMBOLS)
    assert int(metrics["Fresh chains (24 h)"]) > 0
    assert int(metrics["Contracts stored"].replace(",", "")) > 1000
    assert len(app.get("plotly_chart")) == 2  # run durations, contracts per run
    runs, scans, errors, beats = (d.value for d in app.dataframe)
    assert runs.iloc[0]["requested_by"] == "demo" and runs.iloc[0]["status"] == "completed"
    assert runs.iloc[0]["done"] == DEMO_SYMBOLS
    assert scans.iloc[0]["scanner"] == "Breakout" and scans.iloc[0]["signals_found"] == 3
    assert "provider timed out" in errors.iloc[0]["message"]
    assert beats.iloc[0]["service_name"] == "sidecar" and "pid=42" in beats.iloc[0]["details"]


def test_database_down_is_a_clear_message(open_page):
    app = open_page(DOWN_URL, PAGE)
    no_exception(app)
    assert "cannot" in app.error[0].value


def test_admins_read_the_activity_log_newest_first_and_filter_it(open_page, committed_engine, db_url):
    from core.auth import LOCAL_OPERATOR
    from core.watchlists import service as watchlists

    watchlists.create(committed_engine, LOCAL_OPERATOR, "First")
    watchlists.create(committed_engine, LOCAL_OPERATOR, "Second")
    watchlists.rename(committed_engine, LOCAL_OPERATOR, "Second", "Third")
    app = open_page(db_url, PAGE)
    no_exception(app)
    assert [t.label for t in app.tabs][-1] == "Activity"
    table = app.dataframe[-1].value
    assert list(table["target"][:3]) == ["watchlist:Third", "watchlist:Second", "watchlist:First"]
    assert list(table["action"][:3]) == ["watchlist_rename", "watchlist_create", "watchlist_create"]
    assert set(table["username"]) == {"local operator"}

    app.selectbox(key="history:activity:action").select("watchlist_create").run()
    assert list(app.dataframe[-1].value["target"]) == ["watchlist:Second", "watchlist:First"]
    app.selectbox(key="history:activity:user").select("local operator").run()
    assert len(app.dataframe[-1].value) == 2
    app.selectbox(key="history:activity:action").select("watchlist_rename").run()
    assert list(app.dataframe[-1].value["details"]) == ['{"from": "Second"}']


def test_viewers_and_traders_see_no_activity_tab(open_page, committed_engine, db_url):
    for role in ("viewer", "trader"):
        app = open_page(db_url, PAGE, role=role)
        no_exception(app)
        assert "Activity" not in [t.label for t in app.tabs]
        assert "Sync runs" in [t.label for t in app.tabs]


def test_scopes_and_reasons_are_words_and_missing_texts_are_blank(open_page, committed_engine, db_url):
    from core.db.models import JobRun, Stock, StockData

    with unit_of_work(committed_engine, write=True) as session:
        session.add(
            JobRun(
                kind="sync",
                scope="sync:symbols:f1070a0b2c3d4e5f",
                status="completed",
                provider="synthetic",
                quarantined={"bid_not_positive": 12, "ask_below_bid": 1},
            )
        )
        session.add(Stock(symbol="AAPL"))
        session.flush()
        session.add(StockData(symbol="AAPL", sync_status="synced", quarantined={"bid_not_positive": 12}))
    app = open_page(db_url, PAGE)
    no_exception(app)
    runs = app.dataframe[0].value
    assert runs.iloc[0]["scope"] == "chosen symbols"
    assert runs.iloc[0]["quarantined"] == "no bid: 12, ask below bid: 1"
    assert runs.iloc[0]["error"] == "" and runs.iloc[0]["requested_by"] == ""  # blank, not "None"
    assert "Rows kept out of rankings at the last sync, by reason: no bid: 12" in texts(app.caption)


def test_track_record_tab_shows_each_screen_its_pnl_curve_and_snapshots(
    open_page, committed_engine, db_url, shared_data, tmp_path
):
    from core.track.record import record_after_sync
    from core.track.resolve import resolve_due
    from tests.support.track import QUOTED, SPY_PUTS, copy_spy_folder, sync_all, track

    folder = copy_spy_folder(shared_data, tmp_path)
    sync_all(committed_engine, ["SPY"], provider="csv", source=str(folder), as_of=QUOTED)
    track(committed_engine, "spy puts", SPY_PUTS)
    record_after_sync(committed_engine)
    resolve_due(committed_engine)
    app = open_page(db_url, PAGE)
    no_exception(app)
    runs, summary, snapshots = (d.value for d in app.dataframe)
    row = summary.iloc[0]
    assert row["screen"] == "spy puts" and row["tracked"] and 0 < row["resolved"] < row["opportunities"]
    assert len(snapshots) == row["opportunities"] and "screen" not in snapshots.columns
    charts = app.get("plotly_chart")
    assert len(charts) == 3  # run durations, contracts per run, the screen's cumulative P&L
    assert "spy puts: P&L held to expiry" in charts[2].proto.spec
    assert [s.value for s in app.selectbox if s.label == "Screen"] == ["spy puts"]


def test_track_record_tab_says_how_to_start_and_a_viewer_cannot_change_tracking(open_page, committed_engine, db_url):
    from core.auth import LOCAL_OPERATOR
    from core.premiums import service as premiums
    from core.premiums.filters import PremiumFilters

    premiums.save_screen(committed_engine, LOCAL_OPERATOR, "weekly", PremiumFilters())
    app = open_page(db_url, PAGE)
    no_exception(app)
    assert "No tracked screen yet" in texts(app.info)
    [choice] = [m for m in app.multiselect if m.label == "Track these saved screens"]
    choice.select("weekly")
    app.button(key="history:track:save").click().run()
    no_exception(app)
    summary = app.dataframe[0].value  # no sync run yet: the first table is the track record's summary
    assert (summary.iloc[0]["screen"], summary.iloc[0]["opportunities"]) == ("weekly", 0)
    viewer = open_page(db_url, PAGE, role="viewer")
    no_exception(viewer)
    assert not [m for m in viewer.multiselect if m.label == "Track these saved screens"]

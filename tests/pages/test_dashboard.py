"""The dashboard entry point: page order, the sidebar's facts, and a clear message when the database is down."""

from __future__ import annotations

import datetime as dt

from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import SystemHealthStatus
from tests.conftest import REPO_ROOT
from tests.pages.conftest import DOWN_URL, no_exception, texts


def _sidebar(app) -> str:
    return texts(app.sidebar.caption) + "\n" + texts(app.sidebar.warning) + "\n" + texts(app.sidebar.error)


def test_pages_in_order_with_scan_premiums_first(open_page, committed_engine, db_url):
    app = open_page(db_url)
    no_exception(app)
    assert app.title[0].value == "Scan Premiums"  # the default page
    expected = ["pages/premiums.py", "pages/watchlists.py", "pages/history.py", "pages/overview.py"]
    if (REPO_ROOT / "pages" / "scanners.py").exists():
        expected.insert(2, "pages/scanners.py")
    expected.insert(expected.index("pages/history.py"), "pages/accounts.py")
    source = (REPO_ROOT / "dashboard.py").read_text()
    assert [p for p in expected if p in source] == expected
    positions = [source.index(p) for p in expected]
    assert positions == sorted(positions)
    for page, title in (("pages/watchlists.py", "Watchlists"), ("pages/history.py", "History")):
        app.switch_page(page).run()
        no_exception(app)
        assert app.title[0].value == title


def test_sidebar_says_database_freshness_sidecar_and_synthetic(open_page, demo_url, committed_engine):
    with unit_of_work(committed_engine, write=True) as session:
        session.add(
            SystemHealthStatus(service_name="sidecar", status="ok", check_timestamp=utcnow(), details={"pid": 1})
        )
    app = open_page(demo_url)
    no_exception(app)
    sidebar = _sidebar(app)
    assert "Database:" in sidebar and "***" not in sidebar
    assert "Data: 20 symbols" in sidebar
    assert "Sidecar: alive" in sidebar
    assert "Synthetic data" in sidebar


def test_sidebar_flags_a_stale_sidecar_and_hides_passwords(open_page, committed_engine, db_url):
    with unit_of_work(committed_engine, write=True) as session:
        session.add(
            SystemHealthStatus(service_name="sidecar", status="ok", check_timestamp=utcnow() - dt.timedelta(minutes=10))
        )
    app = open_page(db_url)
    sidebar = _sidebar(app)
    assert "Sidecar: **stale**" in sidebar
    assert "nothing synced yet" in sidebar
    assert "Synthetic" not in sidebar


def test_database_down_is_a_clear_message_everywhere(open_page):
    app = open_page(DOWN_URL.replace("postgres@", "postgres:s3cret@"))
    no_exception(app)
    assert "cannot" in app.error[0].value
    assert "s3cret" not in texts(app.error) + _sidebar(app)
    # No one can be recognised without the database, so no page and no sidebar facts are shown: only what to do.
    assert "db upgrade" in app.info[0].value
    assert not app.title

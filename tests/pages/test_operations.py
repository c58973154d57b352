"""The Operations page (admins) in AppTest: calendars (a closure added, removed only after a yes, a refill) and
retention (saved, refused when out of bounds, "run now" asked of the sidecar); a trader cannot open it at all."""

from __future__ import annotations

import contextlib
import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import select

from core.calendars import fill_calendars, load_calendar
from core.db.engine import unit_of_work
from core.db.models import ActivityLog
from core.operations.service import retention_view
from tests.pages.conftest import no_exception, texts
from tests.support.actors import ADMIN

PAGE = "pages/operations.py"


def _click(app, label):
    return next(b for b in app.button if b.label == label).click().run()


def _fill(engine) -> None:
    with unit_of_work(engine, write=True) as session:
        fill_calendars(session, ["XNYS"])


def _regular_day(engine) -> dt.date:
    with unit_of_work(engine) as session:
        calendar = load_calendar(session, "XNYS")
    day = dt.datetime.now(ZoneInfo("America/New_York")).date() + dt.timedelta(days=10)
    while day.weekday() >= 5 or day in calendar.exceptions:
        day += dt.timedelta(days=1)
    return day


def _actions(engine) -> list[str]:
    with unit_of_work(engine) as session:
        return list(session.scalars(select(ActivityLog.action).where(ActivityLog.action.like("calendar%"))))


def test_a_trader_cannot_open_it_even_by_switch_page(open_page, committed_engine, db_url):
    app = open_page(db_url, role="trader")
    with contextlib.suppress(ValueError):  # not in a trader's navigation: AppTest refuses, or the page refuses
        app.switch_page(PAGE)
    app.run()
    assert "Operations" not in [t.value for t in app.title]
    direct = open_page(db_url, PAGE, role="trader")
    assert "cannot change calendars: that needs the admin role" in texts(direct.error)
    assert not direct.title and not direct.dataframe


def test_an_admin_reaches_it_from_the_navigation(open_page, committed_engine, db_url):
    app = open_page(db_url)
    app.switch_page(PAGE).run()
    no_exception(app)
    assert app.title[0].value == "Operations"
    assert [t.label for t in app.tabs] == ["Calendars", "Retention"]


def test_an_admin_adds_a_closure_and_removes_it_only_after_a_yes(open_page, committed_engine, db_url):
    _fill(committed_engine)
    day = _regular_day(committed_engine)
    app = open_page(db_url, PAGE)
    no_exception(app)
    assert "XNYS" in list(app.dataframe[0].value["exchange"])
    app.date_input(key="operations.add.date").set_value(day)
    app.text_input(key="operations.add.reason").input("National day of mourning")
    _click(app, "Add closure")
    no_exception(app)
    assert f"Added: XNYS is closed on {day:%a %d %b %Y}" in texts(app.success)
    upcoming = app.dataframe[1].value
    assert "National day of mourning" in set(upcoming["description"])
    _click(app, "Add closure")  # the same day again
    assert "already has" in texts(app.error)

    _click(app, "Remove closure…")
    assert "Remove the closure of XNYS" in texts(app.warning)
    _click(app, "Cancel")
    assert "National day of mourning" in set(app.dataframe[1].value["description"])
    _click(app, "Remove closure…")
    _click(app, "Yes, remove it")
    no_exception(app)
    assert f"Removed the closure of XNYS on {day}." in texts(app.success)
    assert "National day of mourning" not in set(app.dataframe[1].value["description"])
    assert _actions(committed_engine) == ["calendar_closure_add", "calendar_closure_remove"]


def test_an_early_close_outside_the_session_is_refused_and_a_refill_reports(open_page, committed_engine, db_url):
    _fill(committed_engine)
    app = open_page(db_url, PAGE)
    app.date_input(key="operations.add.date").set_value(_regular_day(committed_engine))
    app.text_input(key="operations.add.reason").input("Storm")
    app.checkbox(key="operations.add.early").check()
    app.time_input(key="operations.add.time").set_value(dt.time(17, 0))
    _click(app, "Add closure")
    assert "must fall inside the session" in texts(app.error)
    _click(app, "Refill now")
    no_exception(app)
    assert "Refilled XNYS:" in texts(app.success)
    assert _actions(committed_engine) == ["calendar_refill"]


def test_an_admin_sets_retention_and_asks_for_housekeeping(open_page, committed_engine, db_url):
    app = open_page(db_url, PAGE)
    no_exception(app)
    app.number_input(key="operations.retention.history_days").set_value(400)
    _click(app, "Save retention")
    no_exception(app)
    assert "Retention saved." in texts(app.success)
    assert retention_view(committed_engine, ADMIN).overrides == {"history_days": 400}
    assert "Overridden here: daily history 400 (default 800)" in texts(app.caption)
    _click(app, "Back to the defaults")
    assert retention_view(committed_engine, ADMIN).overrides == {}
    assert "No housekeeping has run" in texts(app.caption)
    _click(app, "Run housekeeping now")
    no_exception(app)
    assert "Housekeeping asked for" in texts(app.success)
    assert retention_view(committed_engine, ADMIN).requested_at is not None
    assert "the sidecar has not run it yet" in texts(app.info)

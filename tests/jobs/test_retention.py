"""Retention set by an admin, on both databases: overrides validated and stored over the RETENTION_* defaults,
housekeeping honouring them and recording what it removed, and "run now" picked up once by the sidecar's check."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import ActivityLog, Setting, SymbolDailyHistory
from core.jobs import upkeep
from core.jobs.health import Retention
from core.jobs.retention import effective, pending_request, record_run, request_run
from core.jobs.settings import SidecarSettings
from core.operations.service import RetentionError, request_housekeeping, retention_view, set_retention
from tests.support import sidecars
from tests.support.actors import ADMIN

DEFAULTS = SidecarSettings.from_settings().retention


def _actions(engine) -> list[str]:
    with unit_of_work(engine) as session:
        return list(session.scalars(select(ActivityLog.action).order_by(ActivityLog.id)))


def _stored(engine):
    with unit_of_work(engine) as session:
        row = session.get(Setting, "retention")
        return row.value if row else None


def test_the_view_shows_defaults_until_an_override_is_stored(committed_engine):
    view = retention_view(committed_engine, ADMIN)
    assert view.overrides == {} and view.effective == view.defaults
    assert view.defaults["history_days"] == DEFAULTS.history_days
    assert view.last_run is None and view.requested_at is None
    overrides = set_retention(committed_engine, ADMIN, {"history_days": 400, "job_days": DEFAULTS.job_days})
    assert overrides == {"history_days": 400}  # a value equal to its default is no override
    view = retention_view(committed_engine, ADMIN)
    assert view.effective["history_days"] == 400 and view.effective["job_days"] == DEFAULTS.job_days
    set_retention(committed_engine, ADMIN, {"heartbeat_days": 3})
    assert _stored(committed_engine) == {"history_days": 400, "heartbeat_days": 3}  # earlier overrides stay
    set_retention(committed_engine, ADMIN, {"history_days": DEFAULTS.history_days, "heartbeat_days": 3})
    assert _stored(committed_engine) == {"heartbeat_days": 3}
    assert _actions(committed_engine) == ["retention_change"] * 3


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"history_days": 0}, "daily history: 0 days is outside 30 to 3650"),
        ({"history_days": 29}, "outside 30 to 3650"),
        ({"job_days": 100_000}, "finished job runs and schedule fires: 100000 days is outside 1 to 3650"),
        ({"job_days": -5}, "outside 1 to 3650"),
        ({"heartbeat_days": 2.5}, "2.5 is not a whole number of days"),
        ({"heartbeat_days": "7"}, "'7' is not a whole number of days"),
        ({"heartbeat_days": True}, "not a whole number"),
        ({"forever_days": 5}, "unknown retention setting 'forever_days'"),
    ],
)
def test_bad_values_are_refused_and_nothing_changes(committed_engine, values, message):
    set_retention(committed_engine, ADMIN, {"quarantine_days": 45})
    with pytest.raises(RetentionError, match=message):
        set_retention(committed_engine, ADMIN, {"quarantine_days": 60, **values})
    assert _stored(committed_engine) == {"quarantine_days": 45}
    assert _actions(committed_engine) == ["retention_change"]


def test_housekeeping_honours_a_stored_override_and_records_what_it_removed(committed_engine):
    today = utcnow().date()
    with unit_of_work(committed_engine, write=True) as session:
        session.add_all(
            [
                SymbolDailyHistory(symbol="OLD", date=today - dt.timedelta(days=45)),  # within the default 800
                SymbolDailyHistory(symbol="NEW", date=today - dt.timedelta(days=20)),
            ]
        )
    set_retention(committed_engine, ADMIN, {"history_days": 30})
    removed = upkeep.housekeep(committed_engine, DEFAULTS)
    assert removed["symbol_daily_history"] == 1
    with unit_of_work(committed_engine) as session:
        assert list(session.scalars(select(SymbolDailyHistory.symbol))) == ["NEW"]
    last = retention_view(committed_engine, ADMIN).last_run
    assert last.removed["symbol_daily_history"] == 1 and last.retention["history_days"] == 30


def test_a_stored_value_gone_bad_is_ignored_not_used(committed_engine):
    with unit_of_work(committed_engine, write=True) as session:
        session.add(Setting(key="retention", value={"history_days": 0, "job_days": 12}))
    with unit_of_work(committed_engine) as session:
        assert effective(session, DEFAULTS) == Retention(**{**DEFAULTS.__dict__, "job_days": 12})


def test_run_now_is_a_request_the_sidecar_picks_up_once(committed_engine):
    assert upkeep.housekeep_if_requested(committed_engine, DEFAULTS) is False  # nothing asked
    assert retention_view(committed_engine, ADMIN).last_run is None
    asked = request_housekeeping(committed_engine, ADMIN)
    assert retention_view(committed_engine, ADMIN).requested_at == asked
    assert upkeep.housekeep_if_requested(committed_engine, DEFAULTS) is True
    view = retention_view(committed_engine, ADMIN)
    assert view.requested_at is None and view.last_run.at >= asked
    assert upkeep.housekeep_if_requested(committed_engine, DEFAULTS) is False  # once per request
    assert _actions(committed_engine) == ["housekeeping_request"]


def test_a_request_made_while_housekeeping_runs_waits_for_the_next_run(committed_engine):
    started = utcnow()
    with unit_of_work(committed_engine, write=True) as session:
        request_run(session, "ada", now=started + dt.timedelta(seconds=5))  # asked mid-run
        record_run(session, {"job_runs": 0}, DEFAULTS, now=started)  # the run records when it started
    with unit_of_work(committed_engine) as session:
        assert pending_request(session) == started + dt.timedelta(seconds=5)


@pytest.mark.slow
def test_a_running_sidecar_runs_the_requested_housekeeping_with_the_override(committed_engine, db_url, tmp_path):
    """End to end: the page's request, a real `python -m core.sync`, the override honoured (its periodic
    housekeeping comes only a minute after it leads, so a run within seconds is the request's)."""
    today = utcnow().date()
    with unit_of_work(committed_engine, write=True) as session:
        session.add_all(
            [
                SymbolDailyHistory(symbol="OLD", date=today - dt.timedelta(days=60)),
                SymbolDailyHistory(symbol="NEW", date=today - dt.timedelta(days=10)),
            ]
        )
    set_retention(committed_engine, ADMIN, {"history_days": 30})
    request_housekeeping(committed_engine, ADMIN)
    process = sidecars.Sidecar(db_url, log_path=tmp_path / "sidecar.log")
    try:
        sidecars.wait_until(
            lambda: retention_view(committed_engine, ADMIN).last_run, timeout=45, what="the requested housekeeping"
        )
        assert process.terminate() == 0, process.log()
    finally:
        process.kill()
    assert "housekeeping requested" in process.log()
    with unit_of_work(committed_engine) as session:
        assert list(session.scalars(select(SymbolDailyHistory.symbol))) == ["NEW"]
    assert retention_view(committed_engine, ADMIN).requested_at is None

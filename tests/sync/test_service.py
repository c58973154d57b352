"""core.sync.service, what the Sync All button and its progress bar call: one run per scope, and what the bar shows."""

from __future__ import annotations

import datetime as dt

import pytest

from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import Stock, SystemHealthStatus, Watchlist
from core.sync import service
from core.sync.service import SyncRequestError
from core.sync.worker import SyncWorker
from tests.support.actors import TRADER


def _seed(engine) -> None:
    with unit_of_work(engine, write=True) as session:
        session.add_all([Stock(symbol=s) for s in ("AAPL", "MSFT", "KO")])
        session.add(Watchlist(name="Tech", symbols=["AAPL", "MSFT"]))


def test_two_clicks_queue_one_run_per_scope(committed_engine):
    _seed(committed_engine)
    run, created = service.request_sync(committed_engine, TRADER)
    again, created_again = service.request_sync(committed_engine, TRADER)
    assert created and not created_again and again.run_id == run.run_id
    assert (run.scope, run.status, run.total) == ("sync:all", "queued", 3)
    tech, created_tech = service.request_sync(committed_engine, TRADER, watchlist="Tech")
    assert created_tech and tech.run_id != run.run_id and tech.total == 2
    assert service.active_sync(committed_engine, TRADER, watchlist="Tech").run_id == tech.run_id
    with pytest.raises(SyncRequestError, match="no watchlist"):
        service.request_sync(committed_engine, TRADER, watchlist="Nope")


def test_the_bar_follows_a_run_to_its_end_and_says_whether_a_sidecar_is_alive(committed_engine):
    _seed(committed_engine)
    assert service.sync_view(committed_engine, TRADER) == service.SyncView(None, None, False)
    run, _ = service.request_sync(committed_engine, TRADER, watchlist="Tech")
    view = service.sync_view(committed_engine, TRADER, watchlist="Tech")
    assert view.run.run_id == run.run_id and not view.run.finished and not view.sidecar_alive
    with unit_of_work(committed_engine, write=True) as session:
        session.add(SystemHealthStatus(service_name="sidecar", status="ok", check_timestamp=utcnow()))
    assert service.sync_view(committed_engine, TRADER, run_id=run.run_id).sidecar_alive

    SyncWorker(committed_engine).run_until_idle(run.run_id)
    followed = service.sync_view(committed_engine, TRADER, run_id=run.run_id, watchlist="Tech")
    assert followed.run.finished and followed.run.done == 2 and followed.last is None
    idle = service.sync_view(committed_engine, TRADER, watchlist="Tech")  # nothing followed, nothing active
    assert idle.run is None and idle.last.run_id == run.run_id
    assert idle.last.finished_at is not None and idle.last.now - idle.last.finished_at < dt.timedelta(minutes=5)

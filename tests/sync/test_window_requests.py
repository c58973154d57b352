"""Which expiry window a sync request gets: its own, else its watchlist's, else SYNC_MAX_DTE."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.db.engine import unit_of_work
from core.db.models import JobRun
from core.sync.requests import SyncRequest, SyncRequestError
from core.sync.service import enqueue
from core.watchlists import service as watchlists
from core.watchlists.service import WatchlistError
from tests.support.actors import TRADER


def _window(engine, **request) -> int:
    with unit_of_work(engine, write=True) as session:
        run, _ = enqueue(session, TRADER, SyncRequest(provider="synthetic", **request))
        window = run.params["max_dte"]
        session.delete(run)  # the next request of the same scope would find this run
    return window


def test_the_request_then_the_watchlist_then_the_setting(committed_engine, monkeypatch):
    watchlists.create(committed_engine, TRADER, "Weeklies")
    watchlists.add(committed_engine, TRADER, "Weeklies", watchlists.parse_symbols("AAPL, MSFT"))
    assert _window(committed_engine, watchlist="Weeklies") == 75  # SYNC_MAX_DTE's default

    info = watchlists.set_sync_window(committed_engine, TRADER, "weeklies", 14)  # names ignore case
    assert info.sync_max_dte == 14
    assert _window(committed_engine, watchlist="Weeklies") == 14
    assert _window(committed_engine, watchlist="Weeklies", max_dte=0) == 0  # the request wins
    assert _window(committed_engine, symbols=("AAPL",)) == 75  # a plain symbol list has no watchlist's window

    watchlists.set_sync_window(committed_engine, TRADER, "Weeklies", None)
    monkeypatch.setenv("SYNC_MAX_DTE", "45")
    from core.config import get_settings

    get_settings.cache_clear()
    try:
        assert _window(committed_engine, watchlist="Weeklies") == 45
    finally:
        monkeypatch.delenv("SYNC_MAX_DTE")
        get_settings.cache_clear()


def test_bad_windows_are_refused_and_change_nothing(committed_engine):
    watchlists.create(committed_engine, TRADER, "Weeklies")
    watchlists.set_sync_window(committed_engine, TRADER, "Weeklies", 21)
    with pytest.raises(WatchlistError, match="0 \\(every expiry\\) to 3660"):
        watchlists.set_sync_window(committed_engine, TRADER, "Weeklies", -1)
    assert watchlists.view(committed_engine, TRADER, "Weeklies").info.sync_max_dte == 21
    with pytest.raises(SyncRequestError, match="max-dte"):
        _window(committed_engine, symbols=("AAPL",), max_dte=-5)


def test_a_request_joins_a_running_sync_only_when_it_would_do_the_same_work(committed_engine):
    def ask(**request):
        with unit_of_work(committed_engine, write=True) as session:
            run, created = enqueue(session, TRADER, SyncRequest(provider="synthetic", symbols=("AAPL",), **request))
            return run.id, created

    first, created = ask(max_dte=75)
    assert created
    assert ask(max_dte=75) == (first, False)  # the same work: joined
    with pytest.raises(
        SyncRequestError,
        match=r"already queued \(run #\d+\) with an expiry window of 75 days "
        r"\(you asked for every expiry\)",
    ):
        ask(max_dte=0)
    with pytest.raises(SyncRequestError, match=r"as-of date none \(you asked for 2026-11-20\)"):
        ask(max_dte=75, as_of=dt.date(2026, 11, 20))
    with unit_of_work(committed_engine) as session:  # nothing was queued by the refused requests
        assert session.scalar(select(func.count()).select_from(JobRun)) == 1

"""Test runs as sidecar jobs, on both databases, over the synthetic provider's daily history (deterministic):
results stored, history cached by symbol and data type, use counted, a re-run identical, a cancelled run stops
and says so; config names ignore case."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.auth import LOCAL_OPERATOR
from core.db.engine import unit_of_work
from core.db.models import JobRun, SandboxHistoricalCache, SandboxStats
from core.lab import service
from core.lab.history import DATA_TYPE
from core.providers import get_provider

START, END = dt.date(2025, 3, 3), dt.date(2025, 6, 27)


def _symbols(n: int) -> list[str]:
    return get_provider(as_of=END).universe()[:n]


def test_a_run_stores_results_caches_history_and_reruns_identically(committed_engine):
    from core.premiums.filters import PremiumFilters

    rules = service.Rules(per_day=2, capital=400_000, take_profit=50)
    service.create_config(committed_engine, LOCAL_OPERATOR, "Wheel 30", rules, filters=PremiumFilters())
    symbols = _symbols(8)
    runs = []
    for _ in range(2):
        run = service.start_run(committed_engine, LOCAL_OPERATOR, "wheel 30", START, END, symbols=symbols)
        assert run.status == "queued"
        runs.append(service.work_inline(committed_engine, LOCAL_OPERATOR, run))
    first, second = runs
    assert first.status == "completed" and first.results["trades"]
    assert first.results["trades"] == second.results["trades"]
    assert first.results["equity"] == second.results["equity"]
    assert first.results["summary"] == second.results["summary"]
    assert first.document()["summary"]["trades"] == len(first.results["trades"])
    with unit_of_work(committed_engine) as session:
        cached = session.scalars(select(SandboxHistoricalCache)).all()
        job = session.get(JobRun, first.job_run_id)
        stats = session.scalars(select(SandboxStats)).all()
    assert sorted(c.symbol for c in cached) == sorted(symbols)  # the second run read the cache
    assert {c.data_type for c in cached} == {DATA_TYPE}
    assert job.status == "completed" and job.done_items == 8
    assert [(s.strategies_created, s.test_runs) for s in stats] == [(1, 2)]
    assert {r.id for r in service.list_runs(committed_engine, LOCAL_OPERATOR, "Wheel 30")} == {first.id, second.id}


def test_a_cancelled_run_stops_and_says_so(committed_engine):
    from core.premiums.filters import PremiumFilters

    service.create_config(committed_engine, LOCAL_OPERATOR, "Cancel me", service.Rules(), filters=PremiumFilters())
    run = service.start_run(committed_engine, LOCAL_OPERATOR, "Cancel me", START, END, symbols=_symbols(30))

    def cancel_after_first_chunk(done: int, total: int) -> None:
        if done == 1:
            service.cancel_run(committed_engine, LOCAL_OPERATOR, run.id)

    finished = service.work_inline(committed_engine, LOCAL_OPERATOR, run, on_chunk=cancel_after_first_chunk)
    assert finished.status == "cancelled"
    assert finished.results["message"] == "cancelled after loading 25 of 30 symbols"
    assert "trades" not in finished.results
    with unit_of_work(committed_engine) as session:
        job = session.get(JobRun, run.job_run_id)
        cached = session.scalar(select(func.count()).select_from(SandboxHistoricalCache))
    assert job.status == "cancelled" and job.active_scope is None
    assert cached == 25  # the second chunk was never loaded


def test_config_names_ignore_case_and_bad_requests_are_refused(committed_engine):
    from core.premiums.filters import PremiumFilters

    service.create_config(committed_engine, LOCAL_OPERATOR, "Wheel 30", service.Rules(), filters=PremiumFilters())
    with pytest.raises(service.ConfigError, match="already exists"):
        service.create_config(committed_engine, LOCAL_OPERATOR, "WHEEL 30", service.Rules(), filters=PremiumFilters())
    with pytest.raises(service.ConfigError, match="no saved screen|no strategy config"):
        service.start_run(committed_engine, LOCAL_OPERATOR, "Nope", START, END)
    with pytest.raises(service.RunRequestError, match="must be after"):
        service.start_run(committed_engine, LOCAL_OPERATOR, "Wheel 30", END, START, symbols=["AAPL"])
    edited = service.update_config(committed_engine, LOCAL_OPERATOR, "wheel 30", active=False,
                                   rules=service.Rules(per_day=3))  # fmt: skip
    assert edited.name == "Wheel 30" and not edited.active and edited.rules.per_day == 3
    assert [c.name for c in service.list_configs(committed_engine, LOCAL_OPERATOR)] == ["Wheel 30"]


def test_the_sidecar_kind_works_queued_runs_and_uses_stored_snapshots(committed_engine):
    import threading

    from core.db.models import OpportunitySnapshot, ScanSession
    from core.jobs.kinds import JobContext
    from core.lab.runs import work_lab_runs
    from core.premiums.filters import PremiumFilters
    from core.premiums.saved_screens import save_screen

    with unit_of_work(committed_engine, write=True) as session:
        save_screen(session, "Puts", PremiumFilters())
        # as the track record stores it (core.track.record): a session per screen and quote date, written today
        # for quotes of START (an imported past chain), so the quote date decides, not when the row was written
        tracked = ScanSession(strategy="csp", screen_name="Puts", quote_date=START, status="COMPLETED")
        other = ScanSession(strategy="csp", screen_name="Calls", quote_date=START, status="COMPLETED")
        session.add_all([tracked, other])
        session.flush()
        for scan, strike in ((tracked, 150.0), (other, 999.0)):
            session.add(OpportunitySnapshot(
                opportunity_id=f"{scan.screen_name}|{START}|AAPL put", symbol="AAPL", strategy_type="csp",
                data={"screen": scan.screen_name, "quote_date": START.isoformat(), "symbol": "AAPL",
                      "option_type": "put", "strike": strike, "expiration_date": "2025-03-28", "premium": 321.0,
                      "iv": 0.3},
                expires_at=dt.datetime(2025, 3, 28, 21, tzinfo=dt.UTC), scan_session_id=scan.id,
            ))  # fmt: skip
    service.create_config(committed_engine, LOCAL_OPERATOR, "From snapshots", service.Rules(), screen="Puts")
    run = service.start_run(committed_engine, LOCAL_OPERATOR, "From snapshots", START, END, symbols=["AAPL", "MSFT"])
    context = JobContext(committed_engine, "worker-1", threading.Event(), dt.timedelta(seconds=60), 50)
    assert work_lab_runs(context) == 2
    finished = service.get_run(committed_engine, LOCAL_OPERATOR, run.id)
    assert finished.status == "completed"
    first = finished.results["trades"][0]
    assert (first["symbol"], first["strike"], first["premium"], first["source"]) == ("AAPL", 150.0, 321.0, "snapshot")
    assert first["opened_on"] == START.isoformat()
    assert finished.results["summary"]["snapshot_trades"] == 1
    assert all(t["source"] == "modelled" for t in finished.results["trades"][1:])
    assert work_lab_runs(context) == 0  # nothing left to claim


def test_expired_cache_rows_are_fetched_again(committed_engine):
    from sqlalchemy import update

    from core.premiums.filters import PremiumFilters

    service.create_config(committed_engine, LOCAL_OPERATOR, "Cache", service.Rules(), filters=PremiumFilters())
    first = service.work_inline(committed_engine, LOCAL_OPERATOR, service.start_run(
        committed_engine, LOCAL_OPERATOR, "Cache", START, END, symbols=["AAPL"]))  # fmt: skip
    with unit_of_work(committed_engine, write=True) as session:
        row = session.scalars(select(SandboxHistoricalCache)).one()
        assert row.expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(days=29)  # a past window: kept 30 days
        session.execute(update(SandboxHistoricalCache).values(
            data=[[START.isoformat(), 1.0]], expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)))  # fmt: skip
    again = service.work_inline(committed_engine, LOCAL_OPERATOR, service.start_run(
        committed_engine, LOCAL_OPERATOR, "Cache", START, END, symbols=["AAPL"]))  # fmt: skip
    assert again.results["trades"] == first.results["trades"]  # the stale row was replaced, not read
    with unit_of_work(committed_engine) as session:
        row = session.scalars(select(SandboxHistoricalCache)).one()
    assert len(row.data) > 100 and row.expires_at > dt.datetime.now(dt.UTC)


def test_a_window_without_history_fails_and_says_why(committed_engine):
    from core.premiums.filters import PremiumFilters

    service.create_config(committed_engine, LOCAL_OPERATOR, "Empty", service.Rules(), filters=PremiumFilters())
    run = service.start_run(committed_engine, LOCAL_OPERATOR, "Empty", START, END, symbols=["NOSUCHSYMBOL"])
    finished = service.work_inline(committed_engine, LOCAL_OPERATOR, run)
    assert finished.status == "failed"
    assert finished.results["message"] == "no daily history for any symbol in the window"

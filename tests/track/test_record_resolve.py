"""The track record on both databases: tracked screens recorded after a completed universe sync, once per quote
date; resolved from the expiry close, each P&L recomputed here from the recorded files (Cboe's SPY chain of
2023-09-14 and Yahoo's SPY daily closes) or from the synthetic market; unknown closes stay unresolved with a reason;
retention removes old records."""

from __future__ import annotations

import datetime as dt
import shutil

import pandas as pd
import pytest
from sqlalchemy import select

from core.auth import LOCAL_OPERATOR
from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import OpportunitySnapshot, ScanSession, Stock, SymbolDailyHistory
from core.jobs import health
from core.premiums import saved_screens
from core.premiums.filters import PremiumFilters
from core.providers import get_provider
from core.sync.requests import SyncRequest, enqueue_sync
from core.track import service
from core.track.record import record_after_sync
from core.track.resolve import resolve_due
from tests.support.track import QUOTED, SPY_PUTS, count, sync_all, track


def _cboe_puts(folder) -> pd.DataFrame:
    """The recorded file read independently: put symbol -> mid x 100."""
    frame = pd.read_csv(folder / "SPY_quotedata_2023-09-14.csv", skiprows=3)
    puts = frame[["Puts", "Bid.1", "Ask.1"]].rename(columns={"Puts": "contract", "Bid.1": "bid", "Ask.1": "ask"})
    return puts.assign(premium=(puts["bid"] + puts["ask"]) / 2 * 100).set_index("contract")


def test_recorded_spy_puts_resolve_from_the_recorded_closes(committed_engine, spy_folder):
    run_id = sync_all(committed_engine, ["SPY"], provider="csv", source=str(spy_folder), as_of=QUOTED)
    track(committed_engine, "spy puts", SPY_PUTS)
    [recorded] = record_after_sync(committed_engine)
    assert (recorded.screen, recorded.quote_date, recorded.status) == ("spy puts", QUOTED, "COMPLETED")
    assert record_after_sync(committed_engine) == []  # one session per screen and quote date
    with unit_of_work(committed_engine) as session:
        [row] = session.scalars(select(ScanSession)).all()
        assert (row.strategy, row.job_run_id, row.opportunities_found) == ("csp", run_id, recorded.opportunities)
    assert count(committed_engine, OpportunitySnapshot) == recorded.opportunities > 50

    # nothing has expired as of the quote date; by now everything has
    assert resolve_due(committed_engine, now=dt.datetime(2023, 9, 15, tzinfo=dt.UTC)).resolved == 0
    done = resolve_due(committed_engine)
    assert done.resolved + done.unresolved == recorded.opportunities and done.resolved > 0 and done.unresolved > 0

    frame = service.snapshots(committed_engine, LOCAL_OPERATOR, "spy puts")
    closes = pd.read_csv(spy_folder / "ohlcv/SPY.csv", index_col="Date", parse_dates=True)["Close"]
    premiums = _cboe_puts(spy_folder)
    with unit_of_work(committed_engine) as session:
        contracts = dict(session.execute(select(OpportunitySnapshot.id, OpportunitySnapshot.data)).all())
    by_strike = {(d["strike"], d["expiration_date"]): d["contract_symbol"] for d in contracts.values()}
    resolved = frame[frame["status"] == "resolved"]
    for row in resolved.itertuples():
        close = closes[pd.Timestamp(row.expiration_date)]
        premium = premiums.loc[by_strike[(row.strike, row.expiration_date.isoformat())], "premium"]
        assert row.premium == pytest.approx(premium)
        assert row.underlying_close == pytest.approx(close)
        assert row.pnl == pytest.approx(premium - max(row.strike - close, 0) * 100)
        assert row.outcome == ("assigned" if close < row.strike else "expired")
        assert row.realized_annualized == pytest.approx(row.pnl / (row.strike * 100) * 100 * 365 / row.dte)
    # worked by hand: the 450 put of 2023-10-06 (bid 4.27, ask 4.32 -> 429.50), SPY closed at 429.54 that day
    put = resolved[(resolved["strike"] == 450) & (resolved["expiration_date"] == dt.date(2023, 10, 6))].iloc[0]
    assert (put.outcome, round(put.pnl, 2), put.dte) == ("assigned", -1616.5, 22)

    # the daily file starts on 2023-10-03: earlier expiries stay unresolved and say why
    unresolved = frame[frame["status"] == "unresolved"]
    assert (unresolved["expiration_date"] < dt.date(2023, 10, 3)).all()
    assert unresolved["outcome"].isna().all()
    first = unresolved.sort_values("expiration_date").iloc[0]
    assert first.unresolved_reason == f"the provider has no daily close for SPY on {first.expiration_date}"
    # the fetched closes are cached in symbol_daily_history, stamped after the fact
    with unit_of_work(committed_engine) as session:
        cached = session.scalar(
            select(SymbolDailyHistory.close).where(
                SymbolDailyHistory.symbol == "SPY", SymbolDailyHistory.date == dt.date(2023, 10, 6)
            )
        )
    assert cached == pytest.approx(closes[pd.Timestamp("2023-10-06")])

    [record] = service.track_record(committed_engine, LOCAL_OPERATOR)
    assert (record.opportunities, record.resolved, record.open) == (len(frame), len(resolved), 0)
    assert record.win_rate == pytest.approx((resolved["pnl"] > 0).mean())
    assert record.worst_pnl == pytest.approx(resolved["pnl"].min())
    assert record.median_realized_annualized == pytest.approx(resolved["realized_annualized"].median())
    assert record.mean_promised_annualized == pytest.approx(resolved["promised_annualized"].mean())
    curve = service.cumulative_pnl(frame)
    assert curve["cumulative_pnl"].iloc[-1] == pytest.approx(resolved["pnl"].sum())


def test_synthetic_universe_resolved_against_the_synthetic_close(committed_engine):
    provider = get_provider("synthetic")
    symbols = provider.universe()[:12]
    as_of = dt.date(2026, 9, 1)
    sync_all(committed_engine, symbols, provider="synthetic", as_of=as_of)
    track(committed_engine, "near the money", PremiumFilters(strategy="csp", dte=(7, 45), delta=(0.35, 0.6)))
    track(committed_engine, "calls", PremiumFilters(strategy="cc", dte=(7, 45), delta=(0.2, 0.5)))
    recorded = {r.screen: r for r in record_after_sync(committed_engine)}
    assert set(recorded) == {"near the money", "calls"} and all(r.quote_date == as_of for r in recorded.values())
    resolve_due(committed_engine)
    outcomes = set()
    for name in recorded:
        frame = service.snapshots(committed_engine, LOCAL_OPERATOR, name)
        assert (frame["status"] == "resolved").all()  # every expiry is months past, the market knows each close
        for row in frame.itertuples():
            close = float(provider.history(row.symbol, row.expiration_date, row.expiration_date)["close"].iloc[0])
            intrinsic = max(row.strike - close, 0) if row.option_type == "put" else max(close - row.strike, 0)
            assert row.underlying_close == pytest.approx(close)
            assert row.pnl == pytest.approx(row.premium - intrinsic * 100)
            outcomes.add(row.outcome)
    assert outcomes >= {"assigned", "expired"}


def test_an_unusable_provider_leaves_snapshots_unresolved_with_its_reason(committed_engine, spy_folder):
    sync_all(committed_engine, ["SPY"], provider="csv", source=str(spy_folder), as_of=QUOTED)
    track(committed_engine, "spy puts", SPY_PUTS)
    record_after_sync(committed_engine)
    shutil.rmtree(spy_folder)  # the csv folder the sync read is gone
    done = resolve_due(committed_engine)
    assert done.resolved == 0 and done.unresolved > 0
    reasons = set(service.snapshots(committed_engine, LOCAL_OPERATOR, "spy puts")["unresolved_reason"])
    assert len(reasons) == 1 and reasons.pop().startswith("the provider 'csv' cannot be used: csv provider: ")


def test_no_tracked_screen_or_no_completed_universe_sync_records_nothing(committed_engine, spy_folder):
    track(committed_engine, "spy puts", SPY_PUTS)
    assert record_after_sync(committed_engine) == []  # no universe sync yet
    sync_all(committed_engine, ["SPY"], provider="csv", source=str(spy_folder), as_of=QUOTED)
    with unit_of_work(committed_engine, write=True) as session:
        saved_screens.set_tracked(session, "spy puts", False)
    assert record_after_sync(committed_engine) == []


def test_a_screen_that_cannot_run_records_a_failed_session_once(committed_engine, spy_folder):
    sync_all(committed_engine, ["SPY"], provider="csv", source=str(spy_folder), as_of=QUOTED)
    track(committed_engine, "gone", PremiumFilters(watchlist="deleted list"))
    [recorded] = record_after_sync(committed_engine)
    assert (recorded.status, recorded.opportunities) == ("FAILED", 0)
    assert record_after_sync(committed_engine) == []


def test_saving_a_tracked_screen_again_keeps_it_tracked(committed_engine):
    track(committed_engine, "weekly", PremiumFilters())
    with unit_of_work(committed_engine, write=True) as session:
        saved_screens.save_screen(session, "weekly", PremiumFilters(dte=(1, 9)))
    with unit_of_work(committed_engine) as session:
        assert saved_screens.tracked_screens(session) == {"weekly": PremiumFilters(dte=(1, 9))}


def test_retention_removes_snapshots_past_expiry_and_old_sessions(committed_engine, spy_folder):
    sync_all(committed_engine, ["SPY"], provider="csv", source=str(spy_folder), as_of=QUOTED)
    track(committed_engine, "spy puts", SPY_PUTS)
    record_after_sync(committed_engine)
    keep = health.Retention(
        history_days=3650,
        quarantine_days=90,
        job_days=30,
        resolved_error_days=30,
        heartbeat_days=7,
        track_record_days=3650,
    )
    assert health.housekeeping(committed_engine, keep)["opportunity_snapshots"] == 0  # expired in 2023: kept
    # snapshots of contracts that expired over 30 days ago go; the session began moments ago and stays
    short = health.Retention(**{**keep.__dict__, "track_record_days": 30})
    removed = health.housekeeping(committed_engine, short, utcnow())
    assert removed["opportunity_snapshots"] > 0 and removed["scan_sessions"] == 0
    assert count(committed_engine, OpportunitySnapshot) == 0


def test_a_draining_sidecar_records_the_tracked_screens_after_the_universe_sync_it_worked(committed_engine, db_url):
    from core.config import Settings
    from core.db.engine import create_db_engine
    from core.jobs.settings import SidecarSettings
    from core.jobs.sidecar import Sidecar
    from core.sidecar import job_kinds

    provider = get_provider("synthetic")
    with unit_of_work(committed_engine, write=True) as session:
        session.add_all(Stock(symbol=s, is_active=True) for s in provider.universe()[:5])
        enqueue_sync(session, SyncRequest(all_symbols=True, provider="synthetic", as_of=dt.date(2026, 11, 20)))
    track(committed_engine, "weekly puts", PremiumFilters(dte=(1, 14), delta=(0.1, 0.5)))
    engine = create_db_engine(db_url, sqlite_immediate=True)
    try:
        settings = SidecarSettings.from_settings(poll_seconds=0.05, lease_seconds=5, batch_size=10)
        assert Sidecar(engine, settings, job_kinds(Settings())).drain() == 0
    finally:
        engine.dispose()
    with unit_of_work(committed_engine) as session:
        [row] = session.scalars(select(ScanSession)).all()
        assert (row.screen_name, row.quote_date, row.status) == ("weekly puts", dt.date(2026, 11, 20), "COMPLETED")
        assert row.opportunities_found == count(committed_engine, OpportunitySnapshot) > 0


def test_snapshots_never_tried_go_before_those_whose_close_stays_unknown(committed_engine):
    provider = get_provider("synthetic")
    first, second = provider.universe()[:2]
    sync_all(committed_engine, [first, second], provider="synthetic", as_of=dt.date(2026, 9, 1))
    track(committed_engine, "puts", PremiumFilters(dte=(7, 45), delta=(0.1, 0.6)))
    record_after_sync(committed_engine)
    with unit_of_work(committed_engine, write=True) as session:  # the first symbol was tried before, in vain
        session.execute(
            OpportunitySnapshot.__table__.update()
            .where(OpportunitySnapshot.symbol == first)
            .values(unresolved_reason="the provider failed earlier")
        )
    assert resolve_due(committed_engine, max_symbols=1).resolved == 1  # one symbol a pass: the untried one
    frame = service.snapshots(committed_engine, LOCAL_OPERATOR, "puts")
    assert set(frame.loc[frame["status"] == "resolved", "symbol"]) == {second}
    assert resolve_due(committed_engine, max_symbols=1).resolved == 1

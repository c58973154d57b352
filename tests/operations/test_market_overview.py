"""The Overview's market view, on both databases, against hand-worked numbers: coverage by sector, quote ages by
market time, the IV regime, and IV-rank movers recomputed from the daily IV30 history (or, without a week of
history, today's highest ranks, flagged as such)."""

from __future__ import annotations

import datetime as dt

import pytest

from core.db.models import StockData, SymbolDailyHistory
from core.operations.market import market_overview
from tests import factories

NOW = dt.datetime(2026, 12, 1, 21, 0, tzinfo=dt.UTC)
N = dt.date(2026, 12, 1)


def _universe(session) -> None:
    rows = {  # symbol: sector, contracts, quote age, iv30, iv_rank
        "AAA": ("Technology", 40, dt.timedelta(minutes=5), 0.35, 80.0),
        "BBB": ("Technology", 0, None, None, None),  # no chain
        "CCC": ("Energy", 30, dt.timedelta(days=3), 0.30, 20.0),
        "DDD": (None, 10, None, None, None),  # a chain whose quote time is unknown, no sector
    }
    for symbol, (sector, contracts, age, iv30, rank) in rows.items():
        factories.stock(session, symbol=symbol, sector=sector)
        quote = NOW - age if age else None
        session.add(StockData(symbol=symbol, contracts=contracts, quote_time=quote, iv30=iv30, iv_rank=rank))
    session.flush()


def _history(session) -> None:
    points = {"AAA": {30: 0.20, 10: 0.40, 7: 0.30, 0: 0.35}, "CCC": {20: 0.50, 8: 0.30, 0: 0.30}}
    for symbol, by_age in points.items():
        for days, iv30 in by_age.items():
            session.add(SymbolDailyHistory(symbol=symbol, date=N - dt.timedelta(days=days), iv30=iv30))
    session.flush()


def test_coverage_quote_ages_and_iv_regime(session):
    _universe(session)
    view = market_overview(session, NOW)
    assert (view.symbols, view.with_chains) == (4, 3)
    sectors = view.by_sector.set_index("sector")
    assert sectors.loc["Technology", ["symbols", "with_chains"]].tolist() == [2, 1]
    assert sectors.loc["Technology", "coverage_pct"] == 50.0
    assert sectors.loc["Energy", "with_chains"] == 1 and sectors.loc["Unknown", "symbols"] == 1
    ages = dict(zip(view.quote_ages["age"], view.quote_ages["symbols"], strict=True))
    assert ages == {
        "under 15 min": 1,
        "15 min - 1 h": 0,
        "1 h - 1 day": 0,
        "1 - 7 days": 1,
        "over 7 days": 0,
        "no quote": 1,
    }
    assert view.newest_quote == NOW - dt.timedelta(minutes=5)
    assert view.median_iv_rank == 50.0  # (80 + 20) / 2
    assert abs(view.median_iv30 - 0.325) < 1e-12
    bins = dict(zip(view.iv_rank_histogram["iv_rank"], view.iv_rank_histogram["symbols"], strict=True))
    assert bins["70-80"] == 1 and bins["10-20"] == 1 and sum(bins.values()) == 2


def test_movers_compare_todays_rank_with_a_week_ago(session):
    _universe(session)
    _history(session)
    view = market_overview(session, NOW)
    assert view.movers_since == N - dt.timedelta(days=7)
    # AAA a week ago: 0.30 between its low 0.20 and high 0.40 -> 50; now 80 -> +30.
    # CCC's newest point on or before then is 8 days ago: 0.30 between 0.30 and 0.50 -> 0; now 20 -> +20.
    movers = view.movers.set_index("symbol")
    assert list(movers.index) == ["AAA", "CCC"]
    assert movers.loc["AAA", ["iv_rank_before", "change"]].tolist() == pytest.approx([50.0, 30.0])
    assert movers.loc["CCC", ["iv_rank_before", "change"]].tolist() == pytest.approx([0.0, 20.0])


def test_without_history_the_movers_are_todays_highest_ranks(session):
    _universe(session)
    view = market_overview(session, NOW)
    assert view.movers_since is None
    assert view.movers["symbol"].tolist() == ["AAA", "CCC"]
    assert view.movers["change"].isna().all()


def test_an_empty_universe_is_all_zeros(session):
    view = market_overview(session, NOW)
    assert (view.symbols, view.with_chains, view.newest_quote, view.median_iv_rank) == (0, 0, None, None)
    assert view.movers.empty and view.quote_ages["symbols"].sum() == 0


def test_the_rank_example_holds():
    import doctest

    from core.operations import market

    result = doctest.testmod(market)
    assert result.attempted > 0 and result.failed == 0

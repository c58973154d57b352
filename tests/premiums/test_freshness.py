"""Freshness is the quote time, never the write time: stale quotes are named, with the date to set (issue 12)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert

from core.db.base import utcnow
from core.db.models import Stock, StockData
from core.premiums.freshness import quote_freshness, trading_day

FRIDAY_QUOTE = dt.datetime(2023, 10, 20, 19, 59, tzinfo=dt.UTC)  # an imported 2023 snapshot, 15:59 New York


def _store(session, quote_time, symbol="OLD", contracts=40):
    session.execute(insert(Stock), [{"symbol": symbol, "name": symbol}])
    session.execute(
        insert(StockData),
        [{"symbol": symbol, "quote_time": quote_time, "contracts": contracts, "fetched_at": utcnow()}],
    )
    session.flush()


def test_a_snapshot_written_just_now_is_as_old_as_its_quotes(session):
    _store(session, FRIDAY_QUOTE)  # written a second ago (fetched_at), quoted in 2023
    fresh = quote_freshness(session, dt.date(2026, 12, 2))
    assert fresh.stale and fresh.quote_date == dt.date(2023, 10, 20)
    assert fresh.newest_quote == FRIDAY_QUOTE
    assert fresh.message().startswith("quotes are from 2023-10-20; set the as-of date to it")


def test_the_as_of_dates_trading_day_decides(session):
    _store(session, FRIDAY_QUOTE)
    assert not quote_freshness(session, dt.date(2023, 10, 20)).stale  # the quotes' own day
    assert not quote_freshness(session, dt.date(2023, 10, 22)).stale  # Sunday: Friday is the trading day
    monday = quote_freshness(session, dt.date(2023, 10, 23))
    assert monday.stale and monday.trading_day == dt.date(2023, 10, 23) and monday.message() != ""


def test_an_evening_quote_belongs_to_its_new_york_day(session):
    _store(session, dt.datetime(2023, 10, 21, 1, 30, tzinfo=dt.UTC))  # Friday 21:30 in New York
    assert quote_freshness(session, dt.date(2023, 10, 21)).quote_date == dt.date(2023, 10, 20)


def test_nothing_stored_is_not_stale(session):
    _store(session, FRIDAY_QUOTE, contracts=0)  # a symbol without a chain does not count
    fresh = quote_freshness(session, dt.date(2026, 12, 2))
    assert fresh.newest_quote is None and not fresh.stale and fresh.message() == ""


def test_trading_day_skips_the_weekend(session):
    assert trading_day(session, dt.date(2023, 10, 22)) == dt.date(2023, 10, 20)
    assert trading_day(session, dt.date(2023, 10, 20)) == dt.date(2023, 10, 20)

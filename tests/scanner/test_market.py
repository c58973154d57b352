"""Bars through the `ohlcv_daily` cache (refreshed at most daily) and option rows with their metrics."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from sqlalchemy import func, select, update

from core.clock import today_in_new_york
from core.db.base import utcnow
from core.db.models import OhlcvDaily, OhlcvFetch, StockData
from core.pricing.metrics import premium_metrics
from core.providers.base import ProviderError
from core.providers.synthetic import SyntheticProvider
from core.scanner.market import OHLCV, MarketData, _read_blocks, frame_block, option_rows
from tests import factories

AS_OF = dt.date(2026, 11, 20)
SYMBOLS = ["AAPL", "MSFT", "NVDA"]


class CountingProvider(SyntheticProvider):
    """The synthetic market, counting history calls; `fail` makes every call fail."""

    def __init__(self, **kw):
        super().__init__(as_of=AS_OF, n_symbols=200, **kw)
        self.calls: list[tuple[str, dt.date, dt.date]] = []
        self.fail = False

    def history(self, symbol, start, end):
        self.calls.append((symbol, start, end))
        if self.fail:
            raise ProviderError("provider down")
        return super().history(symbol, start, end)


@pytest.fixture
def provider():
    return CountingProvider()


def _market(engine, provider, **kw) -> MarketData:
    return MarketData(engine, "synthetic", as_of=AS_OF, provider_factory=lambda *a, **k: provider, **kw)


def test_bars_are_fetched_once_a_day_and_match_the_provider(committed_engine, provider):
    market = _market(committed_engine, provider)
    first, errors = market.bars(SYMBOLS)
    assert errors == {} and len(provider.calls) == 3
    again, _ = _market(committed_engine, provider).bars(SYMBOLS)
    assert len(provider.calls) == 3, "a second scan the same day must not refetch"
    direct = frame_block(provider.history("AAPL", AS_OF - dt.timedelta(days=400), AS_OF))
    assert np.array_equal(first["AAPL"], direct) and np.array_equal(again["AAPL"], direct)
    assert first["AAPL"].shape[0] == 6 and first["AAPL"].shape[1] > 250


def test_a_stale_cache_is_refreshed_from_its_last_bar_without_duplicates(committed_engine, provider):
    market = _market(committed_engine, provider)
    market.bars(["AAPL"])
    with committed_engine.begin() as conn:
        rows_before = conn.execute(select(func.count()).select_from(OhlcvDaily)).scalar_one()
        conn.execute(update(OhlcvFetch).values(fetched_at=utcnow() - dt.timedelta(days=1)))
    provider.calls.clear()
    market.bars(["AAPL"])
    [(symbol, start, end)] = provider.calls
    assert symbol == "AAPL" and end == AS_OF and (AS_OF - start).days < 30, "only the recent days are asked for"
    with committed_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(OhlcvDaily)).scalar_one() == rows_before


def test_a_failing_provider_leaves_the_stale_cache_in_use(committed_engine, provider):
    market = _market(committed_engine, provider)
    cached, _ = market.bars(["AAPL"])
    with committed_engine.begin() as conn:
        conn.execute(update(OhlcvFetch).values(fetched_at=utcnow() - dt.timedelta(days=2)))
    provider.fail = True
    blocks, errors = market.bars(["AAPL", "MSFT"])
    assert np.array_equal(blocks["AAPL"], cached["AAPL"])
    assert errors == {"MSFT": "no daily bars: provider down"}


def test_without_a_database_bars_come_straight_from_the_provider(provider):
    blocks, errors = _market(None, provider).bars(["AAPL", "NOPE"])
    assert set(blocks) == {"AAPL"} and "unknown symbol" in errors["NOPE"]


def test_read_only_never_writes(committed_engine, provider):
    blocks, errors = _market(committed_engine, provider, read_only=True).bars(["AAPL"])
    assert "AAPL" in blocks and errors == {}  # the synthetic market is computed, not fetched
    with committed_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(OhlcvDaily)).scalar_one() == 0


def test_csv_history_is_read_from_its_folder_and_not_cached(committed_engine, tmp_path):
    (tmp_path / "ohlcv").mkdir()
    today = today_in_new_york()
    lines = ["Date,Open,High,Low,Close,Volume"] + [
        f"{today - dt.timedelta(days=d)},{10 + d},{11 + d},{9 + d},{10.5 + d},{1000 + d}" for d in range(30, 0, -1)
    ]
    (tmp_path / "ohlcv" / "CSVX.csv").write_text("\n".join(lines) + "\n")
    blocks, errors = MarketData(committed_engine, "csv", source=str(tmp_path)).bars(["CSVX"])
    assert errors == {} and blocks["CSVX"].shape == (6, 30) and blocks["CSVX"][4, -1] == 11.5
    with committed_engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(OhlcvDaily)).scalar_one() == 0


def test_option_rows_carry_the_section_4_metrics(session):
    today = dt.date(2030, 1, 1)
    stock = factories.stock(session, symbol="OPTX", dividend_yield=0.01)
    session.add(StockData(symbol="OPTX", price=100.0, iv_rank=72.5, iv30=0.31))
    factories.premium(
        session,
        stock,
        expiration_date=dt.date(2030, 1, 31),
        option_type="put",
        strike_price=95.0,
        bid=1.9,
        ask=2.1,
        implied_volatility=0.3,
        delta=-0.25,
        underlying_price=100.0,
    )
    factories.premium(
        session,
        stock,
        expiration_date=dt.date(2030, 1, 31),
        option_type="call",
        strike_price=105.0,
        bid=0.0,
        ask=0.5,
        implied_volatility=0.3,
        underlying_price=100.0,
    )
    factories.premium(session, stock, expiration_date=dt.date(2029, 12, 1), option_type="put", strike_price=90.0)
    data = option_rows(session.connection(), ["OPTX", "NONE"], today, 0.04)
    optx = data["OPTX"]
    assert optx.spot == 100.0 and optx.extras["iv_rank"] == 72.5 and len(optx.rows) == 2  # the expired one is out
    put = next(r for r in optx.rows if r["option_type"] == "put")
    expected = premium_metrics(1.9, 2.1, 95.0, 100.0, 30, 0.3, 0.04, 0.01, "put")
    assert put["dte"] == 30 and put["strike"] == 95.0 and put["expiration_date"] == "2030-01-31"
    for name in ("mid", "premium", "monthly_return", "annualized_return", "breakeven", "cushion_pct", "prob_otm"):
        assert put[name] == pytest.approx(float(getattr(expected, name))), name
    call = next(r for r in optx.rows if r["option_type"] == "call")
    assert call["mid"] is None and call["monthly_return"] is None  # no tradable mid: nothing to rank on
    assert data["NONE"].rows == [] and data["NONE"].spot is None


def test_only_the_columns_a_scanner_names_are_read(committed_engine, provider):
    market = _market(committed_engine, provider)
    full, _ = market.bars(["AAPL"])
    some, _ = market.bars(["AAPL"], ("close", "volume"))
    assert np.array_equal(some["AAPL"][[0, 4, 5]], full["AAPL"][[0, 4, 5]])
    assert np.isnan(some["AAPL"][1:4]).all()


def test_a_scan_as_of_an_earlier_day_sees_no_later_bar_and_fetches_what_todays_fetch_missed(committed_engine, provider):
    today, errors = _market(committed_engine, provider).bars(["AAPL"])
    assert errors == {}
    earlier = AS_OF - dt.timedelta(days=600)  # before the 400-day window fetched for AS_OF
    calls = len(provider.calls)
    market = MarketData(committed_engine, "synthetic", as_of=earlier, provider_factory=lambda *a, **k: provider)
    past, errors = market.bars(["AAPL"])
    assert errors == {} and len(provider.calls) == calls + 1  # fetched today, but not that far back
    last_day = dt.date(1970, 1, 1) + dt.timedelta(days=int(past["AAPL"][0][-1]))
    assert last_day <= earlier < dt.date(1970, 1, 1) + dt.timedelta(days=int(today["AAPL"][0][-1]))
    assert (earlier - last_day).days <= 4  # the last session on or before that day


def _day(day: dt.date) -> float:
    return float((day - dt.date(1970, 1, 1)).days)


def test_the_bar_read_keeps_the_window_the_order_and_each_symbol_to_itself(session):
    """The cache read on both backends (one COPY per chunk on PostgreSQL, range reads on SQLite), hand-checked.

    Rows go in out of date order, with bars on both sides of the [start, end] window (the as-of bound), another
    provider's bars for the same symbol, a NULL close, and a symbol with no bars inside the window at all.
    """
    start, end = dt.date(2026, 11, 2), dt.date(2026, 11, 6)
    fetched = utcnow()

    def bar(symbol, day, close, provider="synthetic"):
        return OhlcvDaily(
            provider=provider, symbol=symbol, date=day, open=close - 1, high=close + 1, low=close - 2,
            close=close, volume=1000.0 + close, fetched_at=fetched,
        )  # fmt: skip

    session.add_all(
        [
            bar("BBB", dt.date(2026, 11, 6), 26.0),  # the as-of day itself is in
            bar("BBB", dt.date(2026, 11, 9), 29.0),  # after the as-of day: never seen
            bar("BBB", dt.date(2026, 11, 2), 22.0),  # the first day of the window is in
            bar("BBB", dt.date(2026, 10, 30), 20.0),  # before the window
            bar("BBB", dt.date(2026, 11, 4), 24.0, provider="yfinance"),  # another provider's cache
            bar("AAA", dt.date(2026, 11, 5), 15.0),
            bar("AAA", dt.date(2026, 11, 3), 13.0),
            bar("LATE", dt.date(2026, 11, 10), 50.0),  # only after the as-of day
        ]
    )
    session.add(
        OhlcvDaily(provider="synthetic", symbol="AAA", date=dt.date(2026, 11, 4), open=14.0, fetched_at=fetched)
    )
    session.flush()
    conn = session.connection()
    blocks = _read_blocks(conn, "synthetic", ["BBB", "NONE", "LATE", "AAA"], start, end, list(OHLCV))
    assert sorted(blocks) == ["AAA", "BBB"]
    assert blocks["BBB"][0].tolist() == [_day(dt.date(2026, 11, 2)), _day(dt.date(2026, 11, 6))]
    assert blocks["BBB"][1:].tolist() == [[21.0, 25.0], [23.0, 27.0], [20.0, 24.0], [22.0, 26.0], [1022.0, 1026.0]]
    aaa = blocks["AAA"]
    assert aaa[0].tolist() == [_day(dt.date(2026, 11, d)) for d in (3, 4, 5)]
    assert aaa[1].tolist() == [12.0, 14.0, 14.0]  # the open of the bar whose other values are NULL
    assert aaa[4, [0, 2]].tolist() == [13.0, 15.0] and np.isnan(aaa[2:, 1]).all()  # NULL is NaN
    closes = _read_blocks(conn, "synthetic", ["AAA", "BBB"], start, end, ["close"])
    assert np.array_equal(closes["BBB"][[0, 4]], blocks["BBB"][[0, 4]], equal_nan=True)
    assert np.isnan(closes["BBB"][[1, 2, 3, 5]]).all()  # columns not asked for stay NaN
    assert _read_blocks(conn, "synthetic", [], start, end, ["close"]) == {}

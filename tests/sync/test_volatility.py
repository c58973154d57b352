"""HV20 / HV60 at sync time: from the closes stored in symbol_daily_history, checked against a pandas
recomputation over what the database holds; and the synthetic market's ex-dividend dates reach `stocks`."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert, select

from core.db.base import utcnow
from core.db.models import Stock, StockData, SymbolDailyHistory
from core.providers.synthetic import SyntheticProvider
from core.sync import prepare, store
from tests.sync import chains


def _history(rng) -> list[dict]:
    """About five months of weekday closes before AS_OF, with a ten-day hole (no sync) and a row without a close."""
    days = pd.bdate_range(end=chains.AS_OF - dt.timedelta(days=1), periods=110).date
    days = [d for d in days if not dt.date(2025, 12, 1) <= d <= dt.date(2025, 12, 10)]
    walk = np.cumsum(rng.normal(0, 0.02, len(days)))
    closes = 100 * np.exp(walk - walk[-1])  # ends at the snapshot's spot (100), so the sync's return is small
    rows = [
        {"symbol": "TEST", "date": d, "close": float(c), "fetched_at": utcnow()}
        for d, c in zip(days, closes, strict=True)
    ]
    rows[-30]["close"] = None
    return rows


def _oracle(frame: pd.DataFrame, window: int) -> float:
    """Annualised stdev (ddof 1) of the last `window` log returns between stored closes one session apart."""
    frame = frame.dropna(subset=["close"]).sort_values("date")
    gap = pd.to_datetime(frame["date"]).diff().dt.days
    returns = np.log(frame["close"] / frame["close"].shift(1))[(gap >= 1) & (gap <= 4)]
    return float(returns.tail(window).std(ddof=1) * math.sqrt(252))


def test_hv20_and_hv60_from_the_stored_closes(committed_engine):
    with committed_engine.begin() as conn:
        conn.execute(insert(Stock), [{"symbol": "TEST"}])
        conn.execute(insert(SymbolDailyHistory), _history(np.random.default_rng(5)))
    snap = chains.snapshot([chains.row(100, t) for t in ("put", "call")])
    with committed_engine.begin() as conn:
        store.write(conn, [prepare.prepare(snap, fetched_at=utcnow(), risk_free_rate=chains.RATE)], [], utcnow())
    with committed_engine.connect() as conn:
        stored = pd.DataFrame(conn.execute(select(SymbolDailyHistory.date, SymbolDailyHistory.close)).all())
        state = conn.execute(select(StockData.hv20, StockData.hv60).where(StockData.symbol == "TEST")).one()
    assert chains.AS_OF in set(stored["date"]), "the sync's own close is part of the window"
    assert state.hv20 == pytest.approx(_oracle(stored, 20), rel=1e-9)
    assert state.hv60 == pytest.approx(_oracle(stored, 60), rel=1e-9)
    assert 0.2 < state.hv20 < 0.5  # 2 % daily moves: about 32 % a year


def test_too_little_daily_history_gives_no_hv(committed_engine):
    weekly = [
        {"symbol": "TEST", "date": chains.AS_OF - dt.timedelta(weeks=w), "close": 100.0 + w, "fetched_at": utcnow()}
        for w in range(1, 30)
    ]
    with committed_engine.begin() as conn:
        conn.execute(insert(Stock), [{"symbol": "TEST"}])
        conn.execute(insert(SymbolDailyHistory), weekly)
    snap = chains.snapshot([chains.row(100, t) for t in ("put", "call")])
    with committed_engine.begin() as conn:
        store.write(conn, [prepare.prepare(snap, fetched_at=utcnow(), risk_free_rate=chains.RATE)], [], utcnow())
    with committed_engine.connect() as conn:
        state = conn.execute(select(StockData.hv20, StockData.hv60)).one()
    assert (state.hv20, state.hv60) == (None, None)  # weekly closes are not daily returns


def test_synthetic_ex_dividend_dates_reach_stocks(session):
    as_of = dt.date(2026, 3, 16)
    provider = SyntheticProvider(seed=11, as_of=as_of, n_symbols=60)
    prepared = [
        prepare.prepare(s, fetched_at=utcnow(), risk_free_rate=0.04)
        for s in provider.snapshots(provider.universe()[:30])
    ]
    store.write(session.connection(), [p for p in prepared if len(p.contracts["strike_price"])], [], utcnow())
    rows = session.execute(select(Stock.symbol, Stock.dividend_yield, Stock.ex_dividend_date)).all()
    payers = [r for r in rows if r.dividend_yield]
    assert payers and all(as_of <= r.ex_dividend_date <= as_of + dt.timedelta(days=92) for r in payers)
    assert all(r.ex_dividend_date is None for r in rows if not r.dividend_yield)

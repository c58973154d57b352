"""normalise -> validate -> enrich -> write, on both databases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from core.db.base import utcnow
from core.db.models import StockData, StockPremium, SymbolDailyHistory
from core.pricing import bsm
from core.providers.base import ChainSnapshot, Profile
from core.sync import prepare, store
from tests.sync import chains

RATE = chains.RATE


def _years(c) -> np.ndarray:
    """Years from the quote to each row's expiry close (16:00 New York, EDT in April)."""
    close = dt.datetime.combine(chains.EXPIRY, dt.time(16), tzinfo=dt.timezone(dt.timedelta(hours=-4)))
    return np.full(len(c["strike_price"]), (close - chains.QUOTE_TIME).total_seconds() / (365 * 86400))


def _prepare(snap, fetched_at=None):
    return prepare.prepare(snap, fetched_at=fetched_at or utcnow(), risk_free_rate=chains.RATE)


def _write(engine, snaps, no_options=(), fetched_at=None):
    fetched_at = fetched_at or utcnow()
    with engine.begin() as conn:
        store.write(conn, [_prepare(s, fetched_at) for s in snaps], list(no_options), fetched_at)
    return fetched_at


def _stored(engine, symbol="TEST") -> pd.DataFrame:
    with engine.connect() as conn:
        rows = (
            conn.execute(
                select(StockPremium)
                .where(StockPremium.symbol == symbol)
                .order_by(StockPremium.option_type, StockPremium.strike_price)
            )
            .mappings()
            .all()
        )
    return pd.DataFrame([dict(r) for r in rows])


def test_placeholder_iv_is_solved_from_mid_and_greeks_follow():
    prepared = _prepare(chains.snapshot(chains.strikes(90, 95, 100) + chains.strikes(105, option_type="call")))
    c = prepared.contracts
    assert list(c["iv_source"]) == ["solved"] * 4
    # bid/ask are the fair value -/+ 2 %, so the mid is the fair value and the IV the pricing sigma
    assert np.allclose(c["implied_volatility"], chains.SIGMA, atol=1e-8)
    puts = c["option_type"] == "put"
    assert (c["delta"][puts] < 0).all() and (c["delta"][~puts] > 0).all()
    assert (c["theta"] < 0).all() and (c["vega"] > 0).all()
    assert np.allclose(c["premium"], c["mid"] * 100)


def test_provider_iv_is_kept_as_vendor_iv_and_never_feeds_a_greek():
    # the provider says 45 % where the mid implies SIGMA: ours is solved from the mid, theirs kept beside it
    prepared = _prepare(chains.snapshot([chains.row(95, iv=0.45), chains.row(90, iv=0.0), chains.row(85, iv=7.5)]))
    c = prepared.contracts
    ivs = dict(zip(c["strike_price"], c["implied_volatility"], strict=True))
    vendor = dict(zip(c["strike_price"], c["vendor_iv"], strict=True))
    assert list(c["iv_source"]) == ["solved"] * 3
    assert all(abs(v - chains.SIGMA) < 1e-8 for v in ivs.values())
    assert vendor[95.0] == 0.45 and vendor[85.0] == 7.5 and np.isnan(vendor[90.0])  # a 0 placeholder is no IV
    assert list(c["quality_flag"]) == [None] * 3  # a vendor's absurd IV does not flag a row whose mid is fine
    expected = bsm.greeks(c["underlying_price"], c["strike_price"], _years(c), chains.SIGMA, RATE, 0.0, "put")
    assert np.allclose(c["delta"], expected.delta, atol=1e-7)


def test_iv_is_solved_with_the_stocks_dividend_yield():
    # priced at SIGMA with a 3 % dividend yield: solving with the stock's yield gets SIGMA back exactly
    q, strikes = 0.03, (90.0, 100.0, 110.0)
    years = _years({"strike_price": strikes})[0]
    fair = [float(bsm.price(100.0, k, years, chains.SIGMA, RATE, q, True)) for k in strikes]
    rows = [chains.row(k, "call", bid=f, ask=f, iv=0.2) for k, f in zip(strikes, fair, strict=True)]
    snap = chains.snapshot(rows)
    snap = ChainSnapshot(snap.quote, Profile("TEST", dividend_yield=q), snap.expirations, snap.chain)
    c = _prepare(snap).contracts
    assert np.allclose(c["implied_volatility"], chains.SIGMA, atol=1e-8)
    assert np.allclose(c["delta"], bsm.greeks(100.0, np.array(strikes), years, chains.SIGMA, RATE, q, True).delta)


def test_no_tradable_mid_no_iv():
    prepared = _prepare(chains.snapshot([chains.row(95, bid=0.0, iv=0.45), chains.row(94, bid=2.0, ask=1.5)]))
    c = prepared.contracts
    assert np.isnan(c["implied_volatility"]).all() and np.isnan(c["delta"]).all()
    assert sorted(c["quality_flag"]) == ["ask_below_bid", "bid_not_positive"]


def test_each_quality_rule_is_counted_and_unkeyable_rows_are_dropped():
    rows = [
        chains.row(95),  # fine
        chains.row(94, bid=0.0),  # bid_not_positive
        chains.row(93, bid=2.0, ask=1.5),  # ask_below_bid
        chains.row(0.0, bid=1.0, ask=1.1),  # strike_not_positive -> dropped
        chains.row(92, expiry=chains.AS_OF),  # expired (expires today) -> dropped
        chains.row(91, bid=float("inf")),  # non_finite
        chains.row(97, option_type="straddle"),  # no readable option type -> dropped
        chains.row(98, bid="n/a", ask="-"),  # text in numeric columns -> non_finite
    ]
    prepared = _prepare(chains.snapshot(rows))
    assert prepared.quarantined == {
        "bid_not_positive": 1,
        "ask_below_bid": 1,
        "strike_not_positive": 1,
        "expired": 1,
        "non_finite": 2,
        "non_finite_key": 1,
    }
    flags = dict(zip(prepared.contracts["strike_price"], prepared.contracts["quality_flag"], strict=True))
    assert flags == {
        95.0: None,
        94.0: "bid_not_positive",
        93.0: "ask_below_bid",
        91.0: "non_finite",
        98.0: "non_finite",
    }


def test_duplicate_contract_rows_keep_the_last_quote():
    rows = [chains.row(95, bid=1.0, ask=1.2), chains.row(95, bid=1.1, ask=1.3)]
    prepared = _prepare(chains.snapshot(rows))
    assert prepared.stored == 1
    assert prepared.contracts["bid"][0] == 1.1


def test_same_snapshot_twice_stores_the_same_rows(committed_engine):
    snap = chains.snapshot(chains.strikes(90, 95, 100) + chains.strikes(100, 105, option_type="call"))
    _write(committed_engine, [snap])
    first = _stored(committed_engine)
    _write(committed_engine, [snap])
    second = _stored(committed_engine)
    assert len(first) == len(second) == 5
    assert list(first["id"]) == list(second["id"])
    cols = ["option_type", "strike_price", "bid", "ask", "implied_volatility", "delta", "quality_flag"]
    pd.testing.assert_frame_equal(first[cols], second[cols])
    assert first["fetched_at"].iloc[0].tzinfo is not None


def test_resync_updates_prices_in_place_and_drops_unlisted_contracts(committed_engine):
    _write(committed_engine, [chains.snapshot(chains.strikes(90, 95, 100))])
    before = _stored(committed_engine).set_index("strike_price")
    later = chains.QUOTE_TIME + dt.timedelta(days=3)
    moved = [chains.row(95, bid=4.0, ask=4.2), chains.row(100, bid=6.0, ask=6.4), chains.row(110, spot=98.0)]
    _write(committed_engine, [chains.snapshot(moved, spot=98.0, quote_time=later)])
    after = _stored(committed_engine).set_index("strike_price")
    assert sorted(after.index) == [95.0, 100.0, 110.0]  # 90 is no longer listed
    assert after.loc[95.0, "id"] == before.loc[95.0, "id"]
    assert after.loc[95.0, "bid"] == 4.0 and after.loc[100.0, "mid"] == 6.2
    assert after.loc[95.0, "underlying_price"] == 98.0
    assert after.loc[95.0, "quote_time"] == later
    with committed_engine.connect() as conn:  # NULL, not the text 'nan': only NULL rows are ranked
        unflagged = conn.execute(select(func.count()).where(StockPremium.quality_flag.is_(None))).scalar_one()
    assert unflagged == 3
    assert set(after["iv_source"]) == {"solved"} and after["contract_symbol"].str.startswith("TEST").all()


def test_no_options_clears_old_contracts_and_failed_symbols_keep_theirs(committed_engine):
    _write(
        committed_engine,
        [
            chains.snapshot(chains.strikes(90, 95), symbol="GONE"),
            chains.snapshot(chains.strikes(90, 95), symbol="KEEP"),
        ],
    )
    _write(committed_engine, [], no_options=["GONE"])
    assert _stored(committed_engine, "GONE").empty
    assert len(_stored(committed_engine, "KEEP")) == 2
    with committed_engine.connect() as conn:
        status = conn.execute(select(StockData.sync_status).where(StockData.symbol == "GONE")).scalar_one()
    assert status == "no_options"


def test_state_and_history_rows(committed_engine):
    expiries = [chains.AS_OF + dt.timedelta(days=d) for d in (14, 35, 63)]
    rows = [chains.row(k, t, expiry=e) for e in expiries for k in (95, 100, 105) for t in ("put", "call")]
    _write(committed_engine, [chains.snapshot(rows)])
    with committed_engine.connect() as conn:
        state = conn.execute(select(StockData).where(StockData.symbol == "TEST")).mappings().one()
        history = conn.execute(select(SymbolDailyHistory)).mappings().all()
    assert state["contracts"] == 18 and state["sync_status"] == "synced"
    assert abs(state["iv30"] - chains.SIGMA) < 1e-6  # flat vol: every interpolation gives the pricing sigma
    assert [(h["symbol"], h["date"]) for h in history] == [("TEST", chains.AS_OF)]
    assert history[0]["atm_put_mid_30d"] is not None and history[0]["close"] == 100.0


def test_iv_rank_from_own_history(committed_engine):
    for day, sigma_scale in ((0, 1.0), (1, 2.0), (2, 1.5)):
        quote_time = chains.QUOTE_TIME + dt.timedelta(days=day)
        sigma = chains.SIGMA * sigma_scale  # the mids carry the IV: ours is solved from them
        rows = [chains.row(100, t, sigma=sigma, quote_time=quote_time) for t in ("put", "call")]
        _write(committed_engine, [chains.snapshot(rows, quote_time=quote_time)])
    with committed_engine.connect() as conn:
        state = conn.execute(select(StockData.iv_rank, StockData.iv_percentile)).one()
    # iv30 went 0.30, 0.60, 0.45: today's 0.45 sits halfway between the low and the high, above one of two
    assert abs(state.iv_rank - 50.0) < 1e-9
    assert abs(state.iv_percentile - 50.0) < 1e-9


def test_mid_below_intrinsic_is_flagged_no_iv():
    # a deep in-the-money put quoted below its intrinsic value: no volatility explains it
    prepared = _prepare(chains.snapshot([chains.row(150, bid=40.0, ask=41.0), chains.row(95)]))
    flags = dict(zip(prepared.contracts["strike_price"], prepared.contracts["quality_flag"], strict=True))
    assert flags == {150.0: "no_iv", 95.0: None}
    assert prepared.quarantined == {"no_iv": 1}


def test_batch_preparation_equals_one_symbol_at_a_time():
    from core.providers.synthetic import SyntheticProvider

    provider = SyntheticProvider(seed=3, as_of=dt.date(2026, 11, 20))
    snaps = [provider.snapshot(s) for s in ("AAPL", "MSFT", "KO")]
    snaps.append(
        chains.snapshot(
            [
                chains.row(95),
                chains.row(95, bid=0.0),
                chains.row(0.0, bid=1.0, ask=1.1),
                chains.row(97, option_type="straddle"),
            ],
            symbol="ODD",
        )
    )
    fetched_at = utcnow()
    together = prepare.prepare_batch(snaps, fetched_at=fetched_at, risk_free_rate=0.04)
    for snap, batched in zip(snaps, together, strict=True):
        alone = prepare.prepare(snap, fetched_at=fetched_at, risk_free_rate=0.04)
        assert batched.symbol == alone.symbol and batched.quarantined == alone.quarantined
        assert batched.state == alone.state and batched.history == alone.history
        for name, values in alone.contracts.items():
            np.testing.assert_array_equal(batched.contracts[name], values, err_msg=name)

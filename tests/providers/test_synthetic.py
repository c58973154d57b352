"""The synthetic market: deterministic, realistic enough to demo and benchmark on, and honest to the interface."""

from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd
import pytest

from core.clock import NEW_YORK
from core.providers.base import CHAIN_COLUMNS, OHLCV_COLUMNS, NoOptions, SymbolNotFound
from core.providers.synthetic import SyntheticProvider
from core.providers.synthetic_chain import YAHOO_IV_PLACEHOLDER, black_scholes, norm_cdf
from core.providers.universe import SECTORS, build_universe

AS_OF = dt.date(2026, 11, 20)  # a Friday; the next session is Monday 23rd
NEXT_SESSION = dt.date(2026, 11, 23)
OCC = re.compile(r"^([A-Z]{1,5})(\d{6})([CP])(\d{8})$")


@pytest.fixture(scope="module")
def market() -> SyntheticProvider:
    return SyntheticProvider(seed=7, as_of=AS_OF)


@pytest.fixture(scope="module")
def chains(market) -> pd.DataFrame:
    """Every contract of the first 300 symbols, with the symbol and its spot."""
    frames = [
        s.chain.assign(symbol=s.quote.symbol, spot=s.quote.price)
        for s in market.snapshots(market.universe()[:300])
        if s.expirations
    ]
    out = pd.concat(frames, ignore_index=True)
    out["mid"] = (out.bid + out.ask) / 2
    return out


# ---- determinism ---------------------------------------------------------------------------------------
def test_same_seed_and_date_give_identical_answers(market):
    again = SyntheticProvider(seed=7, as_of=AS_OF)
    for symbol in ["AAPL", "KO", *market.universe()[600:1200:150]]:
        assert again.quote(symbol) == market.quote(symbol)
        assert again.profile(symbol) == market.profile(symbol)
        pd.testing.assert_frame_equal(again.snapshot(symbol).chain, market.snapshot(symbol).chain)
        pd.testing.assert_frame_equal(
            again.history(symbol, dt.date(2026, 1, 1), AS_OF), market.history(symbol, dt.date(2026, 1, 1), AS_OF)
        )


def test_a_different_seed_gives_a_different_market(market):
    other = SyntheticProvider(seed=8, as_of=AS_OF)
    assert other.universe()[:50] == market.universe()[:50]  # the real tickers come first whatever the seed
    assert other.universe()[50:] != market.universe()[50:]
    assert other.quote("AAPL").price != market.quote("AAPL").price


def test_prices_move_from_one_session_to_the_next(market):
    monday = SyntheticProvider(seed=7, as_of=NEXT_SESSION)
    symbols = market.universe()[:200]
    moved = [monday.quote(s).price != market.quote(s).price for s in symbols]
    assert np.mean(moved) > 0.9
    assert all(monday.quote(s).previous_close == market.quote(s).price for s in symbols)
    assert not monday.snapshot("AAPL").chain.equals(market.snapshot("AAPL").chain)


def test_a_weekend_as_of_shows_fridays_close(market):
    sunday = SyntheticProvider(seed=7, as_of=dt.date(2026, 11, 22))
    assert sunday.quote("MSFT") == market.quote("MSFT")
    assert min(sunday.expirations("MSFT")) > dt.date(2026, 11, 22)


def test_bulk_snapshots_match_one_at_a_time(market):
    symbols = market.universe()[::41]
    fresh = SyntheticProvider(seed=7, as_of=AS_OF)
    for snap in fresh.snapshots(symbols):
        if snap.expirations:
            pd.testing.assert_frame_equal(snap.chain, market.snapshot(snap.quote.symbol).chain)
        assert snap.quote == market.quote(snap.quote.symbol)


def test_bulk_snapshots_accept_repeats_and_keep_order(market):
    symbols = ["KO", "AAPL", "KO", market.universe()[500]]
    assert [s.quote.symbol for s in market.snapshots(symbols)] == symbols


def test_walking_the_universe_one_symbol_at_a_time_matches_bulk(market):
    # In-order single-symbol calls price blocks ahead (how a sync reads); the answers must not change.
    walker = SyntheticProvider(seed=7, as_of=AS_OF)
    symbols = market.universe()[100:260]
    bulk = {s.quote.symbol: s for s in market.snapshots(symbols)}
    for symbol in symbols:
        assert walker.quote(symbol) == bulk[symbol].quote
        if bulk[symbol].expirations:
            pd.testing.assert_frame_equal(walker.snapshot(symbol).chain, bulk[symbol].chain)


def test_universe_prefix_is_stable_across_sizes():
    small, big = build_universe(7, 300), build_universe(7, 6000)
    assert small.symbols == big.symbols[:300]
    assert np.array_equal(small.vol, big.vol[:300]) and small.names == big.names[:300]


# ---- the universe ----------------------------------------------------------------------------------------
def test_universe_is_large_unique_and_covers_every_sector(market):
    symbols = market.universe()
    assert len(symbols) >= 1200 and len(set(symbols)) == len(symbols)
    assert all(re.fullmatch(r"[A-Z]{1,5}", s) for s in symbols)
    assert {"AAPL", "MSFT", "KO"} <= set(symbols)
    profiles = [market.profile(s) for s in symbols]
    assert {p.sector for p in profiles} == set(SECTORS) and len(SECTORS) == 11
    assert all(p.industry in SECTORS[p.sector][0] for p in profiles)
    assert market.profile("AAPL").sector == "Information Technology"
    assert market.profile("KO").sector == "Consumer Staples"
    assert len(SyntheticProvider(as_of=AS_OF, n_symbols=6000).universe()) == 6000


def test_profiles_are_plausible(market):
    profiles = [market.profile(s) for s in market.universe()]
    caps = np.array([p.market_cap for p in profiles], dtype=float)
    assert caps.min() > 1e6 and caps.max() > 1e12 and 1e9 < np.median(caps) < 2e10
    yields = np.array([p.dividend_yield for p in profiles])
    assert 0.2 < np.mean(yields == 0) < 0.8
    assert 0.01 < np.median(yields[yields > 0]) < 0.04 and yields.max() <= 0.07
    assert all(p.avg_volume > 0 and p.exchange in ("NASDAQ", "NYSE") and p.name for p in profiles)
    days_to_report = np.array([(p.next_earnings - AS_OF).days for p in profiles])
    assert days_to_report.min() >= 0 and days_to_report.max() <= 100
    assert (days_to_report <= 14).sum() >= 20  # some report within the next two weeks


# ---- expirations -----------------------------------------------------------------------------------------
def test_expirations_are_weeklies_monthlies_and_leaps(market):
    expiries = market.expirations("AAPL")
    assert expiries == sorted(set(expiries)) and expiries[0] > AS_OF
    assert expiries[:6] == [
        dt.date(2026, 11, 27),
        dt.date(2026, 12, 4),
        dt.date(2026, 12, 11),
        dt.date(2026, 12, 18),
        dt.date(2026, 12, 24),
        dt.date(2026, 12, 31),
    ]  # holidays: Thu
    third_fridays = [d for d in expiries if d.weekday() == 4 and 15 <= d.day <= 21]
    assert len(third_fridays) >= 10
    assert dt.date(2027, 6, 17) in expiries  # Juneteenth falls on the third Friday of June 2027
    assert max(expiries) > AS_OF + dt.timedelta(days=600)
    assert 17 <= len(expiries) <= 22


# ---- chains ----------------------------------------------------------------------------------------------
def test_chain_has_yfinance_columns_and_types(market):
    expiry = market.expirations("AAPL")[2]
    frame = market.chain("AAPL", expiry)
    assert list(frame.columns) == [*CHAIN_COLUMNS, "option_type"]
    assert str(frame.lastTradeDate.dt.tz) == "UTC"
    assert frame.lastTradeDate.max() <= pd.Timestamp(market.quote("AAPL").quote_time)
    assert set(frame.option_type) == {"call", "put"}
    numeric = [
        "strike",
        "lastPrice",
        "bid",
        "ask",
        "change",
        "percentChange",
        "volume",
        "openInterest",
        "impliedVolatility",
    ]
    assert (frame[numeric].dtypes == "float64").all() and frame.inTheMoney.dtype == bool
    assert (frame.contractSize == "REGULAR").all() and (frame.currency == "USD").all()
    for row in frame.itertuples():
        root, yymmdd, cp, strike = OCC.match(row.contractSymbol).groups()
        assert root == "AAPL" and yymmdd == expiry.strftime("%y%m%d")
        assert cp == ("C" if row.option_type == "call" else "P") and int(strike) == round(row.strike * 1000)
    snap = market.snapshot("AAPL")
    assert list(snap.chain.columns) == [*CHAIN_COLUMNS, "option_type", "expiration"]
    pd.testing.assert_frame_equal(
        snap.chain[snap.chain.expiration == expiry].drop(columns="expiration").reset_index(drop=True), frame
    )
    with pytest.raises(ValueError):
        market.chain("AAPL", dt.date(2026, 11, 26))


def test_contract_symbols_are_occ_and_unique(chains):
    parts = chains.contractSymbol.str.extract(OCC.pattern)
    assert parts.notna().all().all() and chains.contractSymbol.is_unique
    assert (parts[0] == chains.symbol).all()
    assert (parts[1] == chains.expiration.map(lambda d: d.strftime("%y%m%d"))).all()
    assert (parts[2] == chains.option_type.str[0].str.upper()).all()
    assert (parts[3].astype(int) == (chains.strike * 1000).round().astype(int)).all()


def test_about_two_hundred_contracts_per_symbol(chains):
    per_symbol = chains.groupby("symbol").size()
    assert 150 <= per_symbol.mean() <= 250
    assert SyntheticProvider(as_of=AS_OF, strikes_per_expiry=10).snapshot("AAPL").chain.shape[0] > 400


def test_strikes_sit_on_an_exchange_grid(chains):
    assert (chains.strike > 0).all()
    assert np.allclose(chains.strike * 2, np.round(chains.strike * 2))  # multiples of 0.50
    steps = chains.groupby(["symbol", "expiration"]).strike.apply(lambda s: np.diff(np.unique(s)).min())
    assert set(steps.unique()) <= {0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0}


def test_in_the_money_matches_strike_versus_spot(chains):
    expected = np.where(chains.option_type == "call", chains.strike < chains.spot, chains.strike > chains.spot)
    assert (chains.inTheMoney == expected).all()


def test_quotes_are_sane(chains):
    assert (chains.bid >= 0).all() and (chains.ask > 0).all() and (chains.bid <= chains.ask).all()
    assert (chains.bid >= 0.01).mean() > 0.9  # a few far out-of-the-money contracts have no bid
    assert (chains.bid == 0).any()
    numeric = chains[["strike", "lastPrice", "bid", "ask", "change", "percentChange", "impliedVolatility"]]
    assert np.isfinite(numeric.to_numpy()).all()
    assert (chains.openInterest >= 0).all() and (chains.volume.dropna() > 0).all()
    assert 0.01 < chains.volume.isna().mean() < 0.5  # Yahoo leaves volume empty when nothing traded
    real_iv = chains.impliedVolatility[chains.impliedVolatility != YAHOO_IV_PLACEHOLDER]
    assert real_iv.between(0.05, 3.0).all()


def test_iv_placeholders_only_on_deep_in_the_money_contracts_and_can_be_turned_off(chains):
    placeholders = chains[chains.impliedVolatility == YAHOO_IV_PLACEHOLDER]
    assert 0 < len(placeholders) < 0.03 * len(chains) and placeholders.inTheMoney.all()
    clean = SyntheticProvider(as_of=AS_OF, quirks=False)
    frames = [s.chain for s in clean.snapshots(clean.universe()[:100])]
    assert all((f.impliedVolatility > 0.05).all() and f.volume.notna().all() for f in frames)
    assert any((f.volume == 0).any() for f in frames)


def _neighbours(frame: pd.DataFrame):
    """Each row next to the row one strike up in the same chain (symbol, expiry, type)."""
    keys = ["symbol", "expiration", "option_type"]
    frame = frame.sort_values([*keys, "strike"], ignore_index=True)
    up = frame.shift(-1)
    same = (frame[keys] == up[keys]).all(axis=1)
    return frame[same], up[same]


def test_prices_are_monotone_in_strike_and_free_of_vertical_arbitrage(chains):
    low, high = _neighbours(chains)
    gap, call = high.strike - low.strike, low.option_type == "call"
    # A lower-strike call is worth more, a lower-strike put less, by at most the strike gap: no bid/ask pair
    # across neighbouring strikes lets you buy one side of a vertical spread for less than it must pay.
    assert (low.ask[call] >= high.bid[call]).all() and (low.bid[call] - high.ask[call] <= gap[call] + 1e-9).all()
    assert (high.ask[~call] >= low.bid[~call]).all()
    assert (high.bid[~call] - low.ask[~call] <= gap[~call] + 1e-9).all()
    # Mids of two-sided quotes move the right way, give or take a tick of rounding on each side.
    low, high = _neighbours(chains[chains.bid > 0])
    steps = np.where(low.option_type == "call", low.mid - high.mid, high.mid - low.mid)
    assert (steps >= -0.1).all() and (steps >= -0.02).mean() > 0.99


def test_puts_show_skew(chains):
    puts = chains[(chains.option_type == "put") & (chains.impliedVolatility != YAHOO_IV_PLACEHOLDER)]
    puts = puts.assign(moneyness=puts.strike / puts.spot)
    keys = [puts.symbol, puts.expiration]
    atm = puts.loc[(puts.moneyness - 1).abs().groupby(keys).idxmin()].set_index(["symbol", "expiration"])
    otm = puts[puts.moneyness.between(0.75, 0.85)].groupby(["symbol", "expiration"]).impliedVolatility.first()
    assert len(otm) > 100
    assert (otm > atm.impliedVolatility.loc[otm.index]).all()


def test_term_structure_rises_with_expiry_in_calm_names(market):
    frame = market.snapshot("KO").chain
    frame = frame[frame.option_type == "call"]
    atm = frame.loc[(frame.strike - market.quote("KO").price).abs().groupby(frame.expiration).idxmin()]
    assert atm.impliedVolatility.iloc[-1] > atm.impliedVolatility.iloc[0]


def test_spreads_widen_and_open_interest_thins_away_from_the_money(chains):
    otm = chains[~chains.inTheMoney & (chains.mid > 0)]
    otm = otm.assign(dist=np.abs(np.log(otm.strike / otm.spot)), rel=(otm.ask - otm.bid) / otm.mid)
    grouped = otm.groupby(["symbol", "expiration", "option_type"]).dist
    several = grouped.transform("size") > 1
    near = otm.loc[otm[several].groupby(["symbol", "expiration", "option_type"]).dist.idxmin()]
    far = otm.loc[otm[several].groupby(["symbol", "expiration", "option_type"]).dist.idxmax()]
    assert (far.rel.to_numpy() > near.rel.to_numpy()).mean() > 0.8
    assert far.openInterest.sum() < 0.5 * near.openInterest.sum()


def test_liquidity_thins_with_time_and_with_size(chains, market):
    by_expiry = chains.groupby("expiration")[["openInterest", "volume"]].mean()
    leaps = by_expiry.index > AS_OF + dt.timedelta(days=400)
    assert by_expiry.volume[leaps].mean() < by_expiry.volume[~leaps].mean() / 3
    assert by_expiry.openInterest[leaps].mean() < by_expiry.openInterest[~leaps].mean()
    spread = (chains.ask - chains.bid) / chains.mid
    big = chains.symbol.map(lambda s: market.profile(s).market_cap > 1e11)
    assert spread[big].median() < spread[~big].median()


def test_pricing_helpers_match_the_textbook():
    x = np.linspace(-8, 8, 321)
    exact = np.array([0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    assert np.max(np.abs(norm_cdf(x) - exact) / np.maximum(exact, 1e-300)) < 2e-7
    call = black_scholes(np.array(True), 100.0, 95.0, 0.5, 0.04, 0.01, 0.3)
    put = black_scholes(np.array(False), 100.0, 95.0, 0.5, 0.04, 0.01, 0.3)
    assert call - put == pytest.approx(100 * math.exp(-0.005) - 95 * math.exp(-0.02), abs=1e-9)


# ---- quotes and history ----------------------------------------------------------------------------------
def test_quote_time_is_the_close_in_utc(market):
    assert market.quote("AAPL").quote_time == dt.datetime(2026, 11, 20, 21, 0, tzinfo=dt.UTC)
    summer = SyntheticProvider(as_of=dt.date(2026, 7, 15))
    assert summer.quote("AAPL").quote_time == dt.datetime(2026, 7, 15, 20, 0, tzinfo=dt.UTC)


def test_history_ends_at_the_quote_and_is_consistent(market):
    for symbol in ["AAPL", "O", *market.universe()[100:1200:220]]:
        hist = market.history(symbol, dt.date(2025, 1, 1), dt.date(2026, 12, 31))
        assert list(hist.columns) == list(OHLCV_COLUMNS) and isinstance(hist.index, pd.DatetimeIndex)
        assert (hist.dtypes == "float64").all() and hist.index.name == "date"
        assert hist.index.is_monotonic_increasing and hist.index[-1].date() == AS_OF
        assert hist.close.iloc[-1] == market.quote(symbol).price
        assert hist.close.iloc[-2] == market.quote(symbol).previous_close
        assert (hist.high >= hist[["open", "close"]].max(axis=1)).all()
        assert (hist.low <= hist[["open", "close"]].min(axis=1)).all()
        assert (hist.low > 0).all() and (hist.volume > 0).all()
        assert dt.date(2025, 12, 25) not in set(hist.index.date) and hist.index.day_of_week.max() <= 4


def test_history_windows_and_as_of_dates_agree(market):
    later = SyntheticProvider(seed=7, as_of=dt.date(2027, 6, 30))
    for symbol in ["MSFT", market.universe()[900]]:
        whole = market.history(symbol, dt.date(2015, 1, 1), AS_OF)
        part = market.history(symbol, dt.date(2026, 3, 1), dt.date(2026, 4, 30))
        pd.testing.assert_frame_equal(whole.loc[part.index], part)
        pd.testing.assert_frame_equal(later.history(symbol, dt.date(2015, 1, 1), AS_OF), whole)
    assert market.history("MSFT", dt.date(2026, 11, 21), dt.date(2026, 11, 22)).empty


# ---- outcomes ---------------------------------------------------------------------------------------------
def test_a_few_symbols_have_no_options(market):
    without = [s for s in market.universe() if not market._u.has_options[market._u.index[s]]]
    assert 0.005 < len(without) / len(market.universe()) < 0.04
    symbol = without[0]
    assert market.quote(symbol).price > 0 and market.profile(symbol).sector
    with pytest.raises(NoOptions):
        market.expirations(symbol)
    with pytest.raises(NoOptions):
        market.snapshot(symbol)
    (snap,) = market.snapshots([symbol])
    assert snap.expirations == [] and snap.chain.empty


def test_unknown_symbols_raise_symbol_not_found(market):
    for call in (market.quote, market.profile, market.expirations, market.snapshot):
        with pytest.raises(SymbolNotFound):
            call("NOPE1")
    with pytest.raises(SymbolNotFound):
        market.history("ZZZZZZ", dt.date(2026, 1, 1), AS_OF)
    with pytest.raises(SymbolNotFound):
        list(market.snapshots(["AAPL", "NOPE1"]))
    assert market.quote("aapl").symbol == "AAPL"


def test_a_quote_of_todays_session_is_never_stamped_after_it_is_given():
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    provider = SyntheticProvider(n_symbols=20)  # as of today in New York
    stamp = provider.quote(provider.universe()[0]).quote_time
    close = dt.datetime.combine(provider.market_date.item(), dt.time(16), NEW_YORK)
    if close <= before:  # the session has closed: its close
        assert stamp == close
    else:  # it has not: the moment of asking, not a close still to come
        assert before <= stamp <= dt.datetime.now(dt.UTC)
    past = SyntheticProvider(n_symbols=20, as_of=dt.date(2026, 11, 20))
    assert past.quote(past.universe()[0]).quote_time == dt.datetime(2026, 11, 20, 21, tzinfo=dt.UTC)

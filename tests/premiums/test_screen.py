"""DatabaseScanner against an independent pandas oracle, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from core.db.base import utcnow
from core.db.models import Stock, StockData, StockPremium, SymbolDailyHistory
from core.premiums.filters import RANK_KEYS, PremiumFilters
from core.premiums.screen import COLUMNS, DatabaseScanner, InvalidFilters, UnknownWatchlist
from core.providers.synthetic import SyntheticProvider
from core.sync import prepare, store
from tests.premiums import dataset
from tests.premiums.dataset import AS_OF, RATE

BASE = PremiumFilters(as_of=AS_OF)
NUMBERS = (
    "dte",
    "premium",
    "capital",
    "intrinsic",
    "extrinsic",
    "monthly_return",
    "annualized_return",
    "flat_return",
    "flat_annualized_return",
    "breakeven",
    "cushion_pct",
    "pct_otm",
    "if_called_return",
    "spread_pct",
    "prob_otm",
    "mid",
    "bid",
    "ask",
    "underlying_price",
    "vendor_iv",
    "iv_percentile",
    "hv20",
    "hv60",
    "iv_hv",
    "expected_move",
    "expected_move_pct",
    "market_cap",
)
FLAGS = ("earnings_before_expiry", "ex_dividend_before_expiry")

SCENARIOS = {
    "default put screen": {},
    "covered calls": {"strategy": "cc"},
    "all contracts": {"all_contracts": True, "delta": None},
    "no delta filter keeps NULL deltas": {"delta": None, "dte": (0, 400)},
    "liquidity (NULL volume and OI drop out)": {"min_volume": 50, "min_open_interest": 200, "max_spread_pct": 40.0},
    "price and IV in percent points": {"price": (20, 250), "iv": (25, 90), "delta": None},
    "premium and returns": {"min_premium": 50, "min_monthly_return": 1.0, "min_annualized_return": 15.0},
    "IV rank": {"min_iv_rank": 40, "delta": None},
    "sectors": {"sectors": ("Technology", "Energy"), "delta": None},
    "exclude earnings": {"exclude_earnings": True, "dte": (1, 100), "delta": None},
    "DTE from zero never ranks expiring today": {"dte": (0, 5), "delta": None},
    "small page": {"limit": 3, "delta": None},
    "later as-of moves DTE and expires contracts": {
        "as_of": AS_OF + dt.timedelta(days=10),
        "dte": (1, 60),
        "delta": None,
    },
    "conservative fill at the bid": {"price_basis": "bid", "delta": None},
    "HV20 and HV60 in percent points": {"hv20": (20, 70), "hv60": (15, 80), "delta": None},
    "IV over HV20": {"iv_hv": (0.8, 2.5), "delta": None},
    "IV percentile": {"min_iv_percentile": 30, "delta": None},
    "expected move in percent of spot": {"expected_move_pct": (4, 15), "delta": None, "dte": (1, 100)},
    "market cap in billions": {"market_cap": (5, 500), "delta": None},
    "covered calls without an ex-dividend date before expiry": {
        "strategy": "cc",
        "exclude_ex_dividend": True,
        "dte": (1, 100),
        "delta": None,
    },
    "ex-dividend filter leaves puts alone": {"exclude_ex_dividend": True, "dte": (1, 100), "delta": None},
    "covered calls at the bid": {"strategy": "cc", "price_basis": "bid", "rank_by": "cushion_pct", "delta": None},
    **{f"rank by {key}": {"rank_by": key, "delta": None} for key in RANK_KEYS},
    **{f"calls ranked by {key}": {"strategy": "cc", "rank_by": key, "delta": (0.1, 0.6)} for key in RANK_KEYS},
}


@pytest.fixture
def data(session) -> dataset.Dataset:
    rows = dataset.build()
    dataset.insert_dataset(session, rows)
    dataset.add_watchlists(session)
    return rows


@pytest.fixture
def scanner(session) -> DatabaseScanner:
    return DatabaseScanner(session, risk_free_rate=RATE)


def assert_matches(actual: pd.DataFrame, wanted: pd.DataFrame) -> None:
    got = list(zip(actual.symbol, actual.expiration_date, actual.strike, strict=True))
    want = list(zip(wanted.symbol, wanted.expiration_date, wanted.strike_price, strict=True))
    assert got == want
    for name in NUMBERS:
        np.testing.assert_allclose(
            actual[name].to_numpy(dtype="float64", na_value=np.nan),
            wanted[name].to_numpy(dtype="float64"),
            rtol=1e-9,
            equal_nan=True,
            err_msg=name,
        )
    for name in FLAGS:
        assert list(actual[name]) == list(wanted[name]), name
    np.testing.assert_array_equal(actual.volume.to_numpy(dtype="float64", na_value=np.nan), wanted.volume)
    assert list(actual.sector.fillna("-")) == list(wanted.sector.fillna("-"))


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_screen_matches_the_oracle(scanner, data, scenario):
    f = dataclasses.replace(BASE, **SCENARIOS[scenario])
    wanted = dataset.expected(data, f)
    assert len(wanted) > 0, "the scenario must select something to be a test"
    actual = scanner.best_per_symbol(f)
    assert_matches(actual, wanted)
    if not f.all_contracts:
        assert actual.symbol.is_unique
        uncut = dataclasses.replace(f, limit=10_000)  # every symbol that passes, not just the page
        assert len(scanner.best_per_symbol(uncut)) == len(dataset.expected(data, uncut))


@pytest.mark.parametrize("name", ["wheel", "tv-only", "empty"])
def test_watchlist_filter_reads_fluxscan_then_tradingview_lists(scanner, data, name):
    f = dataclasses.replace(BASE, watchlist=name, delta=None, dte=(1, 100))
    wanted = dataset.expected(data, f, watchlist=dataset.WATCHLISTS[name])
    assert_matches(scanner.best_per_symbol(f), wanted)
    assert (len(wanted) > 0) == (name != "empty")


def test_unknown_watchlist_is_a_clear_error(scanner, data):
    with pytest.raises(UnknownWatchlist, match="no watchlist named 'nope'") as err:
        scanner.best_per_symbol(dataclasses.replace(BASE, watchlist="nope"))
    assert err.value.field == "watchlist" and isinstance(err.value, ValueError)


def test_ties_break_by_expiry_then_strike_then_symbol(scanner, data):
    # TIEA's strike 100 @ 1.00 and 200 @ 2.00 earn exactly the same per dollar of capital; TIEB is TIEA's twin;
    # TIEA's flagged strike 105 quoted 0 x 9 would top every ranking if flags were ignored.
    f = dataclasses.replace(BASE, sectors=("Utilities",))
    frame = scanner.best_per_symbol(f)
    assert list(zip(frame.symbol, frame.strike, strict=True)) == [("TIEA", 100.0), ("TIEB", 100.0)]
    assert frame.annualized_return.iloc[0] == frame.annualized_return.iloc[1]
    every = scanner.best_per_symbol(dataclasses.replace(f, all_contracts=True))
    assert list(zip(every.symbol, every.strike, strict=True)) == [
        ("TIEA", 100.0),
        ("TIEA", 200.0),
        ("TIEB", 100.0),
        ("TIEB", 200.0),
    ]


def test_unrankable_rows_never_appear(scanner, data, session):
    f = dataclasses.replace(BASE, all_contracts=True, delta=None, dte=(0, 10_000), limit=10_000)
    rows = pd.concat([scanner.best_per_symbol(f), scanner.best_per_symbol(dataclasses.replace(f, strategy="cc"))])
    stored = data.contracts
    bad = stored[
        stored.quality_flag.notna()
        | stored.mid.isna()
        | stored.underlying_price.isna()
        | (stored.expiration_date <= AS_OF)
    ]
    assert len(bad) > 20
    shown = set(zip(rows.symbol, rows.expiration_date, rows.option_type, rows.strike, strict=True))
    assert not shown & set(zip(bad.symbol, bad.expiration_date, bad.option_type, bad.strike_price, strict=True))
    assert (rows.dte > 0).all()
    assert len(rows) == len(stored) - len(bad)


def test_as_of_moves_dte_and_returns(scanner, data):
    f = dataclasses.replace(BASE, sectors=("Utilities",))
    now, later = (
        scanner.best_per_symbol(f),
        scanner.best_per_symbol(dataclasses.replace(f, as_of=AS_OF + dt.timedelta(days=8))),
    )
    assert list(now.dte) == [18, 18] and list(later.dte) == [10, 10]
    assert later.annualized_return.iloc[0] == pytest.approx(now.annualized_return.iloc[0] * 18 / 10)
    assert later.attrs["as_of"] == AS_OF + dt.timedelta(days=8)


def test_output_columns_units_and_types(scanner, data):
    frame = scanner.best_per_symbol(BASE)
    assert tuple(frame.columns) == COLUMNS
    assert str(frame.fetched_at.dtype) == "datetime64[us, UTC]"
    assert (frame.fetched_at == pd.Timestamp(dataset.FETCHED_AT)).all()
    assert all(isinstance(d, dt.date) for d in frame.expiration_date)
    assert (frame.iv.dropna() < 5).all(), "iv is a fraction, not percent points"
    assert (frame.delta < 0).all(), "put deltas keep their sign in the output"
    assert np.allclose(frame.premium, frame.mid * 100)
    assert frame.prob_otm.dropna().between(0, 1).all() and frame.prob_otm.notna().sum() > 10
    assert frame.attrs["rank_by"] == "flat_annualized_return"


def test_empty_database_gives_empty_frame_with_columns(scanner):
    frame = scanner.best_per_symbol(BASE)
    assert frame.empty and tuple(frame.columns) == COLUMNS


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"dte": (10, 5)}, "dte"),
        ({"dte": (-1, 5)}, "dte"),
        ({"dte": None}, "dte"),
        ({"delta": (0.4, 0.2)}, "delta"),
        ({"delta": (0.25, 40)}, "delta"),
        ({"price": (50, float("nan"))}, "price"),
        ({"iv": (60, 20)}, "iv"),
        ({"limit": -1}, "limit"),
        ({"limit": 0}, "limit"),
        ({"min_volume": -5}, "min_volume"),
        ({"min_premium": "lots"}, "min_premium"),
        ({"min_iv_rank": 101}, "min_iv_rank"),
        ({"rank_by": "strike_price DESC; DROP TABLE stocks"}, "rank_by"),
        ({"strategy": "straddle"}, "strategy"),
        ({"price_basis": "last"}, "price_basis"),
        ({"sectors": "Energy"}, "sectors"),
        ({"market_cap": (50, 5)}, "market_cap"),
        ({"hv20": (-1, 30)}, "hv20"),
        ({"iv_hv": (1, float("inf"))}, "iv_hv"),
        ({"expected_move_pct": 5}, "expected_move_pct"),
        ({"min_iv_percentile": 120}, "min_iv_percentile"),
        ({"exclude_ex_dividend": "yes"}, "exclude_ex_dividend"),
    ],
)
def test_bad_filters_name_the_field(scanner, changes, field):
    with pytest.raises(InvalidFilters) as err:
        scanner.best_per_symbol(dataclasses.replace(BASE, **changes))
    assert err.value.field == field and field in str(err.value)


def test_user_text_travels_as_bound_values(scanner, data):
    hostile = "Energy') OR 1=1 --"
    f = dataclasses.replace(BASE, sectors=(hostile,), watchlist="wheel")
    assert scanner.best_per_symbol(f).empty
    assert scanner.best_per_symbol(dataclasses.replace(f, all_contracts=True)).empty


def test_scanner_never_commits(scanner, data, session, monkeypatch):
    def refuse():
        raise AssertionError("a manager must not commit")

    monkeypatch.setattr(session, "commit", refuse)
    scanner.best_per_symbol(BASE)
    scanner.best_per_symbol(dataclasses.replace(BASE, all_contracts=True))


def test_contract_chain_around_the_money_includes_flagged_rows(scanner, data):
    tiea = scanner.contract_chain("tiea", AS_OF + dt.timedelta(days=18), strikes=2, as_of=AS_OF)
    assert list(tiea.strike) == [100.0, 105.0]  # nearest the 110 quote, sorted by strike
    assert tiea.quality_flag.isna().tolist() == [True, False] and tiea.quality_flag.iloc[1] == "bid_not_positive"
    assert (tiea.dte == 18).all()
    full = scanner.contract_chain(
        "R01", data.contracts.query("symbol == 'R01'").expiration_date.iloc[0], strikes=None, as_of=AS_OF
    )
    assert set(full.option_type) == {"put", "call"} and len(full) == 8
    assert full.sort_values(["option_type", "strike"]).strike.tolist() == full.strike.tolist()
    assert scanner.expirations("TIEA", as_of=AS_OF) == [AS_OF + dt.timedelta(days=18)]


def test_a_chain_row_without_a_mid_has_no_time_value(scanner, data):
    c = data.contracts
    row = c[c.mid.isna() & c.underlying_price.notna() & (c.expiration_date > AS_OF)].iloc[0]
    chain = scanner.contract_chain(row.symbol, row.expiration_date, strikes=None, as_of=AS_OF)
    mine = chain[(chain.option_type == row.option_type) & (chain.strike == row.strike_price)].iloc[0]
    assert np.isnan(mine.mid) and np.isnan(mine.extrinsic) and np.isnan(mine.flat_return)
    assert mine.intrinsic >= 0  # the stock and strike alone decide the intrinsic value


def test_symbol_history_reads_the_daily_rows(scanner, data, session):
    session.add_all(
        [
            SymbolDailyHistory(
                symbol="TIEA", date=AS_OF - dt.timedelta(days=n), close=100.0 + n, iv30=0.3, fetched_at=utcnow()
            )
            for n in range(5)
        ]
    )
    session.flush()
    history = scanner.symbol_history("TIEA", days=3, as_of=AS_OF)
    assert list(history.date) == [AS_OF - dt.timedelta(days=n) for n in (2, 1, 0)]
    assert list(history.close) == [102.0, 101.0, 100.0]


def test_synthetic_sync_then_screen(session):
    """One realistic case: the synthetic market through core.sync.prepare and store, then the screen vs the oracle."""
    as_of = dt.date(2026, 3, 16)
    provider = SyntheticProvider(seed=11, as_of=as_of, n_symbols=40)
    fetched_at = utcnow()
    prepared = [
        prepare.prepare(s, fetched_at=fetched_at, risk_free_rate=RATE)
        for s in provider.snapshots(provider.universe()[:12])
        if len(s.chain)
    ]
    store.write(session.connection(), prepared, [], fetched_at)
    flags = set(session.execute(select(StockPremium.quality_flag).distinct()).scalars())
    assert flags - {None} <= {
        "bid_not_positive",
        "ask_below_bid",
        "no_iv",
        "iv_out_of_bounds",
        "non_finite",
        "no_underlying_price",
    }, f"sync stored unexpected quality flags {flags}"

    stored = dataset.Dataset(
        pd.DataFrame(
            [
                dict(r)
                for r in session.execute(
                    select(
                        Stock.symbol,
                        Stock.sector,
                        Stock.next_earnings_date,
                        Stock.dividend_yield,
                        Stock.ex_dividend_date,
                        Stock.market_cap,
                    )
                ).mappings()
            ]
        ),
        pd.DataFrame(
            [
                dict(r)
                for r in session.execute(
                    select(StockData.symbol, StockData.iv_rank, StockData.iv_percentile, StockData.hv20, StockData.hv60)
                ).mappings()
            ]
        ),
        pd.DataFrame([dict(r) for r in session.execute(select(StockPremium.__table__)).mappings()]),
    )
    scanner = DatabaseScanner(session, risk_free_rate=RATE)
    for f in (
        PremiumFilters(as_of=as_of),
        PremiumFilters(as_of=as_of, strategy="cc", exclude_earnings=True),
        PremiumFilters(as_of=as_of, strategy="cc", exclude_ex_dividend=True, dte=(1, 120), delta=None),
        PremiumFilters(as_of=as_of, all_contracts=True, min_volume=1, rank_by="premium", limit=40),
    ):
        wanted = dataset.expected(stored, f)
        assert len(wanted) > 0
        assert_matches(scanner.best_per_symbol(f), wanted)


def test_saved_screen_round_trip_and_empty_sector_list(scanner, data):
    f = dataclasses.replace(BASE, sectors=("Technology",), delta=None, min_volume=1)
    saved = PremiumFilters.from_json(json.loads(json.dumps(f.to_json())))
    assert_matches(scanner.best_per_symbol(saved), dataset.expected(data, f))
    added = dataclasses.replace(BASE, delta=None, hv20=(10, 90), market_cap=(1, 900), exclude_ex_dividend=True)
    assert PremiumFilters.from_json(json.loads(json.dumps(added.to_json()))) == added  # ranges come back as tuples
    no_sectors = dataclasses.replace(BASE, sectors=[])  # a page may pass an empty list: no sector filter
    assert_matches(scanner.best_per_symbol(no_sectors), dataset.expected(data, BASE))


def test_deep_in_the_money_no_longer_tops_the_screen(scanner, session):
    # issue 12: a $65 put on a $49.48 stock earned "868 %" on the seed's formula, and about nothing if the stock
    # stays put; ranked on time value the out-of-the-money put wins
    session.add(Stock(symbol="ITM", name="Deep", sector="Energy"))
    session.flush()
    expiry = AS_OF + dt.timedelta(days=30)
    base = {"symbol": "ITM", "expiration_date": expiry, "option_type": "put", "underlying_price": 49.48}
    session.add_all(
        [
            StockPremium(**base, strike_price=65.0, bid=15.40, ask=15.80, mid=15.60, delta=-0.97),
            StockPremium(**base, strike_price=47.5, bid=0.95, ask=1.05, mid=1.00, delta=-0.30),
        ]
    )
    session.flush()
    wide = dataclasses.replace(BASE, delta=(0.0, 1.0), sectors=("Energy",), all_contracts=True)
    by_flat = scanner.best_per_symbol(wide).set_index("strike")
    assert list(by_flat.index) == [47.5, 65.0]
    deep = by_flat.loc[65.0]
    assert deep.intrinsic == pytest.approx(1552.0) and deep.extrinsic == pytest.approx(8.0)
    assert deep.flat_annualized_return == pytest.approx(8 / 6500 * 100 * 365 / 30)
    assert deep.annualized_return == pytest.approx(292.0)
    by_seed = scanner.best_per_symbol(dataclasses.replace(wide, rank_by="annualized_return"))
    assert list(by_seed.strike) == [65.0, 47.5]  # what the old default showed first

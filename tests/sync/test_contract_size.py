"""The contract size a chain row carries (`contractSize`) into the prepared contract, its premium and its stock."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from core.sync import prepare
from tests.sync.chains import EXPIRY, RATE, row, snapshot

FETCHED = dt.datetime(2026, 3, 13, 21, 0, tzinfo=dt.UTC)
LATER = EXPIRY + dt.timedelta(days=28)


def test_contract_sizes_read_lot_sizes_and_default_to_100():
    chain = pd.DataFrame({"contractSize": ["REGULAR", "50", 75.0, None, "MINI?", 2.5, 0, -25]})
    assert prepare.contract_sizes(chain).tolist() == [100, 50, 75, 100, 100, 100, 100, 100]
    assert prepare.contract_sizes(pd.DataFrame({"strike": [1.0]})).tolist() == [100]  # no column at all
    assert prepare.contract_sizes(pd.DataFrame({"contractSize": [50.0, np.nan]})).tolist() == [50, 100]


def test_premium_is_mid_times_the_rows_size_and_the_stock_takes_the_nearest_expirys():
    rows = [row(95.0, contractSize=50), row(100.0, contractSize=50), row(95.0, expiry=LATER, contractSize=25)]
    prepared = prepare.prepare(snapshot(rows), fetched_at=FETCHED, risk_free_rate=RATE)
    sizes = prepared.contracts["contract_size"]
    assert sizes.tolist() == [50, 50, 25]
    assert np.allclose(prepared.contracts["premium"], prepared.contracts["mid"] * sizes)
    assert prepared.stock["contract_size"] == 50  # a revised lot on a later expiry does not change the symbol's


def test_us_chains_stay_at_100():
    prepared = prepare.prepare(snapshot([row(95.0), row(100.0)]), fetched_at=FETCHED, risk_free_rate=RATE)
    assert prepared.contracts["contract_size"].tolist() == [100, 100] and prepared.stock["contract_size"] == 100
    assert np.allclose(prepared.contracts["premium"], prepared.contracts["mid"] * 100)

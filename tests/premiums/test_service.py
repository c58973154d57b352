"""core.premiums.service, what the Scan Premiums page calls: choices, the screen, a row in depth, saved screens."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import update

from core.db.engine import unit_of_work
from core.db.models import StockData
from core.premiums import service
from core.premiums.filters import PremiumFilters
from core.premiums.service import InvalidFilters, ScreenError, Trade
from core.premiums.symbol_detail import payoff_at_expiry
from tests.premiums import dataset
from tests.premiums.dataset import AS_OF
from tests.support.actors import TRADER

BASE = PremiumFilters(as_of=AS_OF)


@pytest.fixture
def data(committed_engine) -> dataset.Dataset:
    rows = dataset.build()
    with unit_of_work(committed_engine, write=True) as session:
        dataset.insert_dataset(session, rows)
        dataset.add_watchlists(session)
    return rows


def test_choices_list_sectors_watchlists_and_synced_symbols(committed_engine, data):
    assert service.choices(committed_engine, TRADER).synced == 0  # no sync has stored a chain yet: the page says so
    synced = list(data.stock_data.symbol[:2])
    with unit_of_work(committed_engine, write=True) as session:
        session.execute(update(StockData).where(StockData.symbol.in_(synced)).values(contracts=40))
    choices = service.choices(committed_engine, TRADER)
    assert choices.sectors == sorted({s for s in data.stocks.sector if isinstance(s, str)})
    assert choices.watchlists == ["empty", "wheel"]  # the lists the page edits (FluxScan's table)
    assert choices.synced == 2


def test_the_screen_is_the_screen_and_bad_filters_name_their_field(committed_engine, data):
    frame = service.best_per_symbol(committed_engine, TRADER, BASE)
    wanted = dataset.expected(data, BASE)
    assert list(frame.symbol) == list(wanted.symbol) and len(frame) > 0
    with pytest.raises(InvalidFilters, match="dte"):
        service.best_per_symbol(committed_engine, TRADER, dataclasses.replace(BASE, dte=(30, 7)))


def test_a_row_in_depth(committed_engine, data):
    row = service.best_per_symbol(committed_engine, TRADER, BASE).iloc[0]
    trade = Trade(
        row.symbol, "csp", row.expiration_date, float(row.strike), float(row.mid), float(row.underlying_price)
    )
    detail = service.detail(committed_engine, TRADER, trade, as_of=AS_OF)
    assert trade.strike in set(detail.chain.strike) and set(detail.chain.option_type) <= {"put", "call"}
    assert detail.breakeven == pytest.approx(trade.strike - trade.mid)
    # the provider's IV is shown beside ours, row for row, as stored
    stored = data.contracts.set_index(["symbol", "expiration_date", "option_type", "strike_price"]).vendor_iv
    for r in detail.chain.itertuples():
        want = stored.loc[(trade.symbol, trade.expiration_date, r.option_type, r.strike)]
        assert (pd.isna(want) and pd.isna(r.vendor_iv)) or r.vendor_iv == want
    assert payoff_at_expiry(trade, np.array([detail.breakeven]))[0] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize("strategy", ["csp", "cc"])
def test_table_and_detail_agree_on_breakeven_and_cushion(committed_engine, data, strategy):
    # one definition: the covered call's breakeven is the stock less the premium in both places (issue 12)
    frame = service.best_per_symbol(committed_engine, TRADER, dataclasses.replace(BASE, strategy=strategy, delta=None))
    for row in frame.head(5).itertuples():
        trade = Trade(row.symbol, strategy, row.expiration_date, row.strike, row.mid, row.underlying_price)
        detail = service.detail(committed_engine, TRADER, trade, as_of=AS_OF)
        assert detail.breakeven == pytest.approx(row.breakeven, rel=1e-12)
        assert detail.cushion_pct == pytest.approx(row.cushion_pct, rel=1e-9)
        assert payoff_at_expiry(trade, np.array([row.breakeven]))[0] == pytest.approx(0.0, abs=1e-9)


def test_saved_screens_save_load_overwrite_and_delete(committed_engine):
    calls = dataclasses.replace(BASE, strategy="cc", min_volume=5)
    assert service.save_screen(committed_engine, TRADER, "  Weekly calls ", calls) == "Weekly calls"
    assert service.screen_names(committed_engine, TRADER) == ["Weekly calls"]
    assert service.load_screen(committed_engine, TRADER, "Weekly calls") == calls
    service.save_screen(committed_engine, TRADER, "Weekly calls", BASE)  # the same name again: overwritten
    assert service.load_screen(committed_engine, TRADER, "Weekly calls") == BASE
    service.delete_screen(committed_engine, TRADER, "Weekly calls")
    assert service.screen_names(committed_engine, TRADER) == []
    with pytest.raises(ScreenError, match="no saved screen"):
        service.load_screen(committed_engine, TRADER, "Weekly calls")
    with pytest.raises(ScreenError, match="needs a name"):
        service.save_screen(committed_engine, TRADER, "   ", BASE)

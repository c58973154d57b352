"""Option symbols in OCC, OpenAlgo, Fidelity and Schwab spellings parse to one contract shape."""

from __future__ import annotations

import datetime as dt

import pytest

from core.accounts.instruments import OptionContract, occ_symbol, parse_option_symbol

AAPL_PUT = OptionContract("AAPL", "put", 150.0, dt.date(2024, 1, 19))


@pytest.mark.parametrize(
    "symbol",
    ["AAPL  240119P00150000", "AAPL240119P00150000", "AAPL19JAN24150PE", "-AAPL240119P150", "AAPL 01/19/2024 150.00 P"],
)
def test_every_spelling_of_one_contract_is_the_same_contract(symbol):
    contract = parse_option_symbol(symbol)
    assert contract == AAPL_PUT
    assert contract.symbol == symbol  # the broker's spelling is kept beside the parse


@pytest.mark.parametrize(
    ("occ", "openalgo"),
    [
        ("SPY   240315C00480500", "SPY15MAR24480.5CE"),
        ("NIFTY 240328C20800000", "NIFTY28MAR2420800CE"),
        ("VEDL  240425C00292500", "VEDL25APR24292.5CE"),
        ("AAPL  261218P00150000", "AAPL18DEC26150PE"),  # the wheel's positions: one contract, two spellings
    ],
)
def test_occ_and_openalgo_spellings_agree(occ, openalgo):
    assert parse_option_symbol(occ) == parse_option_symbol(openalgo)
    assert occ_symbol(parse_option_symbol(openalgo)) == occ


def test_openalgo_underlyings_with_digits_and_odd_strikes():
    bond = parse_option_symbol("726GS203225APR2497PE")
    assert (bond.underlying, bond.option_type, bond.strike, bond.expiry) == (
        "726GS2032",
        "put",
        97.0,
        dt.date(2024, 4, 25),
    )
    assert parse_option_symbol("USDINR19APR2482CE").strike == 82.0


@pytest.mark.parametrize(
    "symbol", ["AAPL", "RELIANCE", "BANKNIFTY24APR24FUT", "AAPL  241399P00150000", "NIFTY31FEB2420800CE", "", "SPAXX**"]
)
def test_stocks_futures_and_impossible_dates_are_not_options(symbol):
    assert parse_option_symbol(symbol) is None


def test_days_to_expiry():
    assert AAPL_PUT.dte(dt.date(2024, 1, 1)) == 18

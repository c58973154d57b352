"""Numbers as OpenAlgo and broker exports send them: strings, blanks, dashes, currency and accounting signs."""

from __future__ import annotations

import datetime as dt

import pytest

from core.accounts.values import ValueFormatError, parse_amount, parse_broker_time, parse_quantity


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("83.74", 83.74), (83.74, 83.74), ("-7.88", -7.88), ("$1,234.50", 1234.5), ("+2.5%", 2.5), ("(12.00)", -12.0),
     ("-$3.10", -3.1), (0, 0.0)],
)  # fmt: skip
def test_amounts(raw, expected):
    assert parse_amount(raw, "x") == expected


@pytest.mark.parametrize("raw", [None, "", "-", "--", "N/A", "null", float("nan"), " "])
def test_missing_amounts_are_none_never_zero(raw):
    assert parse_amount(raw, "x") is None


def test_a_word_where_a_number_belongs_names_the_field():
    with pytest.raises(ValueFormatError, match="ltp is not a number: 'abc'"):
        parse_amount("abc", "ltp")


def test_quantities_are_whole():
    assert parse_quantity("-104") == -104
    assert parse_quantity(75.0) == 75
    assert parse_quantity("1,000") == 1000
    assert parse_quantity("") == 0
    with pytest.raises(ValueFormatError, match="whole"):
        parse_quantity("10.5")


def test_broker_times_are_read_in_the_exchange_zone():
    # OpenAlgo's orderbook time for an NSE order is Indian time: 13:58:03 IST is 08:28:03 UTC
    assert parse_broker_time("08-Apr-2025 13:58:03", "NSE") == dt.datetime(2025, 4, 8, 8, 28, 3, tzinfo=dt.UTC)
    # a tradebook's bare time is today in that zone; a US exchange is New York
    moment = parse_broker_time("10:00:00", "NASDAQ", today=dt.date(2025, 1, 6))
    assert moment == dt.datetime(2025, 1, 6, 15, 0, tzinfo=dt.UTC)
    assert parse_broker_time("", "NSE") is None
    assert parse_broker_time("not a time", "NSE") is None

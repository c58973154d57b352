"""Uploaded files are hostile input: any line ending reads, anything else is a WatchlistError, never a crash."""

from __future__ import annotations

import random

import pytest

from core.symbols import WatchlistError
from core.watchlists.formats import parse_csv


@pytest.mark.parametrize("ending", ["\n", "\r\n", "\r"], ids=["unix", "windows", "old-mac"])
def test_every_line_ending_reads_the_same(ending):
    data = ending.join(["symbol,exchange", "aapl,NASDAQ", "KO,", ""]).encode()
    parsed = parse_csv(data)
    assert [e.tradingview for e in parsed.entries] == ["NASDAQ:AAPL", "KO"]
    assert parsed.skipped == ()


@pytest.mark.parametrize("seed", range(200))
def test_random_bytes_are_parsed_or_refused_with_a_watchlist_error(seed):
    rng = random.Random(seed)
    data = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
    try:
        parsed = parse_csv(data)
    except WatchlistError as exc:
        assert "not" in str(exc)
    else:
        assert all(e.symbol == e.symbol.upper() for e in parsed.entries)


@pytest.mark.parametrize(
    "data, says",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary data"),
        ("\u00e9\u00e8".encode("latin-1") * 50, "not UTF-8 text"),
    ],
    ids=["png", "latin-1"],
)
def test_files_that_are_not_text_say_so(data, says):
    with pytest.raises(WatchlistError, match=says):
        parse_csv(data)

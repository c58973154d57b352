"""core.watchlists: parsing what users paste or upload, and WatchlistManager keeping both tables in step."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.db.models import TvWatchlist, TvWatchlistSymbol, Watchlist
from core.watchlists import (
    Entry,
    WatchlistError,
    WatchlistManager,
    export_csv,
    export_tradingview,
    parse_csv,
    parse_symbols,
)
from tests import factories


def test_parse_tradingview_lines_and_commas():
    parsed = parse_symbols("NASDAQ:AAPL,NYSE:KO\n msft \n###Tech,brk.b;  ,BAD SYM,a:b:c,:X,AAPL")
    assert parsed.entries == (Entry("AAPL", "NASDAQ"), Entry("KO", "NYSE"), Entry("MSFT"), Entry("BRK.B"))
    reasons = {s.entry: s.reason for s in parsed.skipped}
    assert set(reasons) == {"###Tech", "BAD SYM", "a:b:c", ":X", "AAPL"}
    assert reasons["AAPL"] == "duplicate in this input"


def test_parse_csv_with_and_without_header():
    with_header = parse_csv(b"\xef\xbb\xbfName,Symbol,Exchange\nApple,aapl,NASDAQ\nCoke,KO,\nNoTicker,,\n")
    assert with_header.entries == (Entry("AAPL", "NASDAQ"), Entry("KO"))
    bare = parse_csv(b"AAPL\nNYSE:KO,MSFT\n")
    assert [e.symbol for e in bare.entries] == ["AAPL", "KO", "MSFT"]


def _tv(session, name):
    tv = session.scalar(select(TvWatchlist).where(TvWatchlist.name == name))
    return [
        (s.symbol, s.exchange, s.position)
        for s in session.scalars(
            select(TvWatchlistSymbol)
            .where(TvWatchlistSymbol.watchlist_id == tv.id)
            .order_by(TvWatchlistSymbol.position)
        )
    ]


def test_manager_keeps_both_tables_in_step(session):
    factories.stock(session, symbol="AAPL", exchange="NASDAQ")
    manager = WatchlistManager(session)
    manager.create("Mine", "a test")
    result = manager.add("Mine", parse_symbols("AAPL, NYSE:KO, ZZZZ"), known={"AAPL", "KO"})
    assert result.added == ("AAPL", "KO")
    assert [(s.entry, s.reason.split(":")[0]) for s in result.skipped] == [("ZZZZ", "unknown symbol")]
    assert manager.add("Mine", parse_symbols("AAPL")).skipped[0].reason == "already in this watchlist"
    assert session.scalar(select(Watchlist.symbols).where(Watchlist.name == "Mine")) == ["AAPL", "KO"]
    assert _tv(session, "Mine") == [("AAPL", "NASDAQ", 0), ("KO", "NYSE", 1)]

    manager.rename("Mine", "Ours")
    assert manager.names() == ["Ours"] and _tv(session, "Ours")
    assert manager.remove("Ours", ["aapl"]) == 1
    assert _tv(session, "Ours") == [("KO", "NYSE", 0)]
    info = manager.get("Ours")
    assert export_tradingview(info) == "NYSE:KO"
    assert export_csv(info) == '"symbol","exchange"\n"KO","NYSE"\n'

    manager.delete("Ours")
    assert manager.names() == []
    assert session.scalar(select(TvWatchlist.id)) is None


def test_manager_refuses_duplicates_and_unknown_lists(session):
    manager = WatchlistManager(session)
    manager.create("A")
    with pytest.raises(WatchlistError, match="already exists"):
        manager.create(" A ")
    with pytest.raises(WatchlistError, match="needs a name"):
        manager.create("  ")
    with pytest.raises(WatchlistError, match="no watchlist"):
        manager.add("B", parse_symbols("AAPL"))
    manager.create("B")
    with pytest.raises(WatchlistError, match="already exists"):
        manager.rename("A", "B")


def test_names_that_differ_only_by_case_are_one_name(session):
    manager = WatchlistManager(session)
    manager.create("Wheel TV")
    with pytest.raises(WatchlistError, match=r"^a watchlist called 'Wheel TV' already exists \(names ignore case\)$"):
        manager.create("wheel tv")
    manager.create("Other")
    with pytest.raises(WatchlistError, match="a watchlist called 'Wheel TV' already exists"):
        manager.rename("Other", "WHEEL TV")
    manager.rename("Wheel TV", "wheel tv")  # a list may change its own case
    assert manager.names() == ["Other", "wheel tv"]
    assert session.scalars(select(TvWatchlist.name).order_by(TvWatchlist.name)).all() == ["Other", "wheel tv"]
    assert manager.get("WHEEL TV").name == "wheel tv"  # found whatever the case asked
    manager.replace("Wheel tv", [])  # the list that exists, not a second one
    assert manager.names() == ["Other", "wheel tv"]
    manager.delete("wheel tv")
    assert session.scalars(select(TvWatchlist.name)).all() == ["Other"]

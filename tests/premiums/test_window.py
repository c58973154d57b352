"""Which window the stored chains were synced with, and what the screen and the symbol detail say about it."""

from __future__ import annotations

from core.db.engine import unit_of_work
from core.db.models import StockData
from core.premiums import service
from core.premiums.window import SyncWindows, describe_window
from tests.support.actors import TRADER


def _state(session, symbol, window, status="synced"):
    session.add(StockData(symbol=symbol, sync_status=status, sync_max_dte=window))


def test_windows_are_counted_per_synced_symbol(committed_engine):
    from core.sync.store import ensure_stocks

    with committed_engine.begin() as conn:
        ensure_stocks(conn, ["A", "B", "C", "D"])
    with unit_of_work(committed_engine, write=True) as session:
        _state(session, "A", 30)
        _state(session, "B", 45)
        _state(session, "C", 45)
        _state(session, "D", 0, status="no_options")  # not synced with a chain: does not count
    windows = service.sync_windows(committed_engine, TRADER)
    assert windows.symbols == {30: 1, 45: 2}
    assert windows.widest == 45
    assert windows.message(45) == ""
    assert "synced 45 days out" in windows.message(60) and "beyond day 45" in windows.message(60)


def test_no_note_when_any_symbol_has_every_expiry_or_an_unknown_window():
    assert SyncWindows({30: 3, 0: 1}).message(400) == ""
    assert SyncWindows({30: 3, None: 1}).message(400) == ""
    assert SyncWindows({}).message(400) == ""


def test_a_symbols_window_in_words():
    assert describe_window(75) == "expiries within 75 days synced"
    assert describe_window(0) == "every listed expiry synced"
    assert "before" in describe_window(None)

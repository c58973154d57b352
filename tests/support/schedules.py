"""A scan schedule over a fresh scanner and watchlist, committed (for tests of fires and of the sidecar)."""

from __future__ import annotations

from core.db.engine import unit_of_work
from core.db.models import ScanSchedule
from tests import factories


def make_schedule(engine, symbols=("AAPL", "MSFT", "NVDA"), **kw) -> int:
    with unit_of_work(engine, write=True) as session:
        scanner = factories.scanner(session)
        watchlist = factories.watchlist(session, symbols=list(symbols))
        kw.setdefault("schedule_type", "interval")
        kw.setdefault("interval_minutes", 15)
        kw.setdefault("market_hours_only", False)
        row = factories.add(session, ScanSchedule(scanner_id=scanner.id, watchlist_id=watchlist.id, **kw))
        return row.id

"""The track record's test helpers: a completed universe sync worked here, a tracked screen, the recorded SPY
folder's date and screen (tests/track, tests/pages/test_history.py)."""

from __future__ import annotations

import datetime as dt
import shutil

from sqlalchemy import func, select

from core.db.engine import unit_of_work
from core.db.models import Stock
from core.premiums import saved_screens
from core.premiums.filters import PremiumFilters
from core.sync.requests import SyncRequest, enqueue_sync
from core.sync.worker import SyncWorker

QUOTED = dt.date(2023, 9, 14)
SPY_PUTS = PremiumFilters(strategy="csp", dte=(7, 45), delta=(0.2, 0.6), all_contracts=True)


def sync_all(engine, symbols, **request) -> int:
    """A completed universe sync of `symbols` (the stocks stored), worked here by the sidecar's worker."""
    with unit_of_work(engine, write=True) as session:
        session.add_all(Stock(symbol=s, is_active=True) for s in symbols)
        run, _ = enqueue_sync(session, SyncRequest(all_symbols=True, **request))
        run_id = run.id
    SyncWorker(engine).run_until_idle(run_id)
    return run_id


def track(engine, name: str, filters: PremiumFilters) -> None:
    with unit_of_work(engine, write=True) as session:
        saved_screens.save_screen(session, name, filters)
        saved_screens.set_tracked(session, name, True)


def count(engine, model) -> int:
    with unit_of_work(engine) as session:
        return session.scalar(select(func.count()).select_from(model))


def copy_spy_folder(shared_data, tmp_path):
    """A csv-provider folder: Cboe's SPY chain after the close of 2023-09-14 and SPY's daily bars from 2023-10-03."""
    shutil.copy(shared_data / "options/cboe_quotedata/SPY_quotedata_2023-09-14.csv", tmp_path)
    (tmp_path / "ohlcv").mkdir()
    shutil.copy(shared_data / "ohlcv/SPY_daily_2023-10-03_2024-10-01_ydownload.csv", tmp_path / "ohlcv/SPY.csv")
    return tmp_path

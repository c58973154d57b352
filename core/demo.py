"""`python -m core demo`: a synthetic universe, watchlists and scanner templates, synced (DESIGN section 8).

The steps, each its own function so tests can seed a small demo quickly:
1. `seed_stocks`: the first N symbols of the synthetic universe, with their profiles, into `stocks`;
2. `backfill_history`: a few months of weekly `symbol_daily_history` rows priced by the same pipeline as a
   sync (so the History charts and IV rank have something to show on day one);
3. `sync_symbols`: queue a sync of those symbols and work it in this process with the sidecar's `SyncWorker`;
4. `seed_watchlists` ("Tech leaders", "Dividend payers", "High IV") through `WatchlistManager`, the scanner
   templates (`core.scanner.templates.seed_templates`), and the settings flag that makes the dashboard say the
   data is synthetic.
Running it twice leaves the same state: every write is an upsert, and existing watchlists are left alone.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from core.clock import today_in_new_york
from core.config import get_settings
from core.db.base import utcnow
from core.db.engine import unit_of_work
from core.db.models import FINAL_RUN_STATUSES, JobRun, Setting, Stock, StockData
from core.operations.status import DATA_SOURCE_KEY
from core.providers import get_provider
from core.scanner.templates import seed_templates
from core.sync import prepare, store
from core.sync.requests import SyncRequest, enqueue_sync
from core.sync.worker import SyncWorker
from core.watchlists import Entry, WatchlistManager

DEFAULT_SYMBOLS = 300
DEFAULT_HISTORY_WEEKS = 12
WATCHLIST_SIZE = 12
TECH_SECTORS = ("Information Technology", "Communication Services")


class DemoError(ValueError):
    """The demo cannot be seeded as asked (e.g. more symbols than the synthetic universe has)."""


@dataclass(frozen=True)
class DemoResult:
    symbols: int
    history_rows: int
    run_id: int
    status: str
    contracts: int
    failed: int
    no_options: int
    watchlists: tuple[str, ...]
    templates: int
    seconds: float


def demo_symbols(n: int) -> list[str]:
    """The first `n` symbols of the configured synthetic universe (a prefix: stable whatever `n` is)."""
    size = get_settings().synthetic_universe_size
    if not 1 <= n <= size:
        raise DemoError(
            f"--symbols must be between 1 and {size} (SYNTHETIC_UNIVERSE_SIZE); "
            "raise SYNTHETIC_UNIVERSE_SIZE to seed more"
        )
    return get_provider("synthetic").universe()[:n]


def seed_stocks(session: Session, symbols: list[str], as_of: dt.date | None = None) -> None:
    """Upsert a `stocks` row with the synthetic profile and price of each symbol."""
    provider = get_provider("synthetic", as_of=as_of)
    now = utcnow()
    rows = []
    for symbol in symbols:
        profile, quote = provider.profile(symbol), provider.quote(symbol)
        rows.append(
            {
                "symbol": symbol,
                "name": profile.name,
                "sector": profile.sector,
                "industry": profile.industry,
                "market_cap": profile.market_cap,
                "avg_volume": profile.avg_volume,
                "current_price": quote.price,
                "exchange": profile.exchange,
                "dividend_yield": profile.dividend_yield,
                "next_earnings_date": profile.next_earnings,
                "ex_dividend_date": profile.ex_dividend,
                "last_updated": now,
                "is_active": True,
            }
        )
    store.upsert_stocks(session.connection(), rows)


def backfill_history(session: Session, symbols: list[str], weeks: int, as_of: dt.date | None = None) -> int:
    """Weekly daily-history rows for the `weeks` weeks before `as_of`, priced as a sync of that day would be."""
    as_of = as_of or today_in_new_york()
    rate = get_settings().risk_free_rate
    rows: dict[tuple[str, dt.date], dict] = {}
    for week in range(weeks, 0, -1):
        provider = get_provider("synthetic", as_of=as_of - dt.timedelta(weeks=week))
        for snapshot in provider.snapshots(symbols):
            if snapshot.chain.empty:
                continue
            prepared = prepare.prepare(snapshot, fetched_at=snapshot.quote.quote_time, risk_free_rate=rate)
            rows[(prepared.symbol, prepared.history["date"])] = prepared.history
    # The sessions between those weekly snapshots get their close alone, so HV20 / HV60 (daily log returns of
    # the stored closes) exist from the first sync on, as they would after three months of daily syncs.
    provider, start = get_provider("synthetic", as_of=as_of), as_of - dt.timedelta(weeks=max(weeks, 14))
    fetched_at = dt.datetime.combine(as_of, dt.time(), dt.UTC)
    for symbol in symbols:
        closes = provider.history(symbol, start, as_of - dt.timedelta(days=1))["close"]
        for day, close in closes.items():
            rows.setdefault(
                (symbol, day.date()),
                {**_CLOSE_ONLY, "symbol": symbol, "date": day.date(), "close": float(close), "fetched_at": fetched_at},
            )
    store.upsert_daily_history(session.connection(), list(rows.values()))
    return len(rows)


_CLOSE_ONLY = dict.fromkeys(
    ("iv30", "atm_put_mid_30d", "atm_call_mid_30d", "contracts", "total_volume", "total_open_interest")
)


def sync_symbols(engine: Engine, symbols: list[str], as_of: dt.date | None = None, timeout: float = 600.0) -> JobRun:
    """Queue a synthetic sync of `symbols` and work it here with the sidecar's code; returns the finished run.

    If a sidecar is running too, it may take some of the items; we wait for the run to finish either way.
    """
    with unit_of_work(engine, write=True) as session:
        run, _ = enqueue_sync(
            session, SyncRequest(symbols=tuple(symbols), provider="synthetic", as_of=as_of, requested_by="demo")
        )
        run_id = run.id
    SyncWorker(engine).run_until_idle(run_id)
    deadline = time.monotonic() + timeout
    while True:
        with unit_of_work(engine) as session:
            run = session.get(JobRun, run_id)
        if run.status in FINAL_RUN_STATUSES or time.monotonic() > deadline:
            return run
        time.sleep(0.5)


def seed_watchlists(session: Session, symbols: list[str]) -> tuple[str, ...]:
    """The demo's watchlists, chosen from the seeded symbols; a list that already exists is left as it is."""
    stocks = session.execute(
        select(Stock.symbol, Stock.sector, Stock.market_cap, Stock.dividend_yield, Stock.exchange, StockData.iv30)
        .outerjoin(StockData, StockData.symbol == Stock.symbol)
        .where(Stock.symbol.in_(symbols))
    ).all()
    picks = {
        "Tech leaders": sorted((s for s in stocks if s.sector in TECH_SECTORS), key=lambda s: -(s.market_cap or 0)),
        "Dividend payers": sorted((s for s in stocks if s.dividend_yield), key=lambda s: -s.dividend_yield),
        "High IV": sorted((s for s in stocks if s.iv30), key=lambda s: -s.iv30),
    }
    manager = WatchlistManager(session)
    existing = set(manager.names())
    for name, rows in picks.items():
        if name not in existing and rows:
            manager.replace(name, [Entry(s.symbol, s.exchange) for s in rows[:WATCHLIST_SIZE]])
    return tuple(name for name, rows in picks.items() if rows)


def seed_scanner_templates(session: Session) -> int:
    """Seed `scanner_templates` with the built-in scanner templates; returns how many were added."""
    return seed_templates(session)


def mark_synthetic(session: Session, symbols: int) -> None:
    """Record that this database holds the demo's synthetic data (the dashboard shows a banner)."""
    value = {"provider": "synthetic", "seeded_by": "demo", "symbols": symbols, "at": utcnow().isoformat()}
    row = session.get(Setting, DATA_SOURCE_KEY)
    if row is None:
        session.add(Setting(key=DATA_SOURCE_KEY, value=value))
    else:
        row.value = value


def has_stocks(engine: Engine) -> bool:
    """Whether the database holds any stock (`demo --if-empty` then does nothing)."""
    with unit_of_work(engine) as session:
        return session.scalar(select(Stock.id).limit(1)) is not None


def run_demo(
    engine: Engine,
    n_symbols: int = DEFAULT_SYMBOLS,
    history_weeks: int = DEFAULT_HISTORY_WEEKS,
    as_of: dt.date | None = None,
) -> DemoResult:
    """Seed and sync the whole demo (see the module docstring); idempotent."""
    started = time.monotonic()
    symbols = demo_symbols(n_symbols)
    with unit_of_work(engine, write=True) as session:
        seed_stocks(session, symbols, as_of)
        mark_synthetic(session, len(symbols))
    history_rows = 0
    if history_weeks > 0:
        with unit_of_work(engine, write=True) as session:
            history_rows = backfill_history(session, symbols, history_weeks, as_of)
    run = sync_symbols(engine, symbols, as_of)
    with unit_of_work(engine, write=True) as session:
        watchlists = seed_watchlists(session, symbols)
        templates = seed_scanner_templates(session)
    return DemoResult(
        len(symbols),
        history_rows,
        run.id,
        run.status,
        run.contracts,
        run.failed_items,
        run.no_options_items,
        watchlists,
        templates,
        round(time.monotonic() - started, 2),
    )

"""`import-chains`: load chain snapshot files (any layout the csv provider reads) through the sync pipeline.

Each file is one transaction: a broken file is reported and skips nothing else. A snapshot older than what is
already stored for its symbol is not written (importing last year's file must not replace today's chain);
it is reported instead, so nothing stored is lost.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select

from core.config import get_settings
from core.db.base import utcnow
from core.db.models import StockData
from core.providers.base import ChainSnapshot, Profile, Quote
from core.providers.chain_files import ChainFileError, NotAChainFile, load_chain_file
from core.sync import prepare, store


@dataclass
class FileReport:
    path: str
    layout: str | None = None
    rows_read: int = 0
    rows_rejected: int = 0
    contracts: int = 0
    symbols: list[str] = field(default_factory=list)
    quarantined: Counter = field(default_factory=Counter)
    skipped: list[str] = field(default_factory=list)
    error: str | None = None


def chain_files(paths: list[str]) -> list[Path]:
    """The files named, and every .csv under the folders named, in a stable order."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*.csv")) if "ohlcv" not in {q.lower() for q in p.parts})
        elif path.is_file():
            found.append(path)
        else:
            raise FileNotFoundError(f"no such file or folder: {raw}")
    return found


def _snapshots(frame: pd.DataFrame, name: str | None) -> list[tuple[ChainSnapshot | None, str]]:
    out = []
    for (symbol, moment), rows in frame.groupby(["symbol", "quote_time"], dropna=False, sort=True):
        prices = rows["underlying_price"].dropna()
        if pd.isna(moment) or prices.empty:
            out.append(
                (
                    None,
                    f"{symbol}: the file gives no {'quote time' if pd.isna(moment) else 'underlying price'}"
                    " (add a <file>.meta.json sidecar or an asofYYYY-MM-DD in the name)",
                )
            )
            continue
        quote = Quote(symbol=str(symbol), price=float(prices.iloc[-1]), quote_time=moment.to_pydatetime())
        expirations = sorted(set(rows["expiration"].dropna()))
        out.append(
            (
                ChainSnapshot(
                    quote=quote,
                    profile=Profile(symbol=str(symbol), name=name),
                    expirations=expirations,
                    chain=rows.reset_index(drop=True),
                ),
                "",
            )
        )
    return out


def import_file(
    engine: Engine, path: Path, *, underlying_price: float | None = None, quote_time: dt.datetime | None = None
) -> FileReport:
    """Read one file and store its snapshots (one transaction); never raises for bad input.

    `underlying_price` and `quote_time` fill in what a bare export (yfinance's 14 columns) does not say.
    """
    report = FileReport(str(path))
    try:
        loaded = load_chain_file(path, underlying_price=underlying_price, quote_time=quote_time)
    except NotAChainFile as exc:
        report.error = f"not a chain file: {exc}"
        return report
    except (ChainFileError, OSError, UnicodeDecodeError) as exc:
        report.error = str(exc)
        return report
    report.layout, report.rows_read, report.rows_rejected = loaded.layout, loaded.rows_read, loaded.rejected_rows
    fetched_at = utcnow()
    snapshots = []
    for snapshot, why in _snapshots(loaded.frame, loaded.name):
        if snapshot is None:
            report.skipped.append(why)
        else:
            snapshots.append(snapshot)
    prepared = prepare.prepare_batch(snapshots, fetched_at=fetched_at, risk_free_rate=get_settings().risk_free_rate)
    with engine.begin() as conn:
        stored = dict(
            conn.execute(
                select(StockData.symbol, StockData.quote_time).where(StockData.symbol.in_([p.symbol for p in prepared]))
            ).all()
        )
        fresh = []
        for p in prepared:
            newer = stored.get(p.symbol)
            if newer is not None and newer > p.state["quote_time"]:
                report.skipped.append(
                    f"{p.symbol}: the database holds a newer quote ({newer:%Y-%m-%d %H:%M} UTC) "
                    f"than this file ({p.state['quote_time']:%Y-%m-%d %H:%M} UTC); not replaced"
                )
            else:
                fresh.append(p)
        store.write(conn, fresh, [], fetched_at)
    for p in fresh:
        report.symbols.append(p.symbol)
        report.contracts += p.stored
        report.quarantined.update(p.quarantined)
    return report


def import_chains(
    engine: Engine, paths: list[str], *, underlying_price: float | None = None, quote_time: dt.datetime | None = None
) -> list[FileReport]:
    return [
        import_file(engine, path, underlying_price=underlying_price, quote_time=quote_time)
        for path in chain_files(paths)
    ]

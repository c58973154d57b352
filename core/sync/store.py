"""Writing one batch of synced symbols to the database: contracts, stocks, current state, daily history.

Contracts are the hot path (about 200 per symbol, a million per Sync All), so they bypass the ORM:
- PostgreSQL: binary COPY of the batch into a session-local staging table, then one `INSERT ... SELECT ... ON CONFLICT
  DO UPDATE`. Row-by-row `executemany` is 5-20 times slower here because every row is a round trip.
- SQLite: one `executemany` of `INSERT ... ON CONFLICT DO UPDATE` inside the caller's transaction.
Every value travels as a bound parameter or through COPY's data stream, never inside the SQL text.
Contracts of a synced symbol that the provider no longer lists are deleted, so the table holds exactly the
current chains; a sync with an expiry window (SYNC_MAX_DTE) only speaks for the expiries inside it, so stored
contracts beyond the window are kept until they come inside a window or a full sync replaces them.
None of these functions commit: the caller's unit of work decides what is atomic.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from core.db import pgcopy
from core.db.models import Stock, StockData, StockPremium, SymbolDailyHistory
from core.pricing.realised import IV_RANK_DAYS, historical_volatility, iv_rank
from core.sync.prepare import CONTRACT_COLUMNS, CONTRACT_KEY, TIME_COLUMNS, PreparedSymbol, contracts_frame, utc_naive

_UPDATED = [c for c in CONTRACT_COLUMNS if c not in CONTRACT_KEY]
_INT_COLUMNS = ("volume", "open_interest", "contract_size")
_SQLITE_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's storage format for DateTime on SQLite
_STAGE = "_stage_premiums"
# A worker whose lease lapsed mid-batch may write after the worker that took its items over: never let an
# older fetch overwrite a newer quote of the same contract.
_FRESHER = "WHERE stock_premiums.fetched_at <= EXCLUDED.fetched_at"


def upsert_contracts(conn: Connection, contracts: pd.DataFrame) -> int:
    """Insert or update every row of `contracts` (CONTRACT_COLUMNS, unique on CONTRACT_KEY); returns rows."""
    if contracts.empty:
        return 0
    missing = set(CONTRACT_COLUMNS) - set(contracts.columns)
    if missing:
        raise ValueError(f"contracts frame lacks columns {sorted(missing)}")
    if conn.dialect.name == "postgresql":
        return _upsert_contracts_postgres(conn, contracts)
    return _upsert_contracts_sqlite(conn, contracts)


def _upsert_contracts_postgres(conn: Connection, frame: pd.DataFrame) -> int:
    cols = ", ".join(CONTRACT_COLUMNS)
    # Identifiers below are module constants; values travel through COPY's data stream.
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} ON COMMIT DELETE ROWS AS "  # noqa: S608
        f"SELECT {cols} FROM stock_premiums WITH NO DATA"
    )
    with conn.connection.driver_connection.cursor() as cursor:
        cursor.copy_expert(f"COPY {_STAGE} ({cols}) FROM STDIN WITH (FORMAT binary)", postgres_copy_payload(frame))
    assignments = ", ".join(f"{c} = EXCLUDED.{c}" for c in _UPDATED)
    result = conn.exec_driver_sql(
        f"INSERT INTO stock_premiums ({cols}) SELECT {cols} FROM {_STAGE} "  # noqa: S608
        f"ON CONFLICT ON CONSTRAINT uq_stock_premiums_contract DO UPDATE SET {assignments} {_FRESHER}"
    )
    conn.exec_driver_sql(f"TRUNCATE {_STAGE}")
    return result.rowcount


_PG_ENCODERS = {
    "symbol": pgcopy.text,
    "expiration_date": pgcopy.date,
    "option_type": pgcopy.text,
    "contract_symbol": pgcopy.text,
    "volume": pgcopy.int8,
    "open_interest": pgcopy.int8,
    "contract_size": pgcopy.int4,
    "iv_source": pgcopy.text,
    "quality_flag": pgcopy.text,
    "last_trade_time": pgcopy.timestamp,
    "quote_time": pgcopy.timestamp,
    "fetched_at": pgcopy.timestamp,
}


def postgres_copy_payload(frame: pd.DataFrame) -> io.BytesIO:
    """The contracts as a binary COPY stream (CONTRACT_COLUMNS in order); see core/db/pgcopy.py for why."""
    fields = []
    for name in CONTRACT_COLUMNS:
        encoder = _PG_ENCODERS.get(name, pgcopy.float8)
        if name in TIME_COLUMNS:
            values = utc_naive(frame[name])
        elif name == "expiration_date":
            values = np.array(frame[name].tolist(), dtype="datetime64[D]")
        else:
            values = frame[name].to_numpy()
        fields.append(encoder(values))
    return pgcopy.encode(fields)


def sqlite_values(frame: pd.DataFrame) -> list[tuple]:
    """The contracts as parameter tuples for SQLite (CONTRACT_COLUMNS order, SQLAlchemy's storage formats)."""
    columns: list[list[Any]] = []
    for name in CONTRACT_COLUMNS:
        series = frame[name]
        if name in TIME_COLUMNS:
            ts = pd.to_datetime(series, utc=True)
            text = ts.dt.tz_localize(None).dt.strftime(_SQLITE_TIME_FORMAT)
            columns.append(text.where(ts.notna(), None).tolist())
        elif name == "expiration_date":
            columns.append([d.isoformat() for d in series])
        elif series.dtype.kind == "f":
            values = series.to_numpy(dtype=float)
            obj = values.astype(object)
            obj[~np.isfinite(values)] = None
            if name in _INT_COLUMNS:
                obj[np.isfinite(values)] = values[np.isfinite(values)].astype(np.int64).tolist()
            columns.append(obj.tolist())
        else:
            columns.append(series.astype(object).where(series.notna(), None).tolist())
    return list(zip(*columns, strict=True))


def _upsert_contracts_sqlite(conn: Connection, frame: pd.DataFrame) -> int:
    cols = ", ".join(CONTRACT_COLUMNS)
    marks = ", ".join("?" for _ in CONTRACT_COLUMNS)
    assignments = ", ".join(f"{c} = excluded.{c}" for c in _UPDATED)
    rows = sqlite_values(frame)
    conn.exec_driver_sql(  # identifiers are module constants; every value is a bound parameter
        f"INSERT INTO stock_premiums ({cols}) VALUES ({marks}) "  # noqa: S608
        f"ON CONFLICT ({', '.join(CONTRACT_KEY)}) DO UPDATE SET {assignments} "
        f"{_FRESHER.replace('EXCLUDED', 'excluded')}",
        rows,
    )
    return len(rows)


def delete_unlisted(
    conn: Connection, symbols: Sequence[str], fetched_at: dt.datetime, window_ends: dict[str, dt.date] | None = None
) -> int:
    """Delete contracts of `symbols` not refreshed by the sync stamped `fetched_at` (no longer listed).

    A symbol in `window_ends` was synced with an expiry window: only its contracts expiring on or before that
    day are judged; later ones were not asked for and stay.
    """
    if not symbols:
        return 0
    table = StockPremium.__table__
    window_ends = window_ends or {}
    stale = table.c.fetched_at < fetched_at
    deleted = 0
    full = [s for s in symbols if s not in window_ends]
    if full:
        deleted += conn.execute(delete(table).where(table.c.symbol.in_(full), stale)).rowcount
    by_end: dict[dt.date, list[str]] = {}
    for symbol in symbols:
        if symbol in window_ends:
            by_end.setdefault(window_ends[symbol], []).append(symbol)
    for end, group in by_end.items():
        inside = table.c.expiration_date <= end
        deleted += conn.execute(delete(table).where(table.c.symbol.in_(group), stale, inside)).rowcount
    return deleted


def _upsert_rows(conn: Connection, table, rows: list[dict[str, Any]], key: Sequence[str]) -> None:
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table)
    updates = {c: statement.excluded[c] for c in rows[0] if c not in key}
    conn.execute(statement.on_conflict_do_update(index_elements=list(key), set_=updates), rows)


def upsert_stocks(conn: Connection, rows: Iterable[dict[str, Any]]) -> None:
    """Insert or refresh `stocks` rows keyed by symbol (every row must carry the same keys)."""
    _upsert_rows(conn, Stock.__table__, list(rows), ("symbol",))


def upsert_stock_data(conn: Connection, rows: Iterable[dict[str, Any]]) -> None:
    """Insert or refresh `stock_data` rows keyed by symbol."""
    _upsert_rows(conn, StockData.__table__, list(rows), ("symbol",))


def upsert_daily_history(conn: Connection, rows: Iterable[dict[str, Any]]) -> None:
    """Insert or refresh one `symbol_daily_history` row per (symbol, date)."""
    _upsert_rows(conn, SymbolDailyHistory.__table__, list(rows), ("symbol", "date"))


def ensure_stocks(conn: Connection, symbols: Iterable[str]) -> None:
    """Make sure a `stocks` row exists for each symbol (contracts reference it), leaving existing rows alone."""
    rows = [{"symbol": s} for s in symbols]
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(Stock.__table__).on_conflict_do_nothing(index_elements=["symbol"]), rows)


def write(conn: Connection, prepared: list[PreparedSymbol], no_options: list[str], fetched_at: dt.datetime) -> None:
    """Store a prepared batch in the caller's transaction: contracts, stocks, state, history and IV rank."""
    symbols = [p.symbol for p in prepared]
    if prepared:
        upsert_stocks(conn, [p.stock for p in prepared])
        upsert_contracts(conn, contracts_frame(prepared))
        ends = {p.symbol: p.window_end for p in prepared if p.window_end is not None}
        delete_unlisted(conn, symbols, fetched_at, ends)
        upsert_daily_history(conn, [p.history for p in prepared])
        ranks = volatility_summaries(conn, symbols, {p.symbol: p.history["date"] for p in prepared})
        upsert_stock_data(conn, [{**p.state, **ranks.get(p.symbol, _NO_RANK)} for p in prepared])
    if no_options:
        ensure_stocks(conn, no_options)
        delete_unlisted(conn, no_options, fetched_at)
        upsert_stock_data(
            conn,
            [
                {
                    "symbol": s,
                    "contracts": 0,
                    "expirations": 0,
                    "sync_status": "no_options",
                    "fetched_at": fetched_at,
                    "iv30": None,
                    "iv_rank": None,
                    "iv_percentile": None,
                    "hv20": None,
                    "hv60": None,
                    "quarantined": None,
                }
                for s in no_options
            ],
        )


_NO_RANK = {"iv_rank": None, "iv_percentile": None, "hv20": None, "hv60": None}


def volatility_summaries(
    conn: Connection, symbols: list[str], dates: dict[str, dt.date]
) -> dict[str, dict[str, float | None]]:
    """Per symbol, from its past year of our own `symbol_daily_history`: IV rank and IV percentile (0-100) of
    the latest iv30, and HV20 / HV60 (fractions) of the stored closes (core.pricing.realised)."""
    oldest = min(dates.values()) - dt.timedelta(days=IV_RANK_DAYS)
    h = SymbolDailyHistory
    rows = conn.execute(
        select(h.symbol, h.date, h.iv30, h.close)
        .where(h.symbol.in_(symbols), h.date >= oldest)
        .order_by(h.symbol, h.date)
    ).all()
    by_symbol: dict[str, list[tuple[dt.date, float | None, float | None]]] = {}
    for row in rows:
        by_symbol.setdefault(row.symbol, []).append((row.date, row.iv30, row.close))
    ranks = {}
    for symbol, points in by_symbol.items():
        today = dates[symbol]
        points = [p for p in points if today - dt.timedelta(days=IV_RANK_DAYS) <= p[0] <= today]
        closes = [(d, c) for d, _, c in points if c is not None and c > 0]
        summary = {
            **_NO_RANK,
            "hv20": historical_volatility([d for d, _ in closes], [c for _, c in closes], 20),
            "hv60": historical_volatility([d for d, _ in closes], [c for _, c in closes], 60),
        }
        window = [v for _, v, _ in points if v is not None]
        current = next((v for d, v, _ in points if d == today), None)
        if current is not None and len(window) >= 2:
            low, high = min(window), max(window)
            summary["iv_rank"] = iv_rank(current, low, high)
            summary["iv_percentile"] = 100.0 * sum(v < current for v in window) / (len(window) - 1)
        ranks[symbol] = summary
    return ranks


__all__ = [
    "CONTRACT_COLUMNS",
    "CONTRACT_KEY",
    "delete_unlisted",
    "ensure_stocks",
    "volatility_summaries",
    "upsert_contracts",
    "upsert_daily_history",
    "upsert_stock_data",
    "upsert_stocks",
    "write",
]

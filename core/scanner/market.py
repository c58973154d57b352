"""What a scan reads: daily bars through the `ohlcv_daily` cache, and a symbol's stored option contracts.

Bars: a symbol whose cached bars were fetched today (New York date) is read from the database; otherwise the
provider is asked for the days since its last cached bar (or LOOKBACK_DAYS on a first fetch) and the answer is
upserted, so repeated scans on one day never refetch. A provider that fails leaves a stale cache in use rather
than losing the symbol. The csv provider reads local files and is not cached. Without a database (`engine` is
None: `scanner run --symbols` on a machine with no schema yet) bars come straight from the provider.

Options: the symbol's rows of `stock_premiums` that have not expired, with the section-4 metrics computed
against today (core.pricing.metrics), the spot price and the IV summary of `stock_data`.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, select
from sqlalchemy.dialects import postgresql, sqlite

from core.clock import NEW_YORK, today_in_new_york
from core.db import pgcopy
from core.db.base import utcnow
from core.db.models import OhlcvDaily, OhlcvFetch, Stock, StockData, StockPremium
from core.pricing.metrics import premium_metrics
from core.providers import get_provider
from core.providers.base import MarketDataProvider, ProviderError
from core.scanner.box.namespace import OPTION_COLUMNS

log = logging.getLogger("wheelhouse.scanner")

LOOKBACK_DAYS = 400  # calendar days on a first fetch: about 275 sessions, enough for a 52-week high or SMA 200
OVERLAP_DAYS = 7  # a refresh re-reads the last week too (late corrections, and it moves `fetched_at` forward)
CACHED_PROVIDERS = ("synthetic", "yfinance")
CHUNK = 500  # symbols per IN (...) list

OHLCV = ("open", "high", "low", "close", "volume")


@dataclass
class OptionData:
    rows: list[dict[str, Any]]
    spot: float | None
    extras: dict[str, Any] = field(default_factory=dict)  # iv_rank, iv_percentile, iv30 (names in the namespace)
    dividend_yield: float = 0.0


@dataclass
class MarketData:
    """Bars and option rows for scans; see the module docstring."""

    engine: Engine | None
    provider_name: str | None = None
    source: str | None = None
    as_of: dt.date | None = None
    lookback_days: int = LOOKBACK_DAYS
    provider_factory: Callable[..., MarketDataProvider] = get_provider
    read_only: bool = False  # the dashboard: read the cache, never write it (the sidecar is the writer)
    fetched: int = 0  # symbols asked of the provider (tests and the bench read it)
    _provider: MarketDataProvider | None = None

    @property
    def provider(self) -> MarketDataProvider:
        if self._provider is None:
            self._provider = self.provider_factory(self.provider_name, source=self.source, as_of=self.as_of)
            self.provider_name = self._provider.name
        return self._provider

    @property
    def cache_key(self) -> str:
        from core.config import get_settings

        return self.provider_name or get_settings().market_data_provider

    def today(self) -> dt.date:
        return self.as_of or today_in_new_york()

    def bars(
        self, symbols: Sequence[str], columns: Sequence[str] = OHLCV
    ) -> tuple[dict[str, np.ndarray], dict[str, str]]:
        """(symbol -> (6, n) block of day number, open, high, low, close, volume; symbol -> error).

        Only `columns` are read from the cache (the rest of the block is NaN): a scanner that names only
        `close` costs a third of the reading.
        """
        symbols = list(dict.fromkeys(symbols))
        if self.engine is None or self.cache_key not in CACHED_PROVIDERS:
            return self._fetch_direct(symbols)
        errors = {} if self.read_only else self.refresh(symbols)
        start = self.today() - dt.timedelta(days=self.lookback_days)
        wanted = [c for c in OHLCV if c in columns]
        blocks: dict[str, np.ndarray] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(symbols), CHUNK):
                blocks.update(_read_blocks(conn, self.cache_key, symbols[i : i + CHUNK], start, self.today(), wanted))
        uncached = [s for s in symbols if s not in blocks and s not in errors]
        if uncached and self.read_only and self.cache_key == "synthetic":  # computed here, not fetched: no write
            extra, errors_direct = self._fetch_direct(uncached)
            blocks.update(extra)
            errors.update(errors_direct)
        for symbol in symbols:
            if symbol not in blocks and symbol not in errors:
                errors[symbol] = (
                    "no cached daily bars (the sidecar fetches them when a scan runs through the queue)"
                    if self.read_only
                    else self._no_bars(symbol, start)
                )
        return {s: b for s, b in blocks.items() if s not in errors}, errors

    def refresh(self, symbols: Sequence[str], now: dt.datetime | None = None) -> dict[str, str]:
        """Fetch bars for symbols not fetched today and upsert them; returns errors of symbols left without bars."""
        now = now or utcnow()
        today = now.astimezone(NEW_YORK).date()
        end = self.today()
        start = end - dt.timedelta(days=self.lookback_days)
        state: dict[str, Any] = {}
        with self.engine.connect() as conn:
            for i in range(0, len(symbols), CHUNK):
                rows = conn.execute(
                    select(OhlcvFetch.symbol, OhlcvFetch.fetched_at, OhlcvFetch.first_date, OhlcvFetch.last_date).where(
                        OhlcvFetch.provider == self.cache_key, OhlcvFetch.symbol.in_(symbols[i : i + CHUNK])
                    )
                )
                state.update({r.symbol: r for r in rows})
        errors: dict[str, str] = {}
        for symbol in symbols:
            known = state.get(symbol)
            covered = (
                known is not None
                and known.first_date is not None
                and known.last_date is not None
                and (known.first_date <= start + dt.timedelta(days=OVERLAP_DAYS))
            )
            fresh = known is not None and known.fetched_at.astimezone(NEW_YORK).date() >= today
            # fetched today covers today's window; a past as-of date needs the cache to reach it
            if fresh and (self.as_of is None or (covered and known.last_date >= end - dt.timedelta(days=OVERLAP_DAYS))):
                continue
            since = known.last_date - dt.timedelta(days=OVERLAP_DAYS) if covered else start
            try:
                frame = self.provider.history(symbol, since, end)
                self.fetched += 1
            except ProviderError as exc:
                if known is None or known.last_date is None:
                    errors[symbol] = f"no daily bars: {exc}"
                log.warning("bars for %s not refreshed: %s", symbol, exc)
                continue
            with self.engine.begin() as conn:
                upsert_bars(conn, self.cache_key, symbol, frame, now)
                _record_fetch(conn, self.cache_key, symbol, frame, now, known)
        return errors

    def _fetch_direct(self, symbols: list[str]) -> tuple[dict[str, np.ndarray], dict[str, str]]:
        end = self.today()
        start = end - dt.timedelta(days=self.lookback_days)
        blocks, errors = {}, {}
        for symbol in symbols:
            try:
                frame = self.provider.history(symbol, start, end)
                self.fetched += 1
            except ProviderError as exc:
                errors[symbol] = f"no daily bars: {exc}"
                continue
            if frame.empty:
                errors[symbol] = self._no_bars(symbol, start)
                continue
            blocks[symbol] = frame_block(frame)
        return blocks, errors

    def _no_bars(self, symbol: str, start: dt.date) -> str:
        """Why `symbol` has no bars in the window: where the source's prices end, when they end before it."""
        try:
            ends = self.provider.history_ends(symbol)
        except ProviderError:
            ends = None
        if ends is not None and ends < start:
            return (
                f"no daily bars from {start} to {self.today()}: this source's prices end on {ends} "
                f"(scan as of {ends} to use them)"
            )
        return "no daily bars for this symbol"

    def options(self, symbols: Sequence[str], risk_free_rate: float | None = None) -> dict[str, OptionData]:
        """Each symbol's unexpired contracts with their metrics, spot and IV summary (empty without a database)."""
        if self.engine is None:
            return {s: OptionData([], None) for s in symbols}
        from core.config import get_settings

        rate = get_settings().risk_free_rate if risk_free_rate is None else risk_free_rate
        with self.engine.connect() as conn:
            return option_rows(conn, list(symbols), self.today(), rate)


def frame_block(frame: pd.DataFrame) -> np.ndarray:
    """A provider's OHLCV frame as the (6, n) float64 block the sandbox takes."""
    days = frame.index.to_numpy().astype("datetime64[D]").astype("int64").astype(np.float64)
    columns = [frame[c].to_numpy(dtype=np.float64, na_value=np.nan) for c in OHLCV]
    return np.vstack([days, *columns])


def upsert_bars(conn: Connection, provider: str, symbol: str, frame: pd.DataFrame, fetched_at: dt.datetime) -> int:
    """Insert or update `frame`'s bars for (provider, symbol); returns the rows written."""
    if frame.empty:
        return 0
    dates = pd.DatetimeIndex(frame.index).date
    values = {c: frame[c].astype("float64").where(frame[c].notna(), None).tolist() for c in OHLCV}
    rows = [
        {
            "provider": provider,
            "symbol": symbol,
            "date": d,
            "fetched_at": fetched_at,
            **{c: values[c][i] for c in values},
        }
        for i, d in enumerate(dates)
    ]
    statement = _insert(conn, OhlcvDaily)
    statement = statement.on_conflict_do_update(
        index_elements=["provider", "symbol", "date"], set_={c: statement.excluded[c] for c in (*OHLCV, "fetched_at")}
    )
    conn.execute(statement, rows)
    return len(rows)


def _record_fetch(
    conn: Connection, provider: str, symbol: str, frame: pd.DataFrame, now: dt.datetime, known: Any
) -> None:
    dates = pd.DatetimeIndex(frame.index).date if not frame.empty else []
    first = min([d for d in (known.first_date if known else None, min(dates, default=None)) if d], default=None)
    last = max([d for d in (known.last_date if known else None, max(dates, default=None)) if d], default=None)
    statement = _insert(conn, OhlcvFetch).values(
        provider=provider, symbol=symbol, fetched_at=now, first_date=first, last_date=last
    )
    conn.execute(
        statement.on_conflict_do_update(
            index_elements=["provider", "symbol"], set_={"fetched_at": now, "first_date": first, "last_date": last}
        )
    )


def _insert(conn: Connection, model):
    return (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(model)


def _read_blocks(
    conn: Connection, provider: str, symbols: list[str], start: dt.date, end: dt.date, columns: list[str]
) -> dict[str, np.ndarray]:
    """Each symbol's bars from `start` to `end` as a (6, n) block; symbols without bars are left out.

    `end` is the scan's as-of date: a scan of a past day never sees the bars after it.

    This is the hot path of a scan (5,000 symbols x 250 bars is 1.25 million rows), so it asks only for the
    columns the scanner names, and reads each bar without building a Python object for it where it can.
    """
    wanted = list(columns) or ["close"]
    read = _copy_bars if conn.dialect.name == "postgresql" else _range_reads
    return read(conn, provider, symbols, start, end, wanted)


def _copy_bars(
    conn: Connection, provider: str, symbols: list[str], start: dt.date, end: dt.date, wanted: list[str]
) -> dict[str, np.ndarray]:
    """PostgreSQL: the chunk's bars in one binary COPY, decoded by NumPy.

    One statement for the chunk (a nested loop of primary-key range scans, one per symbol of the unnested list)
    instead of one round trip per symbol, and the values arrive as fixed-width binary fields that become arrays
    in one pass: the per-bar Python tuples and floats of a cursor fetch were most of the read's time.
    """
    # NULL as NaN keeps every field fixed-width; identifiers come from the OHLCV constant, values are bound.
    # LATERAL ... OFFSET 0 keeps the plan a nested loop of index range scans whatever the statistics say: joined
    # plainly, a table not analysed since a bulk load was hash-joined after reading every symbol's bars.
    values = ", ".join(f"coalesce({c}, 'NaN')" for c in wanted)
    sql = (
        "COPY (SELECT k.i::int4, b.* FROM unnest(%(symbols)s::text[]) WITH ORDINALITY AS k(symbol, i) "  # noqa: S608
        f"CROSS JOIN LATERAL (SELECT date - DATE '1970-01-01', {values} FROM ohlcv_daily "
        "WHERE provider = %(provider)s AND symbol = k.symbol AND date >= %(start)s AND date <= %(end)s "
        "ORDER BY date OFFSET 0) b) TO STDOUT (FORMAT binary)"
    )
    stream = io.BytesIO()
    cursor = conn.connection.driver_connection.cursor()
    try:  # COPY takes no server-side parameters: the driver binds them (quoted, escaped) into the statement
        bound = cursor.mogrify(sql, {"symbols": symbols, "provider": provider, "start": start, "end": end})
        cursor.copy_expert(bound.decode(), stream)
    finally:
        cursor.close()
    index, day, *data = pgcopy.decode_fixed(stream.getvalue(), [">i4", ">i4"] + [">f8"] * len(wanted))
    if index.size == 0:
        return {}
    if (np.diff(index) < 0).any() or ((np.diff(day) <= 0) & (np.diff(index) == 0)).any():
        order = np.lexsort((day, index))  # the plan above yields symbol then date order; never rely on it
        index, day, data = index[order], day[order], [d[order] for d in data]
    present, first = np.unique(index, return_index=True)
    last = np.append(first[1:], index.size)
    rows_of = [1 + OHLCV.index(c) for c in wanted]
    out: dict[str, np.ndarray] = {}
    for i, a, b in zip(present.tolist(), first.tolist(), last.tolist(), strict=True):
        block = np.full((6, b - a), np.nan)
        block[0] = day[a:b]
        for row, values_of in zip(rows_of, data, strict=True):
            block[row] = values_of[a:b]
        out[symbols[i - 1]] = block  # WITH ORDINALITY counts from 1
    return out


def _range_reads(
    conn: Connection, provider: str, symbols: list[str], start: dt.date, end: dt.date, wanted: list[str]
) -> dict[str, np.ndarray]:
    """SQLite: one primary-key range read per symbol (in-process, so a statement costs no round trip)."""
    # Identifiers come from the OHLCV constant; values are bound parameters.
    sql = (
        f"SELECT julianday(date) - 2440587.5, {', '.join(wanted)} FROM ohlcv_daily "  # noqa: S608
        "WHERE provider = ? AND symbol = ? AND date >= ? AND date <= ? ORDER BY date"
    )
    rows_of = [1 + OHLCV.index(c) for c in wanted]
    out: dict[str, np.ndarray] = {}
    cursor = conn.connection.driver_connection.cursor()
    try:
        for symbol in symbols:
            cursor.execute(sql, (provider, symbol, start.isoformat(), end.isoformat()))
            rows = cursor.fetchall()
            if not rows:
                continue
            data = np.array(rows, dtype=np.float64)  # NULL becomes NaN
            block = np.full((6, len(rows)), np.nan)
            block[0] = data[:, 0]
            block[rows_of] = data[:, 1:].T
            out[symbol] = block
    finally:
        cursor.close()
    return out


def option_rows(conn: Connection, symbols: list[str], today: dt.date, rate: float) -> dict[str, OptionData]:
    """See `MarketData.options`; the metrics are DESIGN section 4's, from core.pricing."""
    out = {s: OptionData([], None) for s in symbols}
    for i in range(0, len(symbols), CHUNK):
        part = symbols[i : i + CHUNK]
        state = conn.execute(
            select(
                StockData.symbol,
                StockData.price,
                StockData.iv_rank,
                StockData.iv_percentile,
                StockData.iv30,
                Stock.dividend_yield,
            )
            .join(Stock, Stock.symbol == StockData.symbol)
            .where(StockData.symbol.in_(part))
        ).all()
        for row in state:
            out[row.symbol] = OptionData(
                [],
                row.price,
                {"iv_rank": row.iv_rank, "iv_percentile": row.iv_percentile, "iv30": row.iv30},
                row.dividend_yield or 0.0,
            )
        p = StockPremium
        frame = pd.DataFrame(
            conn.execute(
                select(
                    p.symbol,
                    p.contract_symbol,
                    p.option_type,
                    p.expiration_date,
                    p.strike_price.label("strike"),
                    p.bid,
                    p.ask,
                    p.last,
                    p.volume,
                    p.open_interest,
                    p.implied_volatility.label("iv"),
                    p.delta,
                    p.gamma,
                    p.theta,
                    p.vega,
                    p.underlying_price,
                    p.quality_flag,
                    p.contract_size,
                )
                .where(p.symbol.in_(part), p.expiration_date >= today)
                .order_by(p.symbol, p.expiration_date, p.option_type, p.strike_price)
            )
            .mappings()
            .all()
        )
        if frame.empty:
            continue
        spot = frame["symbol"].map({s: d.spot for s, d in out.items()})
        frame["underlying_price"] = frame["underlying_price"].fillna(spot)
        expiry = pd.to_datetime(frame["expiration_date"]).to_numpy(dtype="datetime64[D]")
        frame["dte"] = (expiry - np.datetime64(today, "D")).astype("int64")
        dividend = frame["symbol"].map({s: d.dividend_yield for s, d in out.items()})
        m = premium_metrics(
            frame["bid"],
            frame["ask"],
            frame["strike"],
            frame["underlying_price"],
            frame["dte"],
            frame["iv"],
            rate,
            dividend.to_numpy(dtype=float),
            frame["option_type"].to_numpy(),
            size=frame["contract_size"].to_numpy(dtype=float),
        )
        for name in (
            "mid",
            "premium",
            "monthly_return",
            "annualized_return",
            "breakeven",
            "cushion_pct",
            "prob_otm",
            "spread_pct",
        ):
            frame[name] = getattr(m, name)
        frame["expiration_date"] = frame["expiration_date"].astype(str)
        for symbol, rows in frame.groupby("symbol", sort=False):
            records = rows[list(OPTION_COLUMNS)].astype(object).where(rows[list(OPTION_COLUMNS)].notna(), None)
            out[symbol].rows = records.to_dict("records")
            if out[symbol].spot is None and len(rows):
                out[symbol].spot = float(rows["underlying_price"].iloc[-1])
    return out

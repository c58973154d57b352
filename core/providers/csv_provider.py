"""The csv provider: market data from a folder of chain snapshot files and daily price files (DESIGN section 5).

Chain snapshots (any layout `core.providers.chain_files` reads: Wheelhouse, yfinance, Cboe in English or French,
Yahoo's web table) may sit anywhere under the folder; daily history is `ohlcv/<SYMBOL>.csv` with columns date,
open, high, low, close, volume (any case). A symbol's newest snapshot on or before `as_of` is its chain.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import logging
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from core.clock import NEW_YORK
from core.providers.base import (
    CHAIN_COLUMNS,
    OHLCV_COLUMNS,
    ChainSnapshot,
    MarketDataProvider,
    NoOptions,
    Profile,
    ProviderError,
    Quote,
    SymbolNotFound,
    apply_window,
)
from core.providers.chain_files import (
    EXTRA_COLUMNS,
    ChainFile,
    ChainFileError,
    NotAChainFile,
    header_key,
    load_chain_file,
    read_chain_file,
)

log = logging.getLogger(__name__)

_PARSED: OrderedDict[tuple[str, int, int], ChainFile] = OrderedDict()  # (path, size, mtime) -> the file read
_PARSED_MAX = 64
_PARSED_LOCK = threading.Lock()


def _load_unchanged_once(path: Path) -> ChainFile:
    """`load_chain_file(path)`, read again only when the file changed (its size or modification time).

    A folder of chain files is read by every provider made over it (a sync makes one per run, the fetchers
    share it); parsing is the costly part and most files never change once written.
    """
    info = path.stat()
    key = (str(path.resolve()), info.st_size, info.st_mtime_ns)
    with _PARSED_LOCK:
        if (known := _PARSED.get(key)) is not None:
            _PARSED.move_to_end(key)
            return known
    loaded = load_chain_file(path)
    with _PARSED_LOCK:
        _PARSED[key] = loaded
        while len(_PARSED) > _PARSED_MAX:
            _PARSED.popitem(last=False)
    return loaded


@dataclass
class _Snapshot:
    """Every row of one symbol saved at one moment, across however many files hold them."""

    symbol: str
    quote_time: pd.Timestamp | None
    frames: list[pd.DataFrame] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    name: str | None = None
    warnings: list[str] = field(default_factory=list)

    @functools.cached_property
    def chain(self) -> pd.DataFrame:
        frame = pd.concat(self.frames, ignore_index=True)
        key = ["expiration", "option_type", "strike"]
        duplicated = frame.duplicated(key, keep="last")
        if duplicated.any():
            self.warnings.append(
                f"{self.symbol}: {int(duplicated.sum())} contracts appear in more than one "
                f"file of this snapshot; the last file read wins ({', '.join(self.sources)})"
            )
            frame = frame.loc[~duplicated].reset_index(drop=True)
        return frame.sort_values(["expiration", "option_type", "strike"], ignore_index=True)

    @property
    def underlying_price(self) -> float | None:
        prices = self.chain["underlying_price"].dropna()
        return float(prices.iloc[-1]) if len(prices) else None


def _exchange_day(moment: pd.Timestamp) -> dt.date:
    return moment.tz_convert(NEW_YORK).date()


class CsvProvider(MarketDataProvider):
    """Market data from a folder: chain snapshots anywhere under it (any layout read_chain_file knows) and
    daily history in `ohlcv/<SYMBOL>.csv`. With `as_of`, only snapshots saved on or before that day count."""

    name = "csv"

    def __init__(self, source_dir: str | Path, as_of: dt.date | str | None = None, *, strict: bool = False):
        self.source_dir = Path(source_dir)
        if not self.source_dir.is_dir():
            raise ProviderError(f"csv provider: {self.source_dir} is not a folder")
        self.as_of = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else as_of
        self.strict = strict
        self.errors: dict[str, str] = {}  # chain files that could not be read, and why
        self.ignored: dict[str, str] = {}  # CSV files that are not chain files (a manifest, notes)
        self._snapshots: dict[str, list[_Snapshot]] | None = None
        self._ohlcv: dict[str, Path] | None = None
        self._history: dict[str, pd.DataFrame] = {}

    # -- the interface -------------------------------------------------------------------------------------
    def universe(self) -> list[str]:
        symbols = {s for s in self._index() if self._current(s, required=False)}
        return sorted(symbols | set(self._ohlcv_files()))

    def quote(self, symbol: str) -> Quote:
        symbol = symbol.upper()
        snap = self._current(symbol, required=False)
        if snap is not None and snap.underlying_price is not None and snap.quote_time is not None:
            return Quote(symbol=symbol, price=snap.underlying_price, quote_time=snap.quote_time.to_pydatetime())
        # No spot in the snapshot (a bare yfinance export): the day's close from ohlcv/, when there is one.
        day = _exchange_day(snap.quote_time) if snap is not None and snap.quote_time is not None else self.as_of
        history = self._read_history(symbol)
        if history is not None and len(history):
            rows = history.loc[: pd.Timestamp(day)] if day else history
            if len(rows):
                close_day = rows.index[-1].date()
                moment = dt.datetime(close_day.year, close_day.month, close_day.day, 16, tzinfo=NEW_YORK)
                return Quote(symbol=symbol, price=float(rows["close"].iloc[-1]), quote_time=moment.astimezone(dt.UTC))
        if snap is None:
            raise SymbolNotFound(f"{symbol}: not in {self.source_dir}")
        raise ProviderError(
            f"{symbol}: the snapshot from {', '.join(snap.sources)} has no underlying price or "
            f"quote time, and ohlcv/ has no close for that day"
        )

    def profile(self, symbol: str) -> Profile:
        snap = self._current(symbol.upper(), required=False)
        return Profile(symbol=symbol.upper(), name=snap.name if snap else None)

    def expirations(self, symbol: str) -> list[dt.date]:
        snap = self._current(symbol.upper(), required=True)
        return sorted(set(snap.chain["expiration"]))

    def chain(self, symbol: str, expiration: dt.date) -> pd.DataFrame:
        chain = self._current(symbol.upper(), required=True).chain
        rows = chain.loc[chain["expiration"] == expiration]
        keep = [*CHAIN_COLUMNS, "option_type", *[c for c in EXTRA_COLUMNS if c in chain]]
        return rows[keep].reset_index(drop=True)

    def snapshot(self, symbol: str, max_dte: int = 0) -> ChainSnapshot:
        symbol = symbol.upper()
        snap = self._current(symbol, required=True)
        chain = snap.chain
        keep = [*CHAIN_COLUMNS, "option_type", "expiration", *[c for c in EXTRA_COLUMNS if c in chain]]
        snapshot = ChainSnapshot(
            quote=self.quote(symbol),
            profile=self.profile(symbol),
            expirations=sorted(set(chain["expiration"])),
            chain=chain[keep].copy(),
            warnings=list(snap.warnings),
        )
        return apply_window(snapshot, max_dte)

    def history(self, symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        frame = self._read_history(symbol.upper())
        if frame is None:
            if symbol.upper() not in self._index():
                raise SymbolNotFound(f"{symbol}: no ohlcv/{symbol.upper()}.csv under {self.source_dir}")
            frame = pd.DataFrame(columns=list(OHLCV_COLUMNS), index=pd.DatetimeIndex([], name="date"), dtype="float64")
        return frame.loc[pd.Timestamp(start) : pd.Timestamp(end)].copy()

    def history_ends(self, symbol: str) -> dt.date | None:
        frame = self._read_history(symbol.upper())
        return None if frame is None or frame.empty else frame.index.max().date()

    # -- the folder ----------------------------------------------------------------------------------------
    def _index(self) -> dict[str, list[_Snapshot]]:
        if self._snapshots is not None:
            return self._snapshots
        groups: dict[tuple[str, pd.Timestamp | None], _Snapshot] = {}
        for path in sorted(self.source_dir.rglob("*")):
            relative = path.relative_to(self.source_dir)
            if path.suffix.lower() != ".csv" or not path.is_file() or "ohlcv" in {p.lower() for p in relative.parts}:
                continue
            try:
                loaded = _load_unchanged_once(path)
            except NotAChainFile as exc:
                self.ignored[str(relative)] = str(exc)
                continue
            except ChainFileError as exc:
                if self.strict:
                    raise
                self.errors[str(relative)] = str(exc)
                log.warning("csv provider: skipped %s", exc)
                continue
            for (symbol, moment), rows in loaded.frame.groupby(["symbol", "quote_time"], dropna=False, sort=False):
                moment = None if pd.isna(moment) else moment
                snap = groups.setdefault((symbol, moment), _Snapshot(symbol, moment))
                snap.frames.append(rows)
                snap.sources.append(str(relative))
                snap.name = snap.name or loaded.name
                if loaded.rejected_rows or loaded.problem_count:
                    snap.warnings.append(
                        f"{relative}: {loaded.rejected_rows} of {loaded.rows_read} rows not loaded,"
                        f" {loaded.problem_count} problems (first: {loaded.problems[0]})"
                    )
        index: dict[str, list[_Snapshot]] = defaultdict(list)
        for snap in groups.values():
            index[snap.symbol].append(snap)
        for snaps in index.values():  # undated first, then oldest to newest
            snaps.sort(key=lambda s: (s.quote_time is not None, s.quote_time or pd.Timestamp(0, tz="UTC")))
        self._snapshots = dict(index)
        return self._snapshots

    def _current(self, symbol: str, *, required: bool) -> _Snapshot | None:
        snaps = self._index().get(symbol, [])
        usable = [
            s for s in snaps if self.as_of is None or s.quote_time is None or _exchange_day(s.quote_time) <= self.as_of
        ]
        if usable:
            return usable[-1]
        if not required:
            return None
        if snaps:
            raise NoOptions(f"{symbol}: no chain snapshot on or before {self.as_of} in {self.source_dir}")
        if symbol in self._ohlcv_files():
            raise NoOptions(f"{symbol}: {self.source_dir} has price history but no option chains")
        raise SymbolNotFound(f"{symbol}: not in {self.source_dir}")

    def _ohlcv_files(self) -> dict[str, Path]:
        """SYMBOL -> file: `ohlcv/<SYMBOL>.csv` first, then `<SYMBOL>.csv` or `<SYMBOL>_*.csv` deeper in ohlcv/."""
        if self._ohlcv is None:
            root = self.source_dir / "ohlcv"
            found: dict[str, Path] = {}
            if root.is_dir():
                for path in sorted(root.rglob("*.csv"), key=lambda p: (len(p.relative_to(root).parts), str(p))):
                    found.setdefault(path.stem.split("_")[0].upper(), path)
            self._ohlcv = found
        return self._ohlcv

    def _read_history(self, symbol: str) -> pd.DataFrame | None:
        if symbol not in self._history:
            path = self._ohlcv_files().get(symbol)
            if path is None:
                return None
            self._history[symbol] = read_ohlcv_file(path)
        return self._history[symbol]


def read_ohlcv_file(path: str | Path) -> pd.DataFrame:
    """Daily prices with a date index and lower-case OHLCV columns, from `date,open,...` in any case, Yahoo's
    download (`Date,...,Adj Close,Volume`) or quantmod's (`Index,AAPL.Open,...`)."""
    path = Path(path)
    try:
        raw = pd.read_csv(path, sep=None, engine="python", dtype=str)
    except (OSError, ValueError, csv.Error) as exc:
        raise ProviderError(f"{path}: cannot read daily prices: {exc}") from exc
    names = {}
    for column in raw.columns:
        key = header_key(str(column).rsplit(".", 1)[-1]) if "." in str(column) else header_key(column)
        key = {"index": "date", "datetime": "date", "timestamp": "date", "day": "date"}.get(key, key)
        if key in ("date", *OHLCV_COLUMNS) and key not in names.values():
            names[column] = key
    if "date" not in names.values() and len(raw.columns) and str(raw.columns[0]).startswith("Unnamed"):
        names[raw.columns[0]] = "date"
    lacking = [c for c in ("date", "open", "high", "low", "close") if c not in names.values()]
    if lacking:
        raise ProviderError(f"{path}: daily prices need columns {', '.join(lacking)} (found {list(raw.columns)})")
    frame = raw.rename(columns=names)
    dates = pd.to_datetime(frame["date"], errors="coerce")
    bad = int(dates.isna().sum())
    if bad:
        log.warning("%s: %d rows without a readable date were not loaded", path, bad)
    out = frame.reindex(columns=list(OHLCV_COLUMNS)).apply(pd.to_numeric, errors="coerce").astype("float64")
    out.index = pd.DatetimeIndex(dates, name="date").normalize()
    out = out.loc[dates.notna().to_numpy()]
    return out[~out.index.duplicated(keep="last")].sort_index()


__all__ = [
    "ChainFile",
    "ChainFileError",
    "CsvProvider",
    "NotAChainFile",
    "load_chain_file",
    "read_chain_file",
    "read_ohlcv_file",
]

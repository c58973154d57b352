"""Chain snapshots and daily history from a folder of CSV files (DESIGN section 5), in the layouts met in practice.

`read_chain_file(path)` finds the header (the layout is told from it, in English or French, comma or
semicolon separated, decimal point or comma) and returns one normalised frame: CHAIN_COLUMNS plus `symbol`,
`option_type`, `expiration` (a date), `underlying_price`, `quote_time` (aware UTC), and extras a source
carries (Cboe's `delta`, `gamma`). Layouts:

- `wheelhouse` / `yfinance`: the 14 `option_chain()` columns, with or without symbol, option_type, expiration,
  underlying_price, quote_time; what is missing comes from the OCC contract code (AAPL250620C00195000) and
  from a sidecar `<file stem>.meta.json` ({"symbol", "underlying_price", "quote_time", "name"}).
- `cboe`: Cboe's delayed-quote download: `<name>,Last: <px>` and `Date: <when>` above the header, then one row
  per (expiry, strike) with the call on the left and the put on the right.
- `yfinance_derived` (ticker, optionType, spotPrice ...) and `yahoo_web` (Yahoo's web table: IV in percent,
  `-` for missing, `% Change` as text).

A file that cannot be read raises `ChainFileError` naming the file and line. A row that cannot be parsed is
never dropped silently: it is counted in `frame.attrs["rejected_rows"]` and described, with its line and
column, in `frame.attrs["problems"]`; a cell that is not a number becomes NaN and is reported the same way.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import json
import logging
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

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
)

log = logging.getLogger(__name__)
NEW_YORK = ZoneInfo("America/New_York")
META_COLUMNS = ("symbol", "option_type", "expiration", "underlying_price", "quote_time")
EXTRA_COLUMNS = ("delta", "gamma")
MAX_PROBLEMS = 50  # messages kept per file; the counts are always complete


class ChainFileError(ValueError):
    """A chain file that cannot be read, with the file and, where known, the line and column."""

    def __init__(self, path: str | Path, message: str, line: int | None = None, column: str | None = None):
        self.path, self.line, self.column = Path(path), line, column
        where = f"{path}" + (f", line {line}" if line else "") + (f", column {column!r}" if column else "")
        super().__init__(f"{where}: {message}")


class NotAChainFile(ChainFileError):
    """No header of a known chain layout: a folder scan skips such files (manifest.csv, notes)."""


# -- header vocabulary: keys are folded (accents dropped, lower case, letters, digits and % only) -------------
def _fold(text: str) -> str:
    return unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()


def _key(cell: str) -> str:
    return re.sub(r"[^a-z0-9%]", "", _fold(cell))


_FLAT = {
    "contractSymbol": "contractsymbol contractname contract optionsymbol symboleducontrat",
    "lastTradeDate": "lasttradedate lasttrade datedeladernieretransaction dernieretransaction",
    "strike": "strike strikeprice prixdexercice",
    "lastPrice": "lastprice last lastsale dernierprix dernier dernierevente",
    "bid": "bid achat", "ask": "ask vente",
    "change": "change variation net", "percentChange": "percentchange %change changepercent %variation",
    "volume": "volume", "openInterest": "openinterest interetouvert",
    "impliedVolatility": "impliedvolatility iv vi volatiliteimplicite",
    "inTheMoney": "inthemoney", "contractSize": "contractsize", "currency": "currency devise",
    "symbol": "symbol ticker underlyingsymbol underlying sousjacent",
    "option_type": "optiontype type putcall callput",
    "expiration": "expiration expirationdate expiry expirydate datedexpiration echeance",
    "underlying_price": "underlyingprice spotprice spot prixdusousjacent",
    "quote_time": "quotetime asof", "delta": "delta", "gamma": "gamma",
}
_CBOE_SIDE = {
    "lastPrice": "lastsale last dernierevente dernier dernierprix", "change": "net change variation",
    "bid": "bid achat", "ask": "ask vente", "volume": "volume",
    "impliedVolatility": "iv vi impliedvolatility volatiliteimplicite", "delta": "delta", "gamma": "gamma",
    "openInterest": "openinterest interetouvert positionsouvertes",
}
_CBOE_EXPIRATION = {"expirationdate", "expiration", "datedexpiration", "dateexpiration", "echeance"}
_CBOE_STRIKE = {"strike", "prixdexercice", "exercice"}
_CBOE_CALLS, _CBOE_PUTS = {"calls", "call", "optionsdachat"}, {"puts", "put", "optionsdevente"}


def _lookup(table: dict[str, str]) -> dict[str, str]:
    return {synonym: name for name, synonyms in table.items() for synonym in synonyms.split()}


_FLAT_KEYS, _CBOE_KEYS = _lookup(_FLAT), _lookup(_CBOE_SIDE)
_KIND = {"lastTradeDate": "time", "quote_time": "time", "expiration": "day", "option_type": "type",
         "inTheMoney": "bool", "contractSymbol": "text", "contractSize": "text", "currency": "text",
         "symbol": "text"}  # everything else is a number
_MISSING = {"", "-", "--", "n/a", "na", "nan", "none", "null"}


@dataclass
class _Part:
    """Columns of one block of rows (a flat file, or one side of a Cboe file): field -> (cells, label)."""

    cells: dict[str, tuple[pd.Series, str]]
    constants: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Layout:
    name: str
    header: list[str]
    width: int
    parts: list[tuple[dict[str, int], dict[str, Any]]]  # field -> column index, constants
    ignored: list[str]


def _flat_fields(row: list[str]) -> tuple[dict[str, int], list[str]]:
    """Header cells recognised as chain fields (field -> column index), and the names of the others."""
    mapping: dict[str, int] = {}
    ignored = []
    for i, k in enumerate(_key(cell) for cell in row):
        name = _FLAT_KEYS.get(k)
        if name and name not in mapping:
            mapping[name] = i
        elif k and not k.startswith("unnamed"):
            ignored.append(row[i].strip())
    return mapping, ignored


def _detect(row: list[str]) -> _Layout | None:
    keys = [_key(cell) for cell in row]
    calls = next((i for i, k in enumerate(keys) if k in _CBOE_CALLS), None)
    puts = next((i for i, k in enumerate(keys) if k in _CBOE_PUTS), None)
    strike = next((i for i, k in enumerate(keys) if k in _CBOE_STRIKE), None)
    expiry = next((i for i, k in enumerate(keys) if k in _CBOE_EXPIRATION), None)
    if None not in (calls, puts, strike, expiry) and expiry < calls < strike < puts:
        shared = {"expiration": expiry, "strike": strike}
        left = {_CBOE_KEYS[k]: i for i, k in enumerate(keys[calls + 1:strike], calls + 1) if k in _CBOE_KEYS}
        right = {_CBOE_KEYS[k]: i for i, k in enumerate(keys[puts + 1:], puts + 1) if k in _CBOE_KEYS}
        listed = {"contractSize": "REGULAR", "currency": "USD"}  # Cboe lists US equity and index options
        parts = [({**shared, "contractSymbol": calls, **left}, {"option_type": "call", **listed}),
                 ({**shared, "contractSymbol": puts, **right}, {"option_type": "put", **listed})]
        return _Layout("cboe", row, len(row), parts, [])
    mapping, ignored = _flat_fields(row)
    has_key = "contractSymbol" in mapping or {"symbol", "expiration", "option_type", "strike"} <= set(mapping)
    has_price = bool({"bid", "ask", "lastPrice"} & set(mapping))
    if not (has_key and has_price and len(mapping) >= 4):
        return None
    if "contractname" in keys:
        name = "yahoo_web"
    elif "spotprice" in keys or "timetomaturity" in keys:
        name = "yfinance_derived"
    elif set(CHAIN_COLUMNS) | set(META_COLUMNS) <= set(mapping):
        name = "wheelhouse"
    else:
        name = "yfinance"
    return _Layout(name, row, len(row), [(mapping, {})], ignored)


# -- values ---------------------------------------------------------------------------------------------------
_MONTHS = {name: number for number, names in enumerate((
    "jan january janv janvier", "feb february fev fevr fevrier", "mar march mars", "apr april avr avril",
    "may mai", "jun june juin", "jul july juil juillet", "aug august aout", "sep sept september septembre",
    "oct october octobre", "nov november novembre", "dec december decembre"), start=1) for name in names.split()}
_ZONES = {"edt": -4, "est": -5, "cdt": -5, "cst": -6, "hae": -4, "hne": -5, "hac": -5, "hnc": -6,
          "utc": 0, "gmt": 0, "z": 0}


@functools.lru_cache(maxsize=4096)
def _parse_day(text: str, dayfirst: bool = False) -> dt.date | None:
    """A calendar day from ISO, numeric or written dates in English or French ('Fri Aug 25 2023', 'ven. 25 août
    2023', 'September 14, 2023'); the month name next to the day wins, the one after it first."""
    folded = _fold(text)
    try:
        if m := re.search(r"(\d{4})-(\d{1,2})-(\d{1,2})", folded):
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        if m := re.search(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b", folded):
            day, month = (m[1], m[2]) if dayfirst else (m[2], m[1])
            return dt.date(int(m[3]), int(month), int(day))
        tokens = re.findall(r"[a-z]+|\d+", folded)
        year = next((int(t) for t in tokens if len(t) == 4 and t.isdigit()), None)
        for i, token in enumerate(tokens):
            if year and token.isdigit() and len(token) <= 2:
                for j in (i + 1, i - 1):
                    if 0 <= j < len(tokens) and tokens[j] in _MONTHS:
                        return dt.date(year, _MONTHS[tokens[j]], int(token))
    except ValueError:
        return None
    return None


@functools.lru_cache(maxsize=4096)
def _parse_moment(text: str, dayfirst: bool = False) -> pd.Timestamp | None:
    """A moment from text such as 'September 14, 2023 at 4:31 PM EDT', '14 septembre 2023 à 16 h 31 HAE' or
    '2020-02-24 3:53PM EST', as aware UTC; without a zone, New York time (where US options are quoted)."""
    day = _parse_day(text, dayfirst)
    if day is None:
        return None
    folded = _fold(text)
    hour = minute = second = 0
    if m := re.search(r"(\d{1,2})\s*[:h]\s*(\d{2})(?::(\d{2}))?\s*([ap])?\.?\s*m?\b", folded):
        hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
        if m[4] == "p" and hour < 12:
            hour += 12
        elif m[4] == "a" and hour == 12:
            hour = 0
    zone: dt.tzinfo = NEW_YORK
    if m := re.search(r"\b(?:utc|gmt)\s*([+-])(\d{1,2})(?::?(\d{2}))?", folded):
        offset = dt.timedelta(hours=int(m[2]), minutes=int(m[3] or 0))
        zone = dt.timezone(offset if m[1] == "+" else -offset)
    else:
        named = next((t for t in re.findall(r"[a-z]+", folded) if t in _ZONES), None)
        if named:
            zone = dt.timezone(dt.timedelta(hours=_ZONES[named]))
    try:
        moment = dt.datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone)
    except ValueError:
        return None
    return pd.Timestamp(moment).tz_convert("UTC")


def _blank(cells: pd.Series) -> pd.Series:
    return cells.isna() | cells.str.strip().str.lower().isin(_MISSING)


def _to_number(cells: pd.Series, decimal: str) -> tuple[pd.Series, pd.Series]:
    missing = _blank(cells)
    text = cells.str.replace(r"[\s\u00a0\u202f%+]", "", regex=True)
    if decimal == ",":
        comma = text.str.contains(",", regex=False, na=False)
        text = text.where(~comma, text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    else:
        text = text.str.replace(",", "", regex=False)
    numbers = pd.to_numeric(text.where(~missing), errors="coerce").astype("float64")
    return numbers, numbers.isna() & ~missing


def _to_time(cells: pd.Series, dayfirst: bool) -> tuple[pd.Series, pd.Series]:
    missing = _blank(cells)
    text = cells.str.strip().where(~missing)
    times = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")  # naive means UTC (yfinance)
    todo = times.isna() & ~missing
    if todo.any():
        times.loc[todo] = pd.to_datetime(text[todo].map(lambda v: _parse_moment(v, dayfirst)), utc=True)
    return times, times.isna() & ~missing


def _to_day(cells: pd.Series, dayfirst: bool) -> tuple[pd.Series, pd.Series]:
    missing = _blank(cells)
    days = cells.where(~missing).map(lambda v: _parse_day(v, dayfirst) if isinstance(v, str) else None)
    return days.astype(object), days.isna() & ~missing


def _to_words(cells: pd.Series, words: dict[str, Any]) -> tuple[pd.Series, pd.Series]:
    missing = _blank(cells)
    values = cells.map(lambda v: words.get(_key(v)) if isinstance(v, str) else None)
    return values, values.isna() & ~missing


_TYPES = {"call": "call", "calls": "call", "c": "call", "optiondachat": "call",
          "put": "put", "puts": "put", "p": "put", "optiondevente": "put"}
_BOOLS = {w: True for w in ("true", "1", "yes", "y", "t", "vrai", "oui")} | {
    w: False for w in ("false", "0", "no", "n", "f", "faux", "non")}
_OCC = re.compile(r"^(?P<root>[A-Z0-9.^]+?)(?P<day>\d{6})(?P<kind>[CP])(?P<strike>\d{8})$")


# -- reading one file -----------------------------------------------------------------------------------------
@dataclass
class _Context:
    path: Path
    decimal: str = "."
    dayfirst: bool = False
    rejected_lines: set[int] = field(default_factory=set)
    problem_count: int = 0
    problems: list[str] = field(default_factory=list)

    def report(self, message: str) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(message)

    def reject(self, line: int, why: str) -> None:
        self.rejected_lines.add(int(line))
        self.report(f"line {line}: {why}")


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ChainFileError(path, f"cannot read the file: {exc.strerror or exc}") from exc
    if b"\x00" in data[:65536]:
        raise ChainFileError(path, "binary data, not CSV text", line=data[:data.index(b"\x00")].count(b"\n") + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")  # what Excel writes for "CSV (séparateur: point-virgule)"
        except UnicodeDecodeError as exc:
            line = data[:exc.start].count(b"\n") + 1
            raise ChainFileError(path, f"neither UTF-8 nor Windows-1252 text (byte {exc.start})", line) from exc
    if not text.strip():
        raise ChainFileError(path, "the file is empty")
    return text


def _scan(path: Path, text: str) -> tuple[_Layout, list[list[str]], list[tuple[int, list[str]]], str]:
    """The layout, the rows above the header, the data rows with their line numbers, and the delimiter."""
    nearest: tuple[int, int, list[str]] = (2, 0, [])  # fields recognised, line, their names
    for delimiter in (",", ";", "\t"):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        preamble: list[list[str]] = []
        try:
            for row in reader:
                layout = _detect(row)
                if layout:
                    rows = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
                    return layout, preamble, rows, delimiter
                fields = list(_flat_fields(row)[0])
                if len(fields) > nearest[0]:
                    nearest = (len(fields), reader.line_num, fields)
                preamble.append(row)
                if len(preamble) >= 15:
                    break
        except csv.Error as exc:
            raise ChainFileError(path, f"not valid CSV: {exc}", reader.line_num) from exc
    message = "no header of a known option-chain layout in the first 15 lines"
    if nearest[1]:
        message += (f"; the nearest has {', '.join(nearest[2])} but needs contractSymbol (or symbol, "
                    "expiration, option_type and strike) and a bid, ask or last price")
    raise NotAChainFile(path, message, nearest[1] or None)


def _preamble(rows: list[list[str]], decimal: str) -> dict[str, Any]:
    """What Cboe writes above its header: `<name>,Last: 450.81,...` and `Date: September 14, 2023 at ...`."""
    found: dict[str, Any] = {}
    for row in rows:
        for i, cell in enumerate(row):
            label, _, value = cell.partition(":")
            label_key = _key(label)
            if label_key in ("last", "dernier", "derniere", "dernierprix", "dernierevente") and value.strip():
                number, bad = _to_number(pd.Series([value.strip()], dtype=object), decimal)
                if not bad.iloc[0] and pd.notna(number.iloc[0]):
                    found["underlying_price"] = float(number.iloc[0])
                    if i > 0 and row[0].strip():
                        found["name"] = row[0].strip()
            elif label_key == "date" and value.strip():
                moment = _parse_moment(value.strip(), decimal == ",")
                if moment is not None:
                    found["quote_time"] = moment
    return found


def _sidecar(path: Path) -> dict[str, Any]:
    meta = path.with_name(path.stem + ".meta.json")
    if not meta.is_file():
        return {}
    try:
        values = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ChainFileError(meta, f"unreadable sidecar: {exc}") from exc
    if not isinstance(values, dict):
        raise ChainFileError(meta, "a sidecar must hold one JSON object")
    found: dict[str, Any] = {}
    try:
        if values.get("symbol"):
            found["symbol"] = str(values["symbol"]).upper()
        if values.get("name"):
            found["name"] = str(values["name"])
        if values.get("underlying_price") is not None:
            found["underlying_price"] = float(values["underlying_price"])
        if values.get("quote_time"):
            found["quote_time"] = _utc_timestamp(values["quote_time"])
    except (TypeError, ValueError) as exc:
        raise ChainFileError(meta, f"unreadable sidecar value: {exc}") from exc
    return found


def _utc_timestamp(value: Any) -> pd.Timestamp:
    """A moment as aware UTC; a naive one is taken as UTC already."""
    moment = pd.Timestamp(value)
    return moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")


def _file_name_time(path: Path) -> pd.Timestamp | None:
    """`..._asof2024-10-01...`: that day's 16:00 New York close, the usual moment of a saved chain."""
    if m := re.search(r"asof[-_]?(\d{4}-\d{2}-\d{2})", path.name, re.IGNORECASE):
        try:
            day = dt.date.fromisoformat(m[1])
        except ValueError:
            return None
        return pd.Timestamp(dt.datetime(day.year, day.month, day.day, 16, tzinfo=NEW_YORK)).tz_convert("UTC")
    return None


def _convert(part: _Part, lines: np.ndarray, ctx: _Context, layout: str) -> pd.DataFrame:
    out: dict[str, pd.Series] = {}
    for name, (cells, label) in part.cells.items():
        kind = _KIND.get(name, "number")
        if kind == "text":
            values, bad = cells.where(~_blank(cells)).str.strip(), None
        elif kind == "time":
            values, bad = _to_time(cells, ctx.dayfirst)
        elif kind == "day":
            values, bad = _to_day(cells, ctx.dayfirst)
        elif kind == "type":
            values, bad = _to_words(cells, _TYPES)
        elif kind == "bool":
            values, bad = _to_words(cells, _BOOLS)
        else:
            values, bad = _to_number(cells, ctx.decimal)
        if bad is not None and bad.any():
            for line, cell in zip(lines[bad.to_numpy()], cells[bad], strict=True):
                ctx.report(f"line {line}, {label}: {cell!r} is not a valid {kind} (kept as missing)")
        out[name] = values
    frame = pd.DataFrame(out, index=range(len(lines)))
    if layout == "yahoo_web" and "impliedVolatility" in frame:
        frame["impliedVolatility"] = frame["impliedVolatility"] / 100.0  # the web table shows percent
    for name, value in part.constants.items():
        frame[name] = value
    return frame


def _complete(frame: pd.DataFrame, lines: np.ndarray, fills: dict[str, Any], ctx: _Context) -> pd.DataFrame:
    """Fill what the columns lack from the contract code and the file's context; drop rows without identity."""
    frame = frame.reindex(columns=[*CHAIN_COLUMNS, *META_COLUMNS, *[c for c in EXTRA_COLUMNS if c in frame]])
    codes = frame["contractSymbol"].astype(object).where(frame["contractSymbol"].notna(), "")
    occ = codes.str.upper().str.strip().str.extract(_OCC)
    occ_day = pd.to_datetime(occ["day"], format="%y%m%d", errors="coerce").dt.date.astype(object)
    # A root with trailing digits (AMD1) is an adjusted contract: its deliverable is not 100 shares.
    base = occ["root"].str.replace(r"\d+$", "", regex=True)
    adjusted = (occ["root"].notna() & (occ["root"] != base)).to_numpy()
    frame["symbol"] = frame["symbol"].where(frame["symbol"].notna(), fills.get("symbol"))
    frame["symbol"] = frame["symbol"].where(frame["symbol"].notna(), base).str.upper()
    frame["option_type"] = frame["option_type"].where(frame["option_type"].notna(),
                                                      occ["kind"].map({"C": "call", "P": "put"}))
    frame["expiration"] = frame["expiration"].where(frame["expiration"].notna(), occ_day.where(occ_day.notna()))
    strikes = pd.to_numeric(occ["strike"], errors="coerce") / 1000.0
    frame["strike"] = frame["strike"].astype("float64").fillna(strikes)
    for name in ("underlying_price", "quote_time"):
        if fills.get(name) is not None:
            frame[name] = frame[name].where(frame[name].notna(), fills[name])
    missing = {name: frame[name].isna().to_numpy() for name in ("symbol", "option_type", "expiration", "strike")}
    unidentified = np.logical_or.reduce(list(missing.values()))
    for i in np.flatnonzero(unidentified):
        lacking = ", ".join(name for name, mask in missing.items() if mask[i])
        ctx.reject(lines[i], f"row not loaded, no {lacking} (and no contract code to infer it from)")
    for i in np.flatnonzero(adjusted & ~unidentified):
        ctx.reject(lines[i], f"{codes.iloc[i]} not loaded: an adjusted contract (root {occ['root'].iloc[i]}), "
                             f"its deliverable is not 100 shares of {base.iloc[i]}")
    frame = frame.loc[~(unidentified | adjusted)].reset_index(drop=True)
    return _finish_types(frame)


def _finish_types(frame: pd.DataFrame) -> pd.DataFrame:
    for name in ("strike", "lastPrice", "bid", "ask", "change", "percentChange", "volume", "openInterest",
                 "impliedVolatility", "underlying_price", *[c for c in EXTRA_COLUMNS if c in frame]):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    for name in ("lastTradeDate", "quote_time"):
        frame[name] = pd.to_datetime(frame[name], utc=True, errors="coerce")
    frame["contractSymbol"] = frame["contractSymbol"].astype(object)
    no_code = frame["contractSymbol"].isna()
    if no_code.any():  # yfinance_derived has none: write the OCC code the other layouts carry
        f = frame[no_code]
        frame.loc[no_code, "contractSymbol"] = (
            f["symbol"].str.lstrip("^") + f["expiration"].map(lambda d: d.strftime("%y%m%d"))
            + f["option_type"].str[0].str.upper() + (f["strike"] * 1000).round().astype("int64").map("{:08d}".format))
    itm = np.where(frame["option_type"] == "call", frame["strike"] < frame["underlying_price"],
                   frame["strike"] > frame["underlying_price"])
    computed = pd.Series(itm, index=frame.index, dtype="boolean").where(frame["underlying_price"].notna())
    frame["inTheMoney"] = frame["inTheMoney"].astype("boolean").fillna(computed)
    for name in ("contractSymbol", "contractSize", "currency", "symbol", "option_type"):
        frame[name] = frame[name].astype("str")
    frame["expiration"] = frame["expiration"].astype(object)
    return frame


@dataclass
class ChainFile:
    """One file read: the normalised frame and what was learned on the way."""

    frame: pd.DataFrame
    layout: str
    rows_read: int
    rejected_rows: int
    problems: list[str]
    problem_count: int
    name: str | None = None


def load_chain_file(path: str | Path, *, symbol: str | None = None, underlying_price: float | None = None,
                    quote_time: dt.datetime | None = None) -> ChainFile:
    """Read a chain file of any known layout. Values the file lacks come, in order, from these arguments, the
    sidecar `<stem>.meta.json`, the lines above a Cboe header, and an `asof<YYYY-MM-DD>` in the file name."""
    path = Path(path)
    layout, preamble, rows, delimiter = _scan(path, _read_text(path))
    ctx = _Context(path)
    if delimiter != ",":
        sample = [c for _, r in rows[:200] for c in r]
        commas = sum(bool(re.fullmatch(r"-?\d+,\d+", c.strip())) for c in sample)
        points = sum(bool(re.fullmatch(r"-?\d+\.\d+", c.strip())) for c in sample)
        ctx.decimal, ctx.dayfirst = ("," if commas > points else "."), commas > points
    good: list[tuple[int, list[str]]] = []
    for line, row in rows:
        while len(row) > layout.width and not row[-1].strip():
            row = row[:-1]  # trailing separators, as spreadsheets write them
        if len(row) != layout.width:
            ctx.reject(line, f"row not loaded, {len(row)} fields where the header has {layout.width}")
        else:
            good.append((line, row))
    fills: dict[str, Any] = {"quote_time": _file_name_time(path)}
    fills.update({k: v for k, v in _preamble(preamble, ctx.decimal).items() if v is not None})
    fills.update(_sidecar(path))
    explicit = {"symbol": symbol.upper() if symbol else None, "underlying_price": underlying_price,
                "quote_time": _utc_timestamp(quote_time) if quote_time else None}
    fills.update({k: v for k, v in explicit.items() if v is not None})
    lines = np.array([line for line, _ in good], dtype="int64")
    table = pd.DataFrame([row for _, row in good], columns=range(layout.width), dtype=object)
    frames = []
    for mapping, constants in layout.parts:
        cells = {name: (table[i], f"column {i + 1} {layout.header[i].strip()!r}") for name, i in mapping.items()}
        frames.append(_convert(_Part(cells, constants), lines, ctx, layout.name))
    frame = _complete(pd.concat(frames, ignore_index=True), np.concatenate([lines] * len(frames)), fills, ctx)
    if rows and frame.empty:
        first = ctx.problems[0] if ctx.problems else "no row could be read"
        raise ChainFileError(path, f"none of {len(rows)} rows could be read; first problem: {first}")
    rejected = len(ctx.rejected_lines)
    frame.attrs.update(source=str(path), layout=layout.name, rows_read=len(rows), rejected_rows=rejected,
                       problems=list(ctx.problems), problem_count=ctx.problem_count,
                       ignored_columns=list(layout.ignored))
    return ChainFile(frame, layout.name, len(rows), rejected, ctx.problems, ctx.problem_count, fills.get("name"))


def read_chain_file(path: str | Path) -> pd.DataFrame:
    """The normalised frame of one chain file; `attrs` carries layout, rows_read, rejected_rows, problems."""
    return load_chain_file(path).frame


# -- the provider ---------------------------------------------------------------------------------------------
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
            self.warnings.append(f"{self.symbol}: {int(duplicated.sum())} contracts appear in more than one "
                                 f"file of this snapshot; the last file read wins ({', '.join(self.sources)})")
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
            rows = history.loc[:pd.Timestamp(day)] if day else history
            if len(rows):
                close_day = rows.index[-1].date()
                moment = dt.datetime(close_day.year, close_day.month, close_day.day, 16, tzinfo=NEW_YORK)
                return Quote(symbol=symbol, price=float(rows["close"].iloc[-1]), quote_time=moment.astimezone(dt.UTC))
        if snap is None:
            raise SymbolNotFound(f"{symbol}: not in {self.source_dir}")
        raise ProviderError(f"{symbol}: the snapshot from {', '.join(snap.sources)} has no underlying price or "
                            f"quote time, and ohlcv/ has no close for that day")

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

    def snapshot(self, symbol: str) -> ChainSnapshot:
        symbol = symbol.upper()
        snap = self._current(symbol, required=True)
        chain = snap.chain
        keep = [*CHAIN_COLUMNS, "option_type", "expiration", *[c for c in EXTRA_COLUMNS if c in chain]]
        return ChainSnapshot(quote=self.quote(symbol), profile=self.profile(symbol),
                             expirations=sorted(set(chain["expiration"])), chain=chain[keep].copy(),
                             warnings=list(snap.warnings))

    def history(self, symbol: str, start: dt.date, end: dt.date) -> pd.DataFrame:
        frame = self._read_history(symbol.upper())
        if frame is None:
            if symbol.upper() not in self._index():
                raise SymbolNotFound(f"{symbol}: no ohlcv/{symbol.upper()}.csv under {self.source_dir}")
            frame = pd.DataFrame(columns=list(OHLCV_COLUMNS), index=pd.DatetimeIndex([], name="date"),
                                 dtype="float64")
        return frame.loc[pd.Timestamp(start):pd.Timestamp(end)].copy()

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
                loaded = load_chain_file(path)
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
                    snap.warnings.append(f"{relative}: {loaded.rejected_rows} of {loaded.rows_read} rows not loaded,"
                                         f" {loaded.problem_count} problems (first: {loaded.problems[0]})")
        index: dict[str, list[_Snapshot]] = defaultdict(list)
        for snap in groups.values():
            index[snap.symbol].append(snap)
        for snaps in index.values():  # undated first, then oldest to newest
            snaps.sort(key=lambda s: (s.quote_time is not None, s.quote_time or pd.Timestamp(0, tz="UTC")))
        self._snapshots = dict(index)
        return self._snapshots

    def _current(self, symbol: str, *, required: bool) -> _Snapshot | None:
        snaps = self._index().get(symbol, [])
        usable = [s for s in snaps if self.as_of is None or s.quote_time is None
                  or _exchange_day(s.quote_time) <= self.as_of]
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
        key = _key(str(column).rsplit(".", 1)[-1]) if "." in str(column) else _key(column)
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


__all__ = ["ChainFile", "ChainFileError", "CsvProvider", "NotAChainFile", "load_chain_file", "read_chain_file",
           "read_ohlcv_file"]

"""Reading one chain file: find the header, tell the layout, convert every cell, fill what the file lacks."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.clock import NEW_YORK
from core.providers.base import (
    CHAIN_COLUMNS,
)
from core.providers.chain_files.layouts import KIND, META_COLUMNS, Layout, Part, detect_layout, flat_fields, header_key
from core.providers.chain_files.values import (
    BOOLS,
    OCC_PATTERN,
    OPTION_TYPES,
    is_blank,
    parse_moment,
    to_day,
    to_number,
    to_time,
    to_words,
)

log = logging.getLogger(__name__)
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
        raise ChainFileError(path, "binary data, not CSV text", line=data[: data.index(b"\x00")].count(b"\n") + 1)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("cp1252")  # what Excel writes for "CSV (séparateur: point-virgule)"
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ChainFileError(path, f"neither UTF-8 nor Windows-1252 text (byte {exc.start})", line) from exc
    if not text.strip():
        raise ChainFileError(path, "the file is empty")
    return text


def _scan(path: Path, text: str) -> tuple[Layout, list[list[str]], list[tuple[int, list[str]]], str]:
    """The layout, the rows above the header, the data rows with their line numbers, and the delimiter."""
    nearest: tuple[int, int, list[str]] = (2, 0, [])  # fields recognised, line, their names
    for delimiter in (",", ";", "\t"):
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        preamble: list[list[str]] = []
        try:
            for row in reader:
                layout = detect_layout(row)
                if layout:
                    rows = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
                    return layout, preamble, rows, delimiter
                fields = list(flat_fields(row)[0])
                if len(fields) > nearest[0]:
                    nearest = (len(fields), reader.line_num, fields)
                preamble.append(row)
                if len(preamble) >= 15:
                    break
        except csv.Error as exc:
            raise ChainFileError(path, f"not valid CSV: {exc}", reader.line_num) from exc
    message = "no header of a known option-chain layout in the first 15 lines"
    if nearest[1]:
        message += (
            f"; the nearest has {', '.join(nearest[2])} but needs contractSymbol (or symbol, "
            "expiration, option_type and strike) and a bid, ask or last price"
        )
    raise NotAChainFile(path, message, nearest[1] or None)


def _preamble(rows: list[list[str]], decimal: str) -> dict[str, Any]:
    """What Cboe writes above its header: `<name>,Last: 450.81,...` and `Date: September 14, 2023 at ...`."""
    found: dict[str, Any] = {}
    for row in rows:
        for i, cell in enumerate(row):
            label, _, value = cell.partition(":")
            label_key = header_key(label)
            if label_key in ("last", "dernier", "derniere", "dernierprix", "dernierevente") and value.strip():
                number, bad = to_number(pd.Series([value.strip()], dtype=object), decimal)
                if not bad.iloc[0] and pd.notna(number.iloc[0]):
                    found["underlying_price"] = float(number.iloc[0])
                    if i > 0 and row[0].strip():
                        found["name"] = row[0].strip()
            elif label_key == "date" and value.strip():
                moment = parse_moment(value.strip(), decimal == ",")
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


def _convert(part: Part, lines: np.ndarray, ctx: _Context, layout: str) -> pd.DataFrame:
    out: dict[str, pd.Series] = {}
    for name, (cells, label) in part.cells.items():
        kind = KIND.get(name, "number")
        if kind == "text":
            values, bad = cells.where(~is_blank(cells)).str.strip(), None
        elif kind == "time":
            values, bad = to_time(cells, ctx.dayfirst)
        elif kind == "day":
            values, bad = to_day(cells, ctx.dayfirst)
        elif kind == "type":
            values, bad = to_words(cells, OPTION_TYPES)
        elif kind == "bool":
            values, bad = to_words(cells, BOOLS)
        else:
            values, bad = to_number(cells, ctx.decimal)
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
    occ = codes.str.upper().str.strip().str.extract(OCC_PATTERN)
    occ_day = pd.to_datetime(occ["day"], format="%y%m%d", errors="coerce").dt.date.astype(object)
    # A root with trailing digits (AMD1) is an adjusted contract: its deliverable is not 100 shares.
    base = occ["root"].str.replace(r"\d+$", "", regex=True)
    adjusted = (occ["root"].notna() & (occ["root"] != base)).to_numpy()
    frame["symbol"] = frame["symbol"].where(frame["symbol"].notna(), fills.get("symbol"))
    frame["symbol"] = frame["symbol"].where(frame["symbol"].notna(), base).str.upper()
    frame["option_type"] = frame["option_type"].where(
        frame["option_type"].notna(), occ["kind"].map({"C": "call", "P": "put"})
    )
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
        ctx.reject(
            lines[i],
            f"{codes.iloc[i]} not loaded: an adjusted contract (root {occ['root'].iloc[i]}), "
            f"its deliverable is not 100 shares of {base.iloc[i]}",
        )
    frame = frame.loc[~(unidentified | adjusted)].reset_index(drop=True)
    return _finish_types(frame)


def _finish_types(frame: pd.DataFrame) -> pd.DataFrame:
    for name in (
        "strike",
        "lastPrice",
        "bid",
        "ask",
        "change",
        "percentChange",
        "volume",
        "openInterest",
        "impliedVolatility",
        "underlying_price",
        *[c for c in EXTRA_COLUMNS if c in frame],
    ):
        frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    for name in ("lastTradeDate", "quote_time"):
        frame[name] = pd.to_datetime(frame[name], utc=True, errors="coerce")
    frame["contractSymbol"] = frame["contractSymbol"].astype(object)
    no_code = frame["contractSymbol"].isna()
    if no_code.any():  # yfinance_derived has none: write the OCC code the other layouts carry
        f = frame[no_code]
        frame.loc[no_code, "contractSymbol"] = (
            f["symbol"].str.lstrip("^")
            + f["expiration"].map(lambda d: d.strftime("%y%m%d"))
            + f["option_type"].str[0].str.upper()
            + (f["strike"] * 1000).round().astype("int64").map("{:08d}".format)
        )
    itm = np.where(
        frame["option_type"] == "call",
        frame["strike"] < frame["underlying_price"],
        frame["strike"] > frame["underlying_price"],
    )
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


def load_chain_file(
    path: str | Path,
    *,
    symbol: str | None = None,
    underlying_price: float | None = None,
    quote_time: dt.datetime | None = None,
) -> ChainFile:
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
    explicit = {
        "symbol": symbol.upper() if symbol else None,
        "underlying_price": underlying_price,
        "quote_time": _utc_timestamp(quote_time) if quote_time else None,
    }
    fills.update({k: v for k, v in explicit.items() if v is not None})
    lines = np.array([line for line, _ in good], dtype="int64")
    table = pd.DataFrame([row for _, row in good], columns=range(layout.width), dtype=object)
    frames = []
    for mapping, constants in layout.parts:
        cells = {name: (table[i], f"column {i + 1} {layout.header[i].strip()!r}") for name, i in mapping.items()}
        frames.append(_convert(Part(cells, constants), lines, ctx, layout.name))
    frame = _complete(pd.concat(frames, ignore_index=True), np.concatenate([lines] * len(frames)), fills, ctx)
    if rows and frame.empty:
        first = ctx.problems[0] if ctx.problems else "no row could be read"
        raise ChainFileError(path, f"none of {len(rows)} rows could be read; first problem: {first}")
    rejected = len(ctx.rejected_lines)
    frame.attrs.update(
        source=str(path),
        layout=layout.name,
        rows_read=len(rows),
        rejected_rows=rejected,
        problems=list(ctx.problems),
        problem_count=ctx.problem_count,
        ignored_columns=list(layout.ignored),
    )
    return ChainFile(frame, layout.name, len(rows), rejected, ctx.problems, ctx.problem_count, fills.get("name"))


def read_chain_file(path: str | Path) -> pd.DataFrame:
    """The normalised frame of one chain file; `attrs` carries layout, rows_read, rejected_rows, problems."""
    return load_chain_file(path).frame

"""Chain-file cell values: numbers with either decimal mark, days and moments in the formats met, words."""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

import pandas as pd

from core.clock import NEW_YORK
from core.providers.chain_files.layouts import MISSING, fold, header_key

# -- values ---------------------------------------------------------------------------------------------------
_MONTHS = {
    name: number
    for number, names in enumerate(
        (
            "jan january janv janvier",
            "feb february fev fevr fevrier",
            "mar march mars",
            "apr april avr avril",
            "may mai",
            "jun june juin",
            "jul july juil juillet",
            "aug august aout",
            "sep sept september septembre",
            "oct october octobre",
            "nov november novembre",
            "dec december decembre",
        ),
        start=1,
    )
    for name in names.split()
}
_ZONES = {
    "edt": -4,
    "est": -5,
    "cdt": -5,
    "cst": -6,
    "hae": -4,
    "hne": -5,
    "hac": -5,
    "hnc": -6,
    "utc": 0,
    "gmt": 0,
    "z": 0,
}


@functools.lru_cache(maxsize=4096)
def parse_day(text: str, dayfirst: bool = False) -> dt.date | None:
    """A calendar day from ISO, numeric or written dates in English or French ('Fri Aug 25 2023', 'ven. 25 août
    2023', 'September 14, 2023'); the month name next to the day wins, the one after it first."""
    folded = fold(text)
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
def parse_moment(text: str, dayfirst: bool = False) -> pd.Timestamp | None:
    """A moment from text such as 'September 14, 2023 at 4:31 PM EDT', '14 septembre 2023 à 16 h 31 HAE' or
    '2020-02-24 3:53PM EST', as aware UTC; without a zone, New York time (where US options are quoted)."""
    day = parse_day(text, dayfirst)
    if day is None:
        return None
    folded = fold(text)
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


def is_blank(cells: pd.Series) -> pd.Series:
    return cells.isna() | cells.str.strip().str.lower().isin(MISSING)


def to_number(cells: pd.Series, decimal: str) -> tuple[pd.Series, pd.Series]:
    missing = is_blank(cells)
    text = cells.str.replace(r"[\s\u00a0\u202f%+]", "", regex=True)
    if decimal == ",":
        comma = text.str.contains(",", regex=False, na=False)
        text = text.where(~comma, text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    else:
        text = text.str.replace(",", "", regex=False)
    numbers = pd.to_numeric(text.where(~missing), errors="coerce").astype("float64")
    return numbers, numbers.isna() & ~missing


def to_time(cells: pd.Series, dayfirst: bool) -> tuple[pd.Series, pd.Series]:
    missing = is_blank(cells)
    text = cells.str.strip().where(~missing)
    times = pd.to_datetime(text, utc=True, format="ISO8601", errors="coerce")  # naive means UTC (yfinance)
    todo = times.isna() & ~missing
    if todo.any():
        times.loc[todo] = pd.to_datetime(text[todo].map(lambda v: parse_moment(v, dayfirst)), utc=True)
    return times, times.isna() & ~missing


def to_day(cells: pd.Series, dayfirst: bool) -> tuple[pd.Series, pd.Series]:
    missing = is_blank(cells)
    days = cells.where(~missing).map(lambda v: parse_day(v, dayfirst) if isinstance(v, str) else None)
    return days.astype(object), days.isna() & ~missing


def to_words(cells: pd.Series, words: dict[str, Any]) -> tuple[pd.Series, pd.Series]:
    missing = is_blank(cells)
    values = cells.map(lambda v: words.get(header_key(v)) if isinstance(v, str) else None)
    return values, values.isna() & ~missing


OPTION_TYPES = {
    "call": "call",
    "calls": "call",
    "c": "call",
    "optiondachat": "call",
    "put": "put",
    "puts": "put",
    "p": "put",
    "optiondevente": "put",
}
BOOLS = {w: True for w in ("true", "1", "yes", "y", "t", "vrai", "oui")} | {
    w: False for w in ("false", "0", "no", "n", "f", "faux", "non")
}
OCC_PATTERN = re.compile(r"^(?P<root>[A-Z0-9.^]+?)(?P<day>\d{6})(?P<kind>[CP])(?P<strike>\d{8})$")

"""Numbers and times as OpenAlgo and broker exports send them: strings, mostly.

OpenAlgo's replies mix `"83.74"`, `83.74`, `"-104"`, `0.0`, `""` and `"-"` for the same fields depending on
the broker behind it; CSV exports add `$1,234.50`, `+2.5%`, `(12.00)` and `--`. Everything passes through
`parse_amount` / `parse_quantity` here, so "no value" is None (never 0) and a malformed value is a named error.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from zoneinfo import ZoneInfo

from core.clock import NEW_YORK

MISSING = {"", "-", "--", "n/a", "na", "none", "null", "nan"}
_NOISE = re.compile(r"[,$%\s]|^\+")
# Exchanges OpenAlgo reaches in India; everything else is taken as a US market.
INDIA = ZoneInfo("Asia/Kolkata")
INDIAN_EXCHANGES = {"NSE", "BSE", "NFO", "BFO", "CDS", "BCD", "MCX", "NSE_INDEX", "BSE_INDEX", "MCX_INDEX"}


class ValueFormatError(ValueError):
    """A value that is present but is not a number; the message names the field and shows the value."""


def parse_amount(value: object, field: str) -> float | None:
    """A float from a number or a numeric string; None for missing values ('', '-', 'N/A', None, NaN)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value) if math.isfinite(value) else None
    text = str(value).strip()
    if text.lower() in MISSING:
        return None
    negative = text.startswith("(") and text.endswith(")")  # accounting style: (12.50) is -12.50
    cleaned = _NOISE.sub("", text.strip("()"))
    try:
        number = float(cleaned)
    except ValueError:
        raise ValueFormatError(f"{field} is not a number: {text[:40]!r}") from None
    if not math.isfinite(number):
        return None
    return -number if negative else number


def parse_quantity(value: object, field: str = "quantity") -> int:
    """A whole quantity ('-104', 75.0, '1,000'); missing is 0, a fraction is an error (the tables hold whole units)."""
    number = parse_amount(value, field)
    if number is None:
        return 0
    if not number.is_integer():
        raise ValueFormatError(f"{field} is not a whole number: {value!r}")
    return int(number)


def exchange_zone(exchange: str | None) -> ZoneInfo:
    """The time zone an exchange reports its times in."""
    return INDIA if (exchange or "").upper() in INDIAN_EXCHANGES else NEW_YORK


_TIME_FORMATS = (
    "%d-%b-%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%d-%m-%Y %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
)


def parse_broker_time(value: object, exchange: str | None, *, today: dt.date | None = None) -> dt.datetime | None:
    """A UTC time from a broker timestamp ('08-Apr-2025 13:58:03', '13:58:03', epoch seconds), read in the
    exchange's zone; None when absent or unreadable (a time is context, never worth failing a sync)."""
    zone = exchange_zone(exchange)
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        return dt.datetime.fromtimestamp(seconds, dt.UTC)
    text = str(value).strip()
    for fmt in _TIME_FORMATS:
        try:
            local = dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
        return local.replace(tzinfo=zone).astimezone(dt.UTC)
    try:
        clock = dt.time.fromisoformat(text)
    except ValueError:
        return None
    day = today or dt.datetime.now(zone).date()
    return dt.datetime.combine(day, clock, tzinfo=zone).astimezone(dt.UTC)


def exchange_date(moment: dt.datetime | None, exchange: str | None) -> dt.date:
    """The exchange's calendar day of a moment (today there when the moment is unknown)."""
    zone = exchange_zone(exchange)
    return (moment or dt.datetime.now(dt.UTC)).astimezone(zone).date()

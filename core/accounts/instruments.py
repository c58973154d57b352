"""Option symbols as brokers write them, parsed into one contract shape (the wheel reads positions through it).

Accepted spellings of the same contract, e.g. the AAPL 150 put expiring 19 January 2024:
- OCC (the US standard, OSI): root padded to six, YYMMDD, C/P, strike x 1000 in eight digits:
  `AAPL  240119P00150000` (also without the padding, `AAPL240119P00150000`).
- OpenAlgo: base symbol, DDMMMYY, strike, CE/PE: `AAPL19JAN24150PE`; `NIFTY28MAR2420800CE`, `VEDL25APR24292.5CE`.
- Fidelity exports: `-AAPL240119P150` (leading dash, strike as written).
- Schwab exports: `AAPL 01/19/2024 150.00 P`.
Anything else (a stock, a future such as `BANKNIFTY24APR24FUT`) is not an option: `parse_option_symbol` gives None.
Positions keep the broker's symbol; this parse is a reading of it, never a replacement.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

CONTRACT_SIZE = 100  # shares per contract (US equity options); DESIGN section 4

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")

_OCC = re.compile(r"^(?P<root>[A-Z][A-Z0-9.]{0,5}) *(?P<date>\d{6})(?P<type>[CP])(?P<strike>\d{8})$")
_OPENALGO = re.compile(
    r"^(?P<root>[A-Z0-9&_.-]+?)(?P<day>\d{2})(?P<month>" + "|".join(_MONTHS) + r")(?P<year>\d{2})"
    r"(?P<strike>\d+(?:\.\d+)?)(?P<type>CE|PE)$"
)
_FIDELITY = re.compile(r"^-(?P<root>[A-Z][A-Z0-9.]*?)(?P<date>\d{6})(?P<type>[CP])(?P<strike>\d+(?:\.\d+)?)$")
_SCHWAB = re.compile(
    r"^(?P<root>[A-Z][A-Z0-9./]*) (?P<month>\d{2})/(?P<day>\d{2})/(?P<year>\d{4})"
    r" (?P<strike>\d+(?:\.\d+)?) (?P<type>[CP])$"
)


@dataclass(frozen=True)
class OptionContract:
    """One listed option; two spellings of the same contract compare equal (the symbol is not compared)."""

    underlying: str
    option_type: str  # 'call' or 'put', as in stock_premiums
    strike: float
    expiry: dt.date
    symbol: str = field(default="", compare=False)  # as the broker wrote it

    def dte(self, as_of: dt.date) -> int:
        """Calendar days from `as_of` to expiry."""
        return (self.expiry - as_of).days


def parse_option_symbol(symbol: str) -> OptionContract | None:
    """The contract an option symbol names (OCC, OpenAlgo, Fidelity or Schwab spelling), or None."""
    text = (symbol or "").strip().upper()
    if match := _OCC.match(text):
        kind = "call" if match["type"] == "C" else "put"
        return _contract(match["root"], kind, int(match["strike"]) / 1000, _yymmdd(match["date"]), symbol)
    if match := _OPENALGO.match(text):
        kind = "call" if match["type"] == "CE" else "put"
        month = _MONTHS.index(match["month"]) + 1
        expiry = _date(2000 + int(match["year"]), month, int(match["day"]))
        return _contract(match["root"], kind, float(match["strike"]), expiry, symbol)
    if match := _FIDELITY.match(text):
        kind = "call" if match["type"] == "C" else "put"
        return _contract(match["root"], kind, float(match["strike"]), _yymmdd(match["date"]), symbol)
    if match := _SCHWAB.match(" ".join(text.split())):
        kind = "call" if match["type"] == "C" else "put"
        expiry = _date(int(match["year"]), int(match["month"]), int(match["day"]))
        return _contract(match["root"], kind, float(match["strike"]), expiry, symbol)
    return None


def occ_symbol(contract: OptionContract) -> str:
    """The OCC (OSI) spelling: `AAPL  240119P00150000`."""
    letter = "C" if contract.option_type == "call" else "P"
    return f"{contract.underlying:<6}{contract.expiry:%y%m%d}{letter}{round(contract.strike * 1000):08d}"


def _yymmdd(text: str) -> dt.date | None:
    return _date(2000 + int(text[:2]), int(text[2:4]), int(text[4:6]))


def _date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _contract(root: str, kind: str, strike: float, expiry: dt.date | None, symbol: str) -> OptionContract | None:
    if expiry is None or strike <= 0:
        return None  # digits that look like a date but are not one: not an option symbol
    return OptionContract(underlying=root, option_type=kind, strike=strike, expiry=expiry, symbol=symbol)

"""Chain-file layouts: the header vocabulary (English and French) and telling a layout from its header row."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from core.providers.base import (
    CHAIN_COLUMNS,
)

META_COLUMNS = ("symbol", "option_type", "expiration", "underlying_price", "quote_time")


# -- header vocabulary: keys are folded (accents dropped, lower case, letters, digits and % only) -------------
def fold(text: str) -> str:
    return unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()


def header_key(cell: str) -> str:
    return re.sub(r"[^a-z0-9%]", "", fold(cell))


_FLAT = {
    "contractSymbol": "contractsymbol contractname contract optionsymbol symboleducontrat",
    "lastTradeDate": "lasttradedate lasttrade datedeladernieretransaction dernieretransaction",
    "strike": "strike strikeprice prixdexercice",
    "lastPrice": "lastprice last lastsale dernierprix dernier dernierevente",
    "bid": "bid achat",
    "ask": "ask vente",
    "change": "change variation net",
    "percentChange": "percentchange %change changepercent %variation",
    "volume": "volume",
    "openInterest": "openinterest interetouvert",
    "impliedVolatility": "impliedvolatility iv vi volatiliteimplicite",
    "inTheMoney": "inthemoney",
    "contractSize": "contractsize",
    "currency": "currency devise",
    "symbol": "symbol ticker underlyingsymbol underlying sousjacent",
    "option_type": "optiontype type putcall callput",
    "expiration": "expiration expirationdate expiry expirydate datedexpiration echeance",
    "underlying_price": "underlyingprice spotprice spot prixdusousjacent",
    "quote_time": "quotetime asof",
    "delta": "delta",
    "gamma": "gamma",
}
_CBOE_SIDE = {
    "lastPrice": "lastsale last dernierevente dernier dernierprix",
    "change": "net change variation",
    "bid": "bid achat",
    "ask": "ask vente",
    "volume": "volume",
    "impliedVolatility": "iv vi impliedvolatility volatiliteimplicite",
    "delta": "delta",
    "gamma": "gamma",
    "openInterest": "openinterest interetouvert positionsouvertes",
}
_CBOE_EXPIRATION = {"expirationdate", "expiration", "datedexpiration", "dateexpiration", "echeance"}
_CBOE_STRIKE = {"strike", "prixdexercice", "exercice"}
_CBOE_CALLS, _CBOE_PUTS = {"calls", "call", "optionsdachat"}, {"puts", "put", "optionsdevente"}


def _lookup(table: dict[str, str]) -> dict[str, str]:
    return {synonym: name for name, synonyms in table.items() for synonym in synonyms.split()}


_FLAT_KEYS, _CBOE_KEYS = _lookup(_FLAT), _lookup(_CBOE_SIDE)
KIND = {
    "lastTradeDate": "time",
    "quote_time": "time",
    "expiration": "day",
    "option_type": "type",
    "inTheMoney": "bool",
    "contractSymbol": "text",
    "contractSize": "text",
    "currency": "text",
    "symbol": "text",
}  # everything else is a number
MISSING = {"", "-", "--", "n/a", "na", "nan", "none", "null"}


@dataclass
class Part:
    """Columns of one block of rows (a flat file, or one side of a Cboe file): field -> (cells, label)."""

    cells: dict[str, tuple[pd.Series, str]]
    constants: dict[str, Any] = field(default_factory=dict)


@dataclass
class Layout:
    name: str
    header: list[str]
    width: int
    parts: list[tuple[dict[str, int], dict[str, Any]]]  # field -> column index, constants
    ignored: list[str]


def flat_fields(row: list[str]) -> tuple[dict[str, int], list[str]]:
    """Header cells recognised as chain fields (field -> column index), and the names of the others."""
    mapping: dict[str, int] = {}
    ignored = []
    for i, k in enumerate(header_key(cell) for cell in row):
        name = _FLAT_KEYS.get(k)
        if name and name not in mapping:
            mapping[name] = i
        elif k and not k.startswith("unnamed"):
            ignored.append(row[i].strip())
    return mapping, ignored


def detect_layout(row: list[str]) -> Layout | None:
    keys = [header_key(cell) for cell in row]
    calls = next((i for i, k in enumerate(keys) if k in _CBOE_CALLS), None)
    puts = next((i for i, k in enumerate(keys) if k in _CBOE_PUTS), None)
    strike = next((i for i, k in enumerate(keys) if k in _CBOE_STRIKE), None)
    expiry = next((i for i, k in enumerate(keys) if k in _CBOE_EXPIRATION), None)
    if None not in (calls, puts, strike, expiry) and expiry < calls < strike < puts:
        shared = {"expiration": expiry, "strike": strike}
        left = {_CBOE_KEYS[k]: i for i, k in enumerate(keys[calls + 1 : strike], calls + 1) if k in _CBOE_KEYS}
        right = {_CBOE_KEYS[k]: i for i, k in enumerate(keys[puts + 1 :], puts + 1) if k in _CBOE_KEYS}
        listed = {"contractSize": "REGULAR", "currency": "USD"}  # Cboe lists US equity and index options
        parts = [
            ({**shared, "contractSymbol": calls, **left}, {"option_type": "call", **listed}),
            ({**shared, "contractSymbol": puts, **right}, {"option_type": "put", **listed}),
        ]
        return Layout("cboe", row, len(row), parts, [])
    mapping, ignored = flat_fields(row)
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
    return Layout(name, row, len(row), [(mapping, {})], ignored)

"""The one column definition of a premium screen's CSV: the dashboard's download and `premiums --format csv`.

Units are the table's: returns, cushion, spread and distance out of the money are already percent; IV, vendor IV,
P(OTM) and dividend yield are stored as fractions and exported as percent under a `_pct` heading (35.2, not
0.352). Dollars are rounded to cents, every other number to 4 decimals, so a spreadsheet shows no float noise.
Dates are ISO, times ISO UTC with +00:00. Each caller writes the frame in its own way (and neutralises cells a
spreadsheet would run as formulas with the shared export helper).
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

from core.premiums.query import CASH_COLUMNS, HOLDINGS_COLUMNS
from core.premiums.query import COLUMNS as SCREEN_COLUMNS

# (screen column, CSV heading, kind) in the order of the screen's columns
EXPORT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("symbol", "symbol", "text"),
    ("name", "name", "text"),
    ("sector", "sector", "text"),
    ("option_type", "option_type", "text"),
    ("contract_symbol", "contract_symbol", "text"),
    ("expiration_date", "expiration_date", "date"),
    ("dte", "dte", "int"),
    ("strike", "strike", "dollars"),
    ("bid", "bid", "dollars"),
    ("ask", "ask", "dollars"),
    ("mid", "mid", "dollars"),
    ("premium", "premium", "dollars"),
    ("intrinsic", "intrinsic", "dollars"),
    ("extrinsic", "extrinsic", "dollars"),
    ("capital", "capital", "dollars"),
    ("delta", "delta", "number"),
    ("iv", "iv_pct", "fraction"),
    ("vendor_iv", "vendor_iv_pct", "fraction"),
    ("volume", "volume", "int"),
    ("open_interest", "open_interest", "int"),
    ("monthly_return", "monthly_return", "number"),
    ("annualized_return", "annualized_return", "number"),
    ("flat_return", "flat_return", "number"),
    ("flat_annualized_return", "flat_annualized_return", "number"),
    ("breakeven", "breakeven", "dollars"),
    ("cushion_pct", "cushion_pct", "number"),
    ("pct_otm", "pct_otm", "number"),
    ("if_called_return", "if_called_return", "number"),
    ("prob_otm", "prob_otm_pct", "fraction"),
    ("spread_pct", "spread_pct", "number"),
    ("underlying_price", "underlying_price", "dollars"),
    ("iv_rank", "iv_rank", "number"),
    ("iv_percentile", "iv_percentile", "number"),
    ("hv20", "hv20_pct", "fraction"),
    ("hv60", "hv60_pct", "fraction"),
    ("iv_hv", "iv_hv", "number"),
    ("expected_move", "expected_move", "dollars"),
    ("expected_move_pct", "expected_move_pct", "number"),
    ("next_earnings_date", "next_earnings_date", "date"),
    ("earnings_before_expiry", "earnings_before_expiry", "flag"),
    ("ex_dividend_date", "ex_dividend_date", "date"),
    ("ex_dividend_before_expiry", "ex_dividend_before_expiry", "flag"),
    ("dividend_yield", "dividend_yield_pct", "fraction"),
    ("market_cap", "market_cap", "int"),
    ("quote_time", "quote_time", "time"),
    ("fetched_at", "fetched_at", "time"),
)
HEADINGS: tuple[str, ...] = tuple(heading for _, heading, _ in EXPORT_COLUMNS)


def _missing(value) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _cell(value, kind: str):
    if _missing(value):
        return None
    if kind == "dollars":
        return round(float(value), 2)
    if kind == "number":
        return round(float(value), 4)
    if kind == "fraction":
        return round(float(value) * 100.0, 4)
    if kind == "int":
        return int(value)
    if kind == "flag":
        return "yes" if value else "no"
    if kind in ("date", "time"):
        return pd.Timestamp(value).isoformat() if kind == "time" else value.isoformat()
    return str(value)


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """The screen's rows in EXPORT_COLUMNS order, headings and units (missing cells are None: empty in CSV)."""
    present = [(name, heading, kind) for name, heading, kind in EXPORT_COLUMNS if name in frame.columns]
    data = {
        heading: pd.Series([_cell(v, kind) for v in frame[name].astype(object)], dtype=object)
        for name, heading, kind in present
    }
    return pd.DataFrame(data, columns=[heading for _, heading, _ in present])


def json_value(value):
    """One cell as JSON: ISO dates and times, NaN/NA/NaT -> None, NumPy scalars as Python numbers."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (dt.date, dt.datetime, pd.Timestamp)):
        return value.isoformat()
    if hasattr(value, "item"):  # NumPy scalars
        return json_value(value.item())
    return value


def json_rows(frame: pd.DataFrame, columns=None) -> list[dict]:
    """The frame as JSON-safe dicts in the screen's column order, then a scope's (holdings, cash), or `columns`:
    ISO dates, NaN/NA -> None."""
    known = (*SCREEN_COLUMNS, *HOLDINGS_COLUMNS, *CASH_COLUMNS)
    names = [c for c in known if c in frame.columns] if columns is None else list(columns)
    return [
        {name: json_value(value) for name, value in zip(names, row, strict=True)}
        for row in frame[names].astype(object).itertuples(index=False, name=None)
    ]


__all__ = ["EXPORT_COLUMNS", "HEADINGS", "export_frame", "json_rows", "json_value"]

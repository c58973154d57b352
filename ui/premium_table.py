"""How the Scan Premiums results look: which columns, in what order, formatted how; summary metrics."""

from __future__ import annotations

import pandas as pd
import streamlit as st

cc = st.column_config

SHOWN = [
    "symbol",
    "contracts_covered",  # the "my holdings" scope's columns: only in its results
    "cost_basis",
    "contracts_affordable",
    "expiration_date",
    "dte",
    "strike",
    "underlying_price",
    "premium",
    "extrinsic",
    "flat_annualized_return",
    "flat_return",
    "annualized_return",
    "monthly_return",
    "if_called_return",
    "cushion_pct",
    "pct_otm",
    "breakeven",
    "delta",
    "iv",
    "iv_hv",
    "hv20",
    "hv60",
    "expected_move",
    "prob_otm",
    "iv_rank",
    "iv_percentile",
    "bid",
    "ask",
    "spread_pct",
    "volume",
    "open_interest",
    "earnings_before_expiry",
    "next_earnings_date",
    "ex_dividend_before_expiry",
    "ex_dividend_date",
    "market_cap",
    "sector",
    "name",
    "contract_symbol",
    "quote_time",
]


def _progress_max(frame: pd.DataFrame, column: str, floor: float) -> float:
    top = frame[column].max() if len(frame) else None
    return float(max(top, floor)) if top is not None and pd.notna(top) else floor


def premium_columns(frame: pd.DataFrame) -> dict:
    """st.column_config for the results; return and cushion bars scale to the best value on screen."""
    return {
        "symbol": cc.TextColumn("Symbol", pinned=True, width="small"),
        "name": cc.TextColumn("Name", width="medium"),
        "contracts_covered": cc.NumberColumn(
            "Covers", format="%d", help="Contracts the holding covers: shares // 100."
        ),
        "cost_basis": cc.NumberColumn("Cost basis", format="dollar", help="Average price paid for the shares held."),
        "contracts_affordable": cc.NumberColumn(
            "Affords", format="%d", help="Contracts the free cash secures: free cash // (strike x 100)."
        ),
        "sector": cc.TextColumn("Sector", width="medium"),
        "expiration_date": cc.DateColumn("Expiry", format="YYYY-MM-DD"),
        "dte": cc.NumberColumn("DTE", format="%d", help="Calendar days from the as-of date to expiry."),
        "strike": cc.NumberColumn("Strike", format="dollar"),
        "underlying_price": cc.NumberColumn("Stock", format="dollar"),
        "bid": cc.NumberColumn("Bid", format="dollar"),
        "ask": cc.NumberColumn("Ask", format="dollar"),
        "premium": cc.NumberColumn(
            "Premium", format="dollar", help="Mid x 100 (bid x 100 with 'Fill at the bid'): dollars per contract."
        ),
        "extrinsic": cc.NumberColumn(
            "Time value", format="dollar", help="Premium less intrinsic value: what the trade earns if the stock stays."
        ),
        "flat_annualized_return": cc.ProgressColumn(
            "Flat annualised",
            format="%.1f%%",
            min_value=0.0,
            max_value=_progress_max(frame, "flat_annualized_return", 1.0),
            help="Time value / capital x 365 / DTE: the return if the stock ends where it is now.",
        ),
        "flat_return": cc.NumberColumn("Flat", format="%.2f%%", help="Time value / capital, to expiry."),
        "annualized_return": cc.NumberColumn(
            "Annualised",
            format="%.1f%%",
            help="premium / capital x 365 / DTE (simple); counts intrinsic value as income, so it misleads in "
            "the money.",
        ),
        "monthly_return": cc.NumberColumn("Monthly", format="%.2f%%", help="premium / capital x 30 / DTE."),
        "cushion_pct": cc.ProgressColumn(
            "Cushion",
            format="%.1f%%",
            min_value=0.0,
            max_value=_progress_max(frame, "cushion_pct", 1.0),
            help="How far the stock can fall before the position loses at expiry, in % of the stock price.",
        ),
        "if_called_return": cc.NumberColumn(
            "If called", format="%.2f%%", help="Covered call: (premium + (strike - stock) x 100) / capital."
        ),
        "pct_otm": cc.NumberColumn("OTM", format="%.1f%%", help="How far out of the money (negative: in the money)."),
        "breakeven": cc.NumberColumn(
            "Breakeven", format="dollar", help="At expiry: put strike - premium; covered call stock - premium."
        ),
        "delta": cc.NumberColumn("Delta", format="%.2f", help="Signed: puts are negative."),
        "iv": cc.NumberColumn("IV", format="percent"),
        "prob_otm": cc.NumberColumn("P(OTM)", format="percent", help="Black-Scholes N(d2) with the row's IV."),
        "iv_rank": cc.NumberColumn("IV rank", format="%.0f", help="0-100 within our own past year of IV30."),
        "iv_percentile": cc.NumberColumn(
            "IV pctile", format="%.0f", help="Share of the past year's days (our own history) whose IV30 was lower."
        ),
        "iv_hv": cc.NumberColumn("IV/HV", format="%.2f", help="The contract's IV over the stock's HV20."),
        "hv20": cc.NumberColumn("HV20", format="percent", help="Annualised stdev of the last 20 daily log returns."),
        "hv60": cc.NumberColumn("HV60", format="percent", help="The same over 60 daily log returns."),
        "expected_move": cc.NumberColumn(
            "Exp. move", format="dollar", help="One standard deviation to expiry: stock x IV x sqrt(DTE / 365)."
        ),
        "earnings_before_expiry": cc.CheckboxColumn("Earnings ≤ expiry", help="An earnings date falls before expiry."),
        "ex_dividend_before_expiry": cc.CheckboxColumn(
            "Ex-div ≤ expiry", help="An ex-dividend date falls before expiry: a covered call may be assigned early."
        ),
        "ex_dividend_date": cc.DateColumn("Ex-dividend", format="YYYY-MM-DD"),
        "market_cap": cc.NumberColumn("Market cap", format="compact", help="Dollars."),
        "spread_pct": cc.NumberColumn("Spread", format="%.1f%%", help="(ask - bid) / mid."),
        "volume": cc.NumberColumn("Volume", format="localized"),
        "open_interest": cc.NumberColumn("Open int.", format="localized"),
        "next_earnings_date": cc.DateColumn("Earnings", format="YYYY-MM-DD"),
        "contract_symbol": cc.TextColumn("Contract", help="The OCC contract symbol."),
        "quote_time": cc.DatetimeColumn(
            "Quoted (UTC)", format="YYYY-MM-DD HH:mm", help="Market time of the quote (not when it was stored)."
        ),
    }


def shown_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Exactly the columns the table shows, in its order (the CSV export is core.premiums.export's)."""
    shown = frame[[c for c in SHOWN if c in frame.columns]].reset_index(drop=True)
    shown.attrs = {}  # the scanner's as_of / rank_by notes are not table data (and not JSON-serialisable)
    return shown


MAX_ROWS_SHOWN = 11  # a taller table scrolls inside 420 px rather than pushing the detail off screen


def table_height(rows: int) -> int | str:
    """The table's height: just its rows (no empty rows under a short result), at most about 11 of them."""
    return "content" if rows <= MAX_ROWS_SHOWN else 420


def render_summary(frame: pd.DataFrame) -> None:
    cols = st.columns(5)
    cols[0].metric("Symbols", f"{frame['symbol'].nunique():,}")
    cols[1].metric("Contracts", f"{len(frame):,}")
    cols[2].metric("Median flat annualised", f"{frame['flat_annualized_return'].median():.1f} %")
    cols[3].metric("Best flat annualised", f"{frame['flat_annualized_return'].max():.1f} %")
    cols[4].metric("Median cushion", f"{frame['cushion_pct'].median():.1f} %")

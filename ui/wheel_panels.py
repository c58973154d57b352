"""The Wheel page's widgets and tables: the small screen form, column formats, and a cycle's chart."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from core.premiums.filters import PremiumFilters
from ui import charts, tables

cc = st.column_config
MONEY = cc.NumberColumn(format="%.2f")
PCT = cc.NumberColumn(format="%.1f")
SCREEN_COLUMNS = ["symbol", "expiration_date", "dte", "strike", "mid", "premium", "extrinsic", "delta",
                  "flat_return", "flat_annualized_return", "breakeven", "cushion_pct", "underlying_price"]  # fmt: skip
POSITION_COLUMNS = ["position_id", "account", "symbol", "dte", "quantity", "average_price", "mid", "pnl",
                    "capture_pct", "delta", "assignment_risk", "ex_dividend_date", "status",
                    "price_source"]  # fmt: skip
FORMATS = {
    "strike": MONEY,
    "mid": MONEY,
    "premium": MONEY,
    "extrinsic": cc.NumberColumn("time value", format="%.2f"),
    "delta": cc.NumberColumn(format="%.2f"),
    "flat_return": cc.NumberColumn("flat %", format="%.2f"),
    "flat_annualized_return": cc.NumberColumn("flat ann. %", format="%.1f"),
    "breakeven": MONEY,
    "cushion_pct": cc.NumberColumn("cushion %", format="%.1f"),
    "underlying_price": cc.NumberColumn("price", format="%.2f"),
    "cost_basis": cc.NumberColumn("cost basis", format="%.2f"),
    "contracts_covered": cc.NumberColumn("covers", help="shares held // 100"),
    "contracts_affordable": cc.NumberColumn("affords", help="free cash // (strike x 100)"),
    "average_price": cc.NumberColumn("sold at", format="%.2f"),
    "pnl": cc.NumberColumn("P&L", format="%.2f"),
    "ex_dividend_date": cc.DateColumn("ex-dividend", help="a date before expiry raises a short call's risk"),
    "capture_pct": cc.NumberColumn("captured %", format="%.0f", help="share of the premium kept so far"),
    "net_credit": cc.NumberColumn("net / share", format="%+.2f"),
    "net_credit_total": cc.NumberColumn("net", format="%+.2f"),
    "new_breakeven": cc.NumberColumn("new breakeven", format="%.2f"),
    "premiums": MONEY,
    "realized_pnl": cc.NumberColumn("realised P&L", format="%.2f"),
    "annualized_return": cc.NumberColumn("annualised %", format="%.1f"),
    "capital": MONEY,
    "fees": cc.NumberColumn("fees", format="%.2f", help="the fees the trades reported; blank: none reported"),
    "fees_status": cc.TextColumn(
        "fees known", help="complete: every trade reported its fees; partial: some did; unknown: none did"
    ),
}


def fees_note(frame: pd.DataFrame) -> str | None:
    """A line saying which cycles' P&L is before fees nobody reported (None when every trade reported them)."""
    incomplete = frame[frame.fees_status != "complete"]
    if incomplete.empty:
        return None
    return (
        f"{len(incomplete)} of {len(frame)} cycles have trades without reported fees (a synced OpenAlgo tradebook "
        "reports none; import the broker's transaction history for them): their realised P&L is net only of the "
        "fees that are known."
    )


def screen_form(key: str, strategy: str, as_of: dt.date) -> PremiumFilters:
    """DTE and |delta| for the wheel's screens (the full filter set is on Scan Premiums)."""
    left, right = st.columns(2)
    dte = left.slider("Days to expiry", 1, 120, (7, 45), key=f"{key}.dte")
    delta = right.slider("|delta|", 0.0, 1.0, (0.15, 0.40), step=0.05, key=f"{key}.delta")
    return PremiumFilters(strategy=strategy, dte=dte, delta=delta, as_of=as_of)  # type: ignore[arg-type]


def table(frame: pd.DataFrame, columns: list[str], key: str) -> None:
    shown = frame[[c for c in columns if c in frame.columns]].copy()
    shown.attrs = {}  # the screen's as-of date and filters: not the table's
    tables.show(shown, hide_index=True, width="stretch", key=key, column_config=FORMATS)


def cycle_chart(closes: pd.DataFrame, legs: pd.DataFrame, title: str, key: str) -> None:
    st.plotly_chart(charts.wheel_cycle_figure(closes, legs, title), key=key)

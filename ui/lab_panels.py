"""The Strategy Lab page's widgets and figures: the rules form, a run's figures, the equity curve against buy and
hold (plotly), the trades table and two runs side by side. Widgets only: the page calls core.lab.service."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.lab.rules import ON_ASSIGNMENT, Rules
from ui import tables

cc = st.column_config
TRADE_COLUMNS = ["symbol", "option_type", "strike", "expiration_date", "opened_on", "contracts", "premium",
                 "closed_on", "underlying_at_close", "outcome", "pnl", "source"]  # fmt: skip
TRADE_FORMATS = {
    "strike": cc.NumberColumn("strike", format="%.2f"),
    "premium": cc.NumberColumn("premium $/contract", format="%.2f"),
    "underlying_at_close": cc.NumberColumn("close", format="%.2f"),
    "pnl": cc.NumberColumn("P&L $", format="%.2f"),
    "source": cc.TextColumn("priced from", help="modelled: Black-Scholes from the close; snapshot: as screened"),
}
FIGURES = (("total_return_pct", "Total return %"), ("annualized_return_pct", "Annualised %"),
           ("win_rate_pct", "Win rate %"), ("max_drawdown_pct", "Max drawdown %"))  # fmt: skip


def rules_form(key: str, rules: Rules | None = None) -> dict:
    """The rules' widgets (values for `Rules`, checked by the service)."""
    rules = rules or Rules()
    left, middle, right = st.columns(3)
    capital = left.number_input("Capital $", 1_000.0, 1e9, float(rules.capital), step=10_000.0, key=f"{key}.capital")
    per_day = middle.number_input("Positions per day", 1, 100, rules.per_day, key=f"{key}.per_day")
    contracts = right.number_input("Contracts per symbol", 1, 1000, rules.contracts, key=f"{key}.contracts")
    hold = left.toggle("Hold to expiry", value=rules.take_profit is None, key=f"{key}.hold")
    take = None if hold else middle.slider("Take profit at capture %", 10, 95, int(rules.take_profit or 50), step=5,
                                           key=f"{key}.take_profit")  # fmt: skip
    assignment = right.radio("On assignment", ON_ASSIGNMENT, index=ON_ASSIGNMENT.index(rules.on_assignment),
                             horizontal=True, key=f"{key}.on_assignment",
                             help="wheel: write covered calls on the shares; sell: sell them at the close")  # fmt: skip
    return {"capital": float(capital), "per_day": int(per_day), "contracts": int(contracts),
            "take_profit": None if take is None else float(take), "on_assignment": assignment}  # fmt: skip


def figures(results: dict) -> None:
    """The run's figures, each against buy and hold."""
    summary, held = results.get("summary") or {}, results.get("buy_and_hold") or {}
    for column, (name, label) in zip(st.columns(len(FIGURES)), FIGURES, strict=True):
        value, other = summary.get(name), held.get(name)
        column.metric(label, "n/a" if value is None else f"{value:.2f}",
                      help=None if other is None else f"buy and hold: {other:.2f}")  # fmt: skip
    st.caption(
        f"{summary.get('trades', 0)} trades ({summary.get('modelled_trades', 0)} modelled, "
        f"{summary.get('snapshot_trades', 0)} from stored snapshots); buy and hold of {held.get('symbols', 0)} "
        f"symbols: {held.get('total_return_pct', 0):.2f} % total, {held.get('max_drawdown_pct', 0):.2f} % max drawdown"
    )


def equity_figure(runs: dict[str, dict]) -> go.Figure:
    """Each run's equity curve, and the first run's buy and hold dashed."""
    fig = go.Figure()
    for n, (label, results) in enumerate(runs.items()):
        curve = pd.DataFrame(results.get("equity") or [], columns=["date", "strategy", "buy_and_hold"])
        fig.add_trace(go.Scatter(x=curve["date"], y=curve["strategy"], name=label, mode="lines"))
        if n == 0:
            fig.add_trace(go.Scatter(x=curve["date"], y=curve["buy_and_hold"], name="buy and hold", mode="lines",
                                     line={"dash": "dash"}))  # fmt: skip
    fig.update_layout(height=360, margin={"l": 10, "r": 10, "t": 30, "b": 10}, yaxis_title="equity $")
    return fig


def trades_table(results: dict, key: str) -> None:
    trades = pd.DataFrame(results.get("trades") or [])
    if trades.empty:
        st.info("No trades: nothing passed the screen on any day of the window.")
        return
    tables.show(trades[[c for c in TRADE_COLUMNS if c in trades.columns]], hide_index=True, width="stretch",
                 key=key, column_config=TRADE_FORMATS)  # fmt: skip


def comparison(runs: dict[str, dict]) -> pd.DataFrame:
    """Two (or more) runs' figures side by side, buy and hold last."""
    rows = {label: {title: (r.get("summary") or {}).get(name) for name, title in FIGURES} for label, r in runs.items()}
    first = next(iter(runs.values()), {})
    rows["buy and hold"] = {title: (first.get("buy_and_hold") or {}).get(name) for name, title in FIGURES}
    return pd.DataFrame(rows).T

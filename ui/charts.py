"""Plotly figures of the pages: the IV smile, IV and premium history, payoff at expiry, sync run history, the
Accounts page's P&L by position and allocation by holding, a wheel cycle's legs on its prices, the Symbol
page's smile wings, term structure and price and IV history, and a tracked screen's cumulative P&L.

Figures only (no streamlit calls), each from a DataFrame core already shaped.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from core.premiums.symbol_detail import SymbolDetail

_LAYOUT = {"height": 320, "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "legend": {"orientation": "h", "y": -0.2}}


def smile_figure(detail: SymbolDetail) -> go.Figure:
    trade, smile = detail.trade, detail.smile
    fig = go.Figure()
    for kind, colour, dash in (("put", "#d62728", "dash"), ("call", "#1f77b4", "solid")):
        side = smile[smile["option_type"] == kind]
        fig.add_scatter(
            x=side["strike"],
            y=side["iv"] * 100,
            mode="lines+markers",
            name=f"{kind}s",
            line={"color": colour, "dash": dash},
        )
    fig.add_vline(x=trade.underlying_price, line_dash="dot", annotation_text="spot")
    fig.add_vline(x=trade.strike, line_dash="dash", line_color="#2ca02c", annotation_text="selected")
    fig.update_layout(
        title=f"IV smile, {trade.expiration_date:%Y-%m-%d}",
        xaxis_title="strike ($)",
        yaxis_title="implied volatility (%)",
        **_LAYOUT,
    )
    return fig


def history_figure(detail: SymbolDetail) -> go.Figure:
    history = detail.history
    premium = "atm_put_mid_30d" if detail.trade.strategy == "csp" else "atm_call_mid_30d"
    fig = go.Figure()
    fig.add_scatter(x=history["date"], y=history["iv30"] * 100, name="IV30 (%)", mode="lines+markers")
    fig.add_scatter(
        x=history["date"],
        y=history[premium] * 100,
        name="ATM 30-day premium ($/contract)",
        mode="lines+markers",
        yaxis="y2",
    )
    fig.update_layout(
        title=f"{detail.trade.symbol}: IV and premium history",
        yaxis_title="IV30 (%)",
        yaxis2={"title": "premium ($)", "overlaying": "y", "side": "right"},
        **_LAYOUT,
    )
    return fig


def payoff_figure(detail: SymbolDetail) -> go.Figure:
    trade, payoff = detail.trade, detail.payoff
    label = "Cash-secured put" if trade.strategy == "csp" else "Covered call"
    fig = go.Figure()
    fig.add_scatter(x=payoff["price"], y=payoff["pnl"], mode="lines", name="P&L at expiry", fill="tozeroy")
    fig.add_hline(y=0, line_color="grey")
    fig.add_vline(
        x=detail.breakeven,
        line_dash="dash",
        line_color="#d62728",
        annotation_text=f"breakeven ${detail.breakeven:,.2f}",
        annotation_position="bottom left",
    )
    fig.add_vline(x=trade.underlying_price, line_dash="dot", annotation_text="spot", annotation_position="top right")
    fig.update_layout(
        title=f"{label} {trade.strike:g}: P&L at expiry, per contract",
        xaxis_title="price at expiry ($)",
        yaxis_title="profit / loss ($)",
        showlegend=False,
        **_LAYOUT,
    )
    return fig


def run_durations_figure(runs: pd.DataFrame) -> go.Figure:
    done = runs.dropna(subset=["finished_at", "duration_s"]).sort_values("finished_at")
    fig = go.Figure()
    fig.add_scatter(
        x=done["finished_at"],
        y=done["duration_s"],
        mode="lines+markers",
        name="duration",
        text=done["scope"],
        hovertemplate="%{x}<br>%{y:.1f} s<br>%{text}<extra></extra>",
    )
    fig.update_layout(title="Sync run durations", xaxis_title="finished", yaxis_title="seconds", **_LAYOUT)
    if len(done):  # at least half an hour either side: one run alone would get an axis of milliseconds
        first, last = pd.Timestamp(done["finished_at"].min()), pd.Timestamp(done["finished_at"].max())
        pad = max((last - first) * 0.05, pd.Timedelta(minutes=30))
        fig.update_xaxes(range=[first - pad, last + pad])
    return fig


def contracts_per_run_figure(runs: pd.DataFrame) -> go.Figure:
    done = runs.sort_values("id")
    fig = go.Figure()
    fig.add_bar(x=done["id"].astype(str), y=done["contracts"], name="contracts", text=done["status"])
    fig.update_layout(
        title="Contracts stored per sync run",
        xaxis_title="run",
        yaxis_title="contracts",
        xaxis_type="category",
        **_LAYOUT,
    )
    return fig


def pnl_by_position_figure(positions: pd.DataFrame) -> go.Figure:
    """One bar per position (account and symbol), green for a gain and red for a loss, largest moves first."""
    rows = positions.dropna(subset=["pnl"]).assign(size=lambda f: f["pnl"].abs()).sort_values("size", ascending=False)
    labels = rows["symbol"] + (" · " + rows["account"] if rows["account"].nunique() > 1 else "")
    fig = go.Figure()
    fig.add_bar(
        x=labels,
        y=rows["pnl"],
        marker_color=["#2ca02c" if v >= 0 else "#d62728" for v in rows["pnl"]],
        hovertemplate="%{x}<br>P&L %{y:,.2f}<extra></extra>",
    )
    fig.update_layout(title="P&L by position", yaxis_title="P&L", xaxis_type="category", **_LAYOUT)
    return fig


def allocation_figure(holdings: pd.DataFrame) -> go.Figure:
    """The holdings' current value by symbol (summed over accounts), as a donut."""
    value = holdings.dropna(subset=["current_value"]).groupby("symbol", as_index=False)["current_value"].sum()
    fig = go.Figure()
    fig.add_pie(labels=value["symbol"], values=value["current_value"], hole=0.45, sort=True, textinfo="label+percent")
    fig.update_layout(title="Allocation by holding (current value)", **_LAYOUT)
    return fig


def wheel_cycle_figure(closes: pd.DataFrame, legs: pd.DataFrame, title: str) -> go.Figure:
    """A wheel cycle on its underlying's daily closes: each leg a marker at its strike (options) or its price
    (shares), labelled with what happened."""
    fig = go.Figure()
    if not closes.empty:
        fig.add_scatter(x=closes["date"], y=closes["close"], mode="lines", name="close", line_color="#7f7f7f")
    colours = {"put sold": "#1f77b4", "call sold": "#9467bd", "assigned": "#d62728", "called away": "#2ca02c",
               "expired": "#bcbd22", "bought back": "#ff7f0e"}  # fmt: skip
    for kind, rows in legs.groupby("kind", sort=False):
        level = rows["strike"].where(rows["strike"].notna(), rows["price"])
        fig.add_scatter(
            x=rows["date"],
            y=level,
            mode="markers",
            name=kind,
            marker={"size": 11, "color": colours.get(kind, "#17becf")},
            text=rows["symbol"],
            hovertemplate="%{x}<br>%{text}<br>%{y:,.2f}<extra>" + kind + "</extra>",
        )
    fig.update_layout(title=title, yaxis_title="price", **_LAYOUT)
    return fig


def wings_figure(smile: pd.DataFrame, spot: float, expiry) -> go.Figure:
    """The out-of-the-money smile of one expiry: puts below the spot, calls above (core.symbol_view.shapes)."""
    fig = go.Figure()
    for kind, colour in (("put", "#d62728"), ("call", "#1f77b4")):
        side = smile[smile["option_type"] == kind]
        fig.add_scatter(
            x=side["strike"], y=side["iv"] * 100, mode="lines+markers", name=f"OTM {kind}s", line={"color": colour}
        )
    fig.add_vline(x=spot, line_dash="dot", annotation_text="spot")
    fig.update_layout(
        title=f"Smile, {expiry:%Y-%m-%d}: out-of-the-money wings",
        xaxis_title="strike ($)",
        yaxis_title="implied volatility (%)",
        **_LAYOUT,
    )
    return fig


def term_figure(term: pd.DataFrame, symbol: str) -> go.Figure:
    """ATM implied volatility per expiry (the term structure), with the expected move on a second axis."""
    fig = go.Figure()
    fig.add_scatter(x=term["expiration_date"], y=term["atm_iv"] * 100, mode="lines+markers", name="ATM IV (%)")
    fig.add_bar(
        x=term["expiration_date"],
        y=term["expected_move_pct"],
        name="expected move (% of spot)",
        yaxis="y2",
        opacity=0.35,
    )
    fig.update_layout(
        title=f"{symbol}: term structure",
        xaxis_title="expiry",
        yaxis_title="ATM IV (%)",
        yaxis2={"title": "expected move (%)", "overlaying": "y", "side": "right"},
        **_LAYOUT,
    )
    return fig


def price_iv_figure(history: pd.DataFrame, symbol: str) -> go.Figure:
    """The stored daily closes and IV30 (days without an IV30 are bridged, not dropped to zero)."""
    fig = go.Figure()
    fig.add_scatter(x=history["date"], y=history["close"], name="close ($)", mode="lines")
    fig.add_scatter(
        x=history["date"], y=history["iv30"] * 100, name="IV30 (%)", mode="lines+markers", yaxis="y2", connectgaps=True
    )
    fig.update_layout(
        title=f"{symbol}: price and IV history",
        yaxis_title="close ($)",
        yaxis2={"title": "IV30 (%)", "overlaying": "y", "side": "right"},
        **_LAYOUT,
    )
    return fig


def cumulative_pnl_figure(by_day: pd.DataFrame, screen: str) -> go.Figure:
    """A tracked screen's resolved P&L (dollars, one contract per snapshot) by expiration date, and its running
    total (core.track.service.cumulative_pnl)."""
    fig = go.Figure()
    fig.add_bar(x=by_day["expiration_date"], y=by_day["pnl"], name="P&L that day", marker_color="#9ecae1")
    fig.add_scatter(
        x=by_day["expiration_date"], y=by_day["cumulative_pnl"], mode="lines+markers", name="cumulative P&L"
    )
    fig.update_layout(
        title=f"{screen}: P&L held to expiry, one contract each",
        xaxis_title="expiration date",
        yaxis_title="dollars",
        **_LAYOUT,
    )
    return fig

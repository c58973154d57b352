"""The selected contract's symbol in depth: chain around the money, IV smile, history, payoff at expiry."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.auth import Actor
from core.operations.database import Engine
from core.premiums.symbol_detail import SymbolDetail, Trade, side_by_side, size_of
from ui import charts, tables
from ui.queries import symbol_detail

cc = st.column_config
SYMBOL_PAGE = "pages/symbol.py"  # opened with ?symbol=TICKER: the stock preselected


def trade_from_row(row: pd.Series, strategy: str, price_basis: str = "mid") -> Trade:
    """The selected row as a Trade, filled at the screen's price basis (the mid, or the bid)."""
    return Trade(
        symbol=str(row["symbol"]),
        strategy=strategy,
        expiration_date=row["expiration_date"],
        strike=float(row["strike"]),
        mid=float(row[price_basis]),
        underlying_price=float(row["underlying_price"]),
        contract_size=size_of(float(row["premium"]), float(row[price_basis])),  # premium = price x contract size
    )


def chain_columns() -> dict:
    # Not pinned: a pinned column is drawn first, and the strike belongs between the calls and the puts.
    config = {"strike": cc.NumberColumn("Strike", format="dollar")}
    for side in ("call", "put"):
        config |= {
            f"{side}_bid": cc.NumberColumn(f"{side} bid", format="dollar"),
            f"{side}_ask": cc.NumberColumn(f"{side} ask", format="dollar"),
            f"{side}_delta": cc.NumberColumn(f"{side} Δ", format="%.2f"),
            f"{side}_iv": cc.NumberColumn(
                f"{side} IV", format="percent", help="Ours: solved from the mid; every greek comes from it."
            ),
            f"{side}_vendor_iv": cc.NumberColumn(
                f"{side} vendor IV", format="percent", help="The provider's own IV, for comparison; never used."
            ),
            f"{side}_volume": cc.NumberColumn(f"{side} vol", format="localized"),
            f"{side}_open_interest": cc.NumberColumn(f"{side} OI", format="localized"),
            f"{side}_quality_flag": cc.TextColumn(f"{side} flag", help="Why a row is kept out of rankings."),
        }
    return config


def render_detail(engine: Engine, actor: Actor, trade: Trade, as_of: str, version: str) -> None:
    detail: SymbolDetail = symbol_detail(engine, actor, trade, as_of, version)
    kind = "put" if trade.strategy == "csp" else "call"
    st.subheader(
        f"{trade.symbol} {trade.expiration_date:%Y-%m-%d} {trade.strike:g} {kind}"
        + (f" — {detail.name}" if detail.name else "")
    )
    if detail.sync_window:
        st.caption(f"Chain: {detail.sync_window}.")
    if st.button(
        f"Open {trade.symbol} on the Symbol page",
        key="premiums:open_symbol",
        icon=":material/query_stats:",
        help="Every expiry's chain, the term structure, price and IV history of this stock.",
    ):
        st.switch_page(SYMBOL_PAGE, query_params={"symbol": trade.symbol})
    cols = st.columns(4)
    cols[0].metric("Stock", f"${trade.underlying_price:,.2f}")
    cols[1].metric("Premium", f"${trade.mid * 100:,.0f}", help="Fill price (mid, or bid) x 100, per contract.")
    cols[2].metric("Breakeven at expiry", f"${detail.breakeven:,.2f}")
    cols[3].metric("Max profit", f"${detail.max_profit:,.0f}")
    st.caption("Chain around the money for this expiry (calls | strike | puts)")
    chain = side_by_side(detail.chain)
    flags = [c for c in chain.columns if c.endswith("quality_flag")]
    chain[flags] = chain[flags].astype(object).where(chain[flags].notna(), "")
    tables.show(chain, hide_index=True, column_config=chain_columns(), key="premiums:detail_chain")
    left, right = st.columns(2)
    left.plotly_chart(charts.payoff_figure(detail), key="premiums:payoff")
    right.plotly_chart(charts.smile_figure(detail), key="premiums:smile")
    if len(detail.history) > 1:
        st.plotly_chart(charts.history_figure(detail), key="premiums:history")
    else:
        st.info(
            "IV and premium history appears once syncs on more than one day are stored (the demo backfills "
            "twelve weeks)."
        )

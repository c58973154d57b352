"""Symbol: one stock found by search, in depth: chain by expiry, smile, term structure, history, payoff."""

import streamlit as st

from core.auth import Permission
from core.clock import today_in_new_york
from core.symbol_view.service import UnknownSymbol
from ui import charts, tables
from ui.auth import require_page
from ui.db import require_database
from ui.queries import current_version, symbol_choices, symbol_expiry, symbol_overview
from ui.symbol_detail import chain_columns

actor = require_page(Permission.READ)
KEY = "symbol"
eng = require_database()


def _pct(value, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f} %"


def _money(value) -> str:
    if value is None:
        return "—"
    return f"${value / 1e9:,.1f} bn" if value >= 1e9 else f"${value:,.2f}"


st.title("Symbol")
version = current_version(eng)
stocks = symbol_choices(eng, actor, version)
if not stocks:
    st.info("No stocks are stored yet: run `python -m core demo` or click **Sync All** on Scan Premiums.")
    st.stop()
labels = {s.symbol: s.label for s in stocks}
linked = str(st.query_params.get("symbol", "")).strip().upper()  # ?symbol=TICKER: from Scan Premiums, a bookmark
if linked in labels and st.session_state.get(f"{KEY}:pick") != linked:
    st.session_state[f"{KEY}:pick"] = linked


def _keep_in_address() -> None:
    """The picked stock goes into the address (a bookmark reopens it; a link's stale symbol cannot override)."""
    picked = st.session_state.get(f"{KEY}:pick")
    if picked:
        st.query_params["symbol"] = picked
    else:
        st.query_params.pop("symbol", None)


left, right = st.columns([3, 1])
symbol = left.selectbox(
    "Search a symbol",
    list(labels),
    index=None,
    format_func=labels.get,
    placeholder="Type a ticker or a company name",
    key=f"{KEY}:pick",
    on_change=_keep_in_address,
)
as_of = right.date_input("As of", value=today_in_new_york(), key=f"{KEY}:as_of", format="YYYY-MM-DD")
if symbol is None:
    st.caption("Pick a stock to see its chains, smile, term structure, price and IV history, and a payoff.")
    st.stop()

try:
    view = symbol_overview(eng, actor, symbol, str(as_of), version)
except UnknownSymbol as exc:
    st.warning(str(exc))
    st.stop()
p = view.profile
st.subheader(f"{p.symbol} — {p.name}" if p.name else p.symbol)
cols = st.columns(6)
cols[0].metric("Price", _money(p.price))
cols[1].metric("IV30", _pct(p.iv30), help="At-the-money implied volatility interpolated to 30 days.")
cols[2].metric(
    "IV rank / percentile",
    " / ".join("—" if v is None else f"{v:.0f}" for v in (p.iv_rank, p.iv_percentile)),
    help="Where today's IV30 sits in the past year of our own history: rank by range, percentile by days below.",
)
cols[3].metric("HV20", _pct(p.hv20), help="Annualised stdev of the last 20 daily log returns of the stored closes.")
cols[4].metric("HV60", _pct(p.hv60), help="The same over 60 daily log returns.")
cols[5].metric("Market cap", _money(p.market_cap))
st.caption(
    f"Sector: {p.sector or '—'} · dividend yield {_pct(p.dividend_yield, 2)} · "
    f"ex-dividend {p.ex_dividend_date or '—'} · next earnings {p.next_earnings_date or '—'}"
)
if not view.expirations:
    st.info(f"No option chain of {p.symbol} is stored for expiries after {as_of}.")
else:
    expiry = st.selectbox("Expiry", view.expirations, format_func=lambda d: f"{d:%Y-%m-%d}", key=f"{KEY}:expiry")
    chain = symbol_expiry(eng, actor, p.symbol, expiry.isoformat(), str(as_of), version)
    tab_chain, tab_vol, tab_payoff = st.tabs(["Chain", "Smile and term structure", "Payoff"])
    with tab_chain:
        st.caption(f"{chain.dte} days to expiry · strike | calls | puts, every listed strike")
        table = chain.side_by_side()
        flags = [c for c in table.columns if c.endswith("quality_flag")]
        table[flags] = table[flags].astype(object).where(table[flags].notna(), "")
        tables.show(table, hide_index=True, column_config=chain_columns(), key=f"{KEY}:chain")
    with tab_vol:
        left, right = st.columns(2)
        left.plotly_chart(charts.wings_figure(chain.smile, chain.spot or 0.0, expiry), key=f"{KEY}:smile")
        right.plotly_chart(charts.term_figure(view.term, p.symbol), key=f"{KEY}:term")
    with tab_payoff:
        tradable = chain.chain[chain.chain["mid"].notna() & chain.chain["quality_flag"].isna()]
        side = st.radio("Sell", ["put", "call"], horizontal=True, key=f"{KEY}:side", format_func=lambda s: {
            "put": "Cash-secured put", "call": "Covered call"}[s])  # fmt: skip
        strikes = sorted(tradable.loc[tradable["option_type"] == side, "strike"].unique())
        if not strikes:
            st.info(f"No tradable {side} is quoted for {expiry:%Y-%m-%d}.")
        else:
            near = min(strikes, key=lambda k: abs(k - (chain.spot or 0.0)))
            strike = st.selectbox("Strike", strikes, index=strikes.index(near), key=f"{KEY}:strike")
            payoff = chain.payoff(side, strike)
            cols = st.columns(3)
            premium = payoff.trade.mid * payoff.trade.contract_size
            cols[0].metric(
                "Premium", f"${premium:,.0f}", help="The mid x the contract size (100, or the lot), per contract."
            )
            cols[1].metric("Breakeven at expiry", f"${payoff.breakeven:,.2f}")
            cols[2].metric("Max profit", f"${payoff.max_profit:,.0f}")
            st.plotly_chart(charts.payoff_figure(payoff), key=f"{KEY}:payoff")
if len(view.history) > 1:
    st.plotly_chart(charts.price_iv_figure(view.history, p.symbol), key=f"{KEY}:history")
else:
    st.info("Price and IV history appears once syncs on more than one day are stored.")

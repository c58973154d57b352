"""Overview: the market at a glance for everyone (coverage, quote ages, IV regime, IV-rank movers); the database's
tables for admins (the operator view)."""

import pandas as pd
import streamlit as st

from core.auth import Permission
from core.operations.service import database_overview, describe_since, market_overview
from ui import tables
from ui.auth import require_page
from ui.db import database_guard, require_database

actor = require_page(Permission.READ)  # before anything else: who may open this page
st.title("Overview")
eng = require_database()
with database_guard():
    market = market_overview(eng, actor)

st.subheader("Market")
if market.with_chains == 0:
    st.info("No option chains stored yet: run `python -m core demo`, or **Sync All** on Scan Premiums.")
cols = st.columns(4)
cols[0].metric("Symbols with chains", f"{market.with_chains:,} / {market.symbols:,}")
newest = describe_since(pd.Timestamp.now(tz="UTC") - market.newest_quote) if market.newest_quote else "never"
cols[1].metric("Newest quote", newest, help="Market time of the quote, never when it was stored.")
cols[2].metric("Median IV rank", "–" if market.median_iv_rank is None else f"{market.median_iv_rank:.0f}")
cols[3].metric("Median IV30", "–" if market.median_iv30 is None else f"{market.median_iv30:.1%}")

left, right = st.columns(2)
with left:
    st.markdown("**Coverage by sector**")
    tables.show(
        market.by_sector,
        hide_index=True,
        height="content",
        column_config={
            "sector": "Sector",
            "symbols": st.column_config.NumberColumn("Symbols", format="localized"),
            "with_chains": st.column_config.NumberColumn("With chains", format="localized"),
            "coverage_pct": st.column_config.ProgressColumn("Coverage", format="%.0f%%", min_value=0, max_value=100),
        },
        key="overview:sectors",
    )
with right:
    st.markdown("**Quote age** (symbols with chains)")
    st.bar_chart(market.quote_ages, x="age", y="symbols", sort=False, height=220, x_label="", y_label="symbols")
    st.markdown("**IV rank** (0 = the year's low IV, 100 = its high)")
    st.bar_chart(market.iv_rank_histogram, x="iv_rank", y="symbols", sort=False, height=220, x_label="IV rank")

if market.movers_since is not None:
    st.markdown(f"**Top movers in IV rank** since {market.movers_since:%Y-%m-%d}")
    movers = market.movers
else:
    st.markdown("**Highest IV rank today**")
    st.caption("Not enough IV history for a week-ago rank yet, so these are today's highest IV ranks, not movers.")
    movers = market.movers.drop(columns=["iv_rank_before", "change"])
tables.show(
    movers,
    hide_index=True,
    height="content",
    column_config={
        "symbol": "Symbol",
        "sector": "Sector",
        "iv_rank": st.column_config.NumberColumn("IV rank", format="%.0f"),
        "iv_rank_before": st.column_config.NumberColumn("A week before", format="%.0f"),
        "change": st.column_config.NumberColumn("Change", format="%+.0f"),
    },
    key="overview:movers",
)

if actor.can(Permission.READ_OPERATIONS):
    st.divider()
    st.subheader("Database", help="The operator view: admins only.")
    with database_guard():
        overview = database_overview(eng, actor)
    st.caption(f"Database: `{overview.database}`")
    if overview.error:
        st.error(f"The database cannot be reached: {overview.error}")
        st.stop()
    left, mid, right = st.columns(3)
    left.metric("Schema revision", overview.revision)
    mid.metric("Tables", len(overview.tables))
    right.metric("Rows", f"{sum(overview.tables.values()):,}")
    counts = pd.DataFrame({"table": list(overview.tables), "rows": list(overview.tables.values())})
    tables.show(counts, hide_index=True, width="stretch", key="overview:tables")

"""Accounts: broker accounts through OpenAlgo, per account and added up: status, funds, positions, holdings,
today's orders and trades, failover history; sync (queued for the sidecar), add, edit, delete, CSV import."""

import streamlit as st

from core.accounts import service
from core.auth import Permission
from ui import account_panels as panels
from ui import charts, tables
from ui.auth import require_page
from ui.db import database_guard, engine

actor = require_page(Permission.MANAGE_OWN_ACCOUNTS)  # traders see their own accounts; admins everyone's
ALL = "All accounts"
cc = st.column_config
MONEY = cc.NumberColumn(format="%.2f")
PRICED = cc.DatetimeColumn("price time", format="YYYY-MM-DD HH:mm:ss z", help="when the last price was written")

st.title("Accounts")
if done := st.session_state.pop(panels.DONE, None):
    st.success(done, icon=":material/check_circle:")
with database_guard():
    eng = engine()
    views = service.visible_accounts(eng, actor)

if not views:
    st.info("No broker accounts yet. Add one below: an OpenAlgo host and API key, or none to import CSV exports.")
    panels.add_form(eng, actor, views)
    st.stop()

by_label = {(f"{v.name} ({v.owner})" if actor.can(Permission.MANAGE_ALL_ACCOUNTS) else v.name): v for v in views}
choice = st.selectbox("Show", [ALL, *by_label], key="accounts.show")
shown = views if choice == ALL else [by_label[choice]]
ids = None if choice == ALL else [shown[0].id]
with database_guard():
    book = service.account_portfolio(eng, actor, [v.id for v in shown])

panels.status_table(shown)
panels.sync_controls(eng, actor, ids, syncable=any(v.host and v.key for v in shown))
st.caption(panels.price_note(shown))

totals = book.totals()
cash, margin, realised, unrealised = st.columns(4)
for column, label, key in (
    (cash, "Available cash", "available_cash"),
    (margin, "Used margin", "used_margin"),
    (realised, "Realised P&L", "realized_pnl"),
    (unrealised, "Unrealised P&L", "unrealized_pnl"),
):
    value = totals[key]
    column.metric(label, "—" if value is None else f"{value:,.2f}")

positions_tab, holdings_tab, today_tab, funds_tab, failover_tab, manage_tab = st.tabs(
    ["Positions", "Holdings", "Today's orders and trades", "Funds", "Failover history", "Manage"]
)

with positions_tab:
    if book.positions.empty:
        st.info("No positions: sync the account, or import a CSV export under Manage.")
    else:
        tables.show(
            book.positions,
            hide_index=True,
            width="stretch",
            key="accounts.positions",
            column_config={
                "strike": MONEY,
                "expiry": cc.DateColumn(format="YYYY-MM-DD"),
                "dte": cc.NumberColumn("DTE", help="calendar days to expiry, from today on the exchange"),
                "expired": cc.CheckboxColumn("expired", help="past its expiry: close it at the broker or re-sync"),
                "average_price": cc.NumberColumn("avg price", format="%.2f"),
                "last_price": cc.NumberColumn("last price", format="%.2f"),
                "priced": PRICED,
                "pnl": cc.NumberColumn("P&L", format="%.2f"),
            },
        )
        st.plotly_chart(charts.pnl_by_position_figure(book.positions), key="accounts.pnl_chart")

with holdings_tab:
    if book.holdings.empty:
        st.info("No holdings.")
    else:
        tables.show(
            book.holdings,
            hide_index=True,
            width="stretch",
            key="accounts.holdings",
            column_config={
                "average_price": cc.NumberColumn("avg price", format="%.2f"),
                "last_price": cc.NumberColumn("last price", format="%.2f"),
                "priced": PRICED,
                "current_value": cc.NumberColumn("value", format="%.2f"),
                "pnl": cc.NumberColumn("P&L", format="%.2f"),
                "pnl_percent": cc.NumberColumn("P&L %", format="%.2f"),
            },
        )
        st.plotly_chart(charts.allocation_figure(book.holdings), key="accounts.allocation_chart")

with today_tab:
    st.subheader("Orders")
    if book.orders.empty:
        st.caption("No orders today.")
    else:
        tables.show(book.orders, hide_index=True, width="stretch", key="accounts.orders")
    st.subheader("Trades")
    if book.trades.empty:
        st.caption("No trades today.")
    else:
        tables.show(book.trades, hide_index=True, width="stretch", key="accounts.trades")

with funds_tab:
    if book.funds.empty:
        st.caption("No funds reported yet: they arrive with the first sync.")
    else:
        tables.show(book.funds, hide_index=True, width="stretch", key="accounts.funds")

with failover_tab:
    if book.failovers.empty:
        st.caption("No failovers: every switch between a primary and its backups is listed here.")
    else:
        tables.show(book.failovers, hide_index=True, width="stretch", key="accounts.failovers")

with manage_tab:
    add, change = st.tabs(["Add an account", "Change an account"])
    with add:
        panels.add_form(eng, actor, views)
    with change:
        target = by_label[st.selectbox("Account", list(by_label), index=0, key="accounts.manage.account")]
        st.caption(f"{target.name}: key {target.key or 'none (CSV imports)'}, host {target.host or 'none'}.")
        edit, importing, delete = st.tabs(["Edit", "Import CSV", "Delete"])
        with edit:
            panels.edit_form(eng, actor, target)
        with importing:
            positions_file, trades_file = st.columns(2)
            with positions_file:
                st.markdown("**Positions and holdings** (a snapshot: replaces the last import)")
                panels.import_section(eng, actor, target)
            with trades_file:
                st.markdown("**Trade history** (adds the trades not stored yet; the wheel's cycles come from it)")
                panels.trades_import_section(eng, actor, target)
        with delete:
            panels.delete_section(eng, actor, target)

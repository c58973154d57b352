"""Wheel: covered calls on what you hold, puts sized to your cash, open short options with status and rolls, and
cycles with realised returns (docs/wheel.md). Traders see their own accounts, admins everyone's."""

import streamlit as st

from core.auth import Permission
from core.clock import today_in_new_york
from core.wheel import service
from core.wording import plural
from ui import wheel_panels as panels
from ui.auth import require_page
from ui.db import database_guard, engine

actor = require_page(Permission.MANAGE_OWN_ACCOUNTS)
ALL = "All accounts"

st.title("Wheel")
with database_guard():
    eng = engine()
    accounts = service.account_choices(eng, actor)
if not accounts:
    st.info("No broker accounts yet: add one (or import a CSV export) on the Accounts page.")
    st.stop()

pick, day = st.columns([2, 1])
label = pick.selectbox("Account", [ALL, *accounts.values()], key="wheel.account")
account = None if label == ALL else next(i for i, name in accounts.items() if name == label)
as_of = day.date_input("As of", today_in_new_york(), key="wheel.as_of")
positions_tab, calls_tab, puts_tab, cycles_tab = st.tabs(
    ["Open positions", "Covered calls", "Cash-secured puts", "Cycles"]
)

with positions_tab:
    take_profit = st.slider("Take profit at captured %", 10, 100, 50, step=5, key="wheel.take_profit")
    with database_guard():
        rules = service.StatusRules(take_profit_pct=float(take_profit))
        positions = service.open_positions(eng, actor, account=account, as_of=as_of, rules=rules)
    if positions.empty:
        st.info("No open short options: sync the account, or import a CSV export on the Accounts page.")
    else:
        panels.table(positions, panels.POSITION_COLUMNS, "wheel.positions")
        live = positions[positions.status != "expired"]
        expired = len(positions) - len(live)
        if expired:
            its, it = ("its", "it") if expired == 1 else ("their", "them")
            st.caption(
                f"{plural(expired, 'position')} past {its} expiry: the broker's books (or the imported file) still "
                f"list {it}; close {it} there, or sync or import the account again."
            )
        choices = {f"{r.position_id}: {r.symbol} ({r.status})": int(r.position_id) for r in live.itertuples()}
        if choices:
            chosen = st.selectbox("Roll candidates for", list(choices), key="wheel.roll_for")
            with database_guard():
                rolls = service.rolls(eng, actor, choices[chosen], as_of=as_of)
            if rolls.empty:
                st.caption("No later expiry at this strike or further out of the money in the stored chains.")
            else:
                cols = ["expiration_date", "dte", "strike", "mid", "net_credit", "net_credit_total",
                        "new_breakeven", "flat_return", "flat_annualized_return", "delta"]  # fmt: skip
                panels.table(rolls, cols, "wheel.rolls")

with calls_tab:
    filters = panels.screen_form("wheel.calls", "cc", as_of)
    never_below = st.toggle("Never sell below cost", value=True, key="wheel.never_below_cost")
    with database_guard():
        calls = service.covered_calls(eng, actor, filters, account=account, never_below_cost=never_below)
    if calls.empty:
        st.info("No covered calls: no holding of 100 shares or more has a call that passes these filters.")
    else:
        panels.table(calls, ["symbol", "contracts_covered", "cost_basis", *panels.SCREEN_COLUMNS[1:]], "wheel.calls")

with puts_tab:
    filters = panels.screen_form("wheel.puts", "csp", as_of)
    affordable = st.toggle("Only what my cash secures", value=True, key="wheel.affordable")
    with database_guard():
        cash = service.put_cash(eng, actor, account=account)
    available, reserved, free = st.columns(3)
    available.metric("Available cash", "—" if cash.available is None else f"{cash.available:,.2f}")
    reserved.metric("Reserved by short puts", f"{cash.reserved:,.2f}")
    free.metric("Free to secure puts", "—" if cash.free is None else f"{cash.free:,.2f}")
    if cash.free is None:
        st.info("No cash reported for this account yet: it arrives with a sync.")
    else:
        with database_guard():
            puts = service.sized_puts(eng, actor, filters, account=account, affordable_only=affordable)
        if puts.empty:
            st.info("No put passes these filters within the free cash.")
        else:
            panels.table(puts, ["symbol", "contracts_affordable", *panels.SCREEN_COLUMNS[1:]], "wheel.puts")

with cycles_tab:
    with database_guard():
        cycles = service.cycles(eng, actor, account=account, as_of=as_of)
    if not cycles:
        st.info("No wheel cycles yet: they are derived from the synced or imported trades (a put sold starts one).")
    else:
        frame = service.cycles_frame(cycles)
        closed = frame[frame.status == "closed"]
        done, pnl, premiums, fees = st.columns(4)
        done.metric("Closed cycles", f"{len(closed)} of {len(frame)}")
        pnl.metric("Realised P&L", f"{closed.realized_pnl.sum():,.2f}", help="after the fees reported")
        premiums.metric("Premiums", f"{frame.premiums.sum():,.2f}")
        fees.metric("Fees reported", "—" if frame.fees.isna().all() else f"{frame.fees.sum():,.2f}")
        panels.table(frame, list(frame.columns), "wheel.cycles")
        if note := panels.fees_note(frame):
            st.caption(note)
        names = [f"{c.underlying} {c.start} ({c.account}, {c.outcome})" for c in cycles]
        index = st.selectbox("Cycle", range(len(cycles)), format_func=names.__getitem__, key="wheel.cycle")
        cycle = cycles[index]
        with database_guard():
            closes = service.cycle_chart(eng, actor, cycle)
        legs = service.legs_frame(cycle)
        panels.cycle_chart(closes, legs, f"{cycle.underlying}: the cycle's legs", "wheel.cycle_chart")
        panels.table(legs, list(legs.columns), "wheel.legs")

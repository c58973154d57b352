"""Scan Premiums' "my holdings" scope (docs/wheel.md): whose screen it is, for roles that own broker accounts.

Off, the page screens every stock. On, covered calls are screened only on what the chosen accounts hold in lots of
a contract or more (each row says how many contracts the holding covers, and its cost basis; "never sell below
cost" keeps strikes at or above it), and puts are sized to the accounts' free cash (contracts_affordable; a
toggle hides what the cash cannot secure). The results come from core.premiums.service, uncached: they are the
acting user's accounts, not shared data.
"""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from core.auth import Actor, Permission


@dataclass(frozen=True)
class HoldingsScope:
    account: int | None  # None: every account the actor sees
    never_below_cost: bool
    affordable_only: bool


def scope_form(key: str, actor: Actor, accounts: dict[int, str], strategy: str) -> HoldingsScope | None:
    """The scope widgets (only for roles that own accounts); None while the scope is off."""
    if not actor.can(Permission.MANAGE_OWN_ACCOUNTS):
        return None
    row = st.columns([1.3, 2.2, 2.5], vertical_alignment="bottom")
    on = row[0].toggle(
        "My holdings",
        key=f"{key}:holdings",
        help="Covered calls on the shares your accounts hold; puts sized to your accounts' free cash.",
    )
    if not on:
        return None
    if not accounts:
        st.info("No broker accounts yet: add one (or import a CSV) on the Accounts page.", icon=":material/info:")
        return None
    account = row[1].selectbox(
        "Account",
        [None, *accounts],
        format_func=lambda i: "Every account" if i is None else accounts[i],
        key=f"{key}:account",
    )
    never_below_cost = affordable_only = False
    if strategy == "cc":
        never_below_cost = row[2].toggle(
            "Never sell below cost",
            key=f"{key}:never_below_cost",
            help="Keep strikes at or above the holding's cost basis (where the broker reported one).",
        )
    else:
        affordable_only = row[2].toggle(
            "Only what my cash secures",
            value=True,
            key=f"{key}:affordable_only",
            help="Hide puts the free cash (available cash less what open short puts reserve) cannot secure.",
        )
    return HoldingsScope(account, never_below_cost, affordable_only)

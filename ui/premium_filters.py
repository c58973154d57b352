"""The Scan Premiums filter widgets: they read and write one `PremiumFilters` through session state.

Every widget is keyed `<key>:<field>` and created without a `value=`; its value lives in session state, set
from a `PremiumFilters` by `set_filter_state` (at first use and when a saved screen is loaded, in a callback
that runs before the widgets exist). So loading a screen moves every widget, and nothing warns about a widget
given a default and a session-state value at once.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from core.premiums.filters import RANGE_FILTERS, RANK_KEYS, PremiumFilters
from ui.filter_url import filters_from_url, keep_in_url

STRATEGIES = {"csp": "Cash-secured put", "cc": "Covered call"}
RANK_LABELS = {
    "flat_annualized_return": "Flat annualised (time value)",
    "flat_return": "Flat return (time value)",
    "annualized_return": "Annualised return",
    "monthly_return": "Monthly return",
    "premium": "Premium",
    "cushion_pct": "Cushion",
}
# the (low, high) filters beside the table, in RANGE_FILTERS order, with their units
RANGE_LABELS = {
    "hv20": "HV20 (%)",
    "hv60": "HV60 (%)",
    "iv_hv": "IV / HV20",
    "expected_move_pct": "Expected move (% of stock)",
    "market_cap": "Market cap ($ bn)",
}
LIMITS = (100, 500, 2000)
DTE_RANGE = (0, 400)  # the days-to-expiry slider's ends
DELTA_FULL = (0.0, 1.0)
DEFAULTS = PremiumFilters()


def _k(key: str, name: str) -> str:
    return f"{key}:{name}"


def _pair(value: tuple | None) -> tuple:
    return value if value is not None else (None, None)


def set_filter_state(
    key: str, flt: PremiumFilters, sectors: list[str] | None = None, watchlists: list[str] | None = None
) -> None:
    """Put `flt` into the widgets' session state (sectors and watchlist only if they still exist)."""
    state = st.session_state
    state[_k(key, "strategy")] = flt.strategy
    state[_k(key, "dte")] = tuple(flt.dte)
    state[_k(key, "delta")] = tuple(flt.delta) if flt.delta else DELTA_FULL
    state[_k(key, "price_min")], state[_k(key, "price_max")] = _pair(flt.price)
    state[_k(key, "iv_min")], state[_k(key, "iv_max")] = _pair(flt.iv)
    for name in RANGE_FILTERS:
        state[_k(key, f"{name}_min")], state[_k(key, f"{name}_max")] = _pair(getattr(flt, name))
    for name in (
        "min_premium",
        "min_monthly_return",
        "min_annualized_return",
        "min_volume",
        "min_open_interest",
        "max_spread_pct",
        "min_iv_rank",
        "min_iv_percentile",
    ):
        state[_k(key, name)] = getattr(flt, name)
    state[_k(key, "sectors")] = [s for s in flt.sectors if sectors is None or s in sectors]
    state[_k(key, "watchlist")] = flt.watchlist if watchlists is None or flt.watchlist in watchlists else None
    state[_k(key, "exclude_earnings")] = flt.exclude_earnings
    state[_k(key, "exclude_ex_dividend")] = flt.exclude_ex_dividend
    state[_k(key, "all_contracts")] = flt.all_contracts
    state[_k(key, "fill_at_bid")] = flt.price_basis == "bid"
    state[_k(key, "as_of")] = flt.as_of
    state[_k(key, "rank_by")] = flt.rank_by
    state[_k(key, "limit")] = flt.limit if flt.limit in LIMITS else LIMITS[1]


def _range(low, high, floor: float = 0.0, ceiling: float = 1e12) -> tuple | None:
    if low is None and high is None:
        return None
    return (floor if low is None else low, ceiling if high is None else high)


def premium_filters_form(key: str, sectors: list[str], watchlists: list[str]) -> PremiumFilters:
    """The filter widgets; returns what they ask for."""
    state = st.session_state
    if _k(key, "strategy") not in state:  # first visit, or back from another page (widget state was dropped)
        linked, ignored = filters_from_url(sectors, watchlists, {"dte": DTE_RANGE})  # a bookmark, a link, a reload
        if linked is not None and linked.limit not in LIMITS:
            ignored.append(f"limit={linked.limit}: this page shows at most {', '.join(map(str, LIMITS))} rows")
        set_filter_state(key, linked or state.get(_k(key, "current"), DEFAULTS), sectors, watchlists)
        if ignored:
            st.warning("Some filters in this link were ignored: " + "; ".join(ignored), icon=":material/link_off:")
    if state.get(_k(key, "watchlist")) not in [None, *watchlists]:
        state[_k(key, "watchlist")] = None  # the list was deleted or renamed elsewhere
    state[_k(key, "sectors")] = [s for s in state.get(_k(key, "sectors"), []) if s in sectors]

    top = st.columns([1.3, 1.7, 1.7, 2.0, 1.5])  # "Rank by" and the toggles wide enough for their text
    top[0].radio("Strategy", list(STRATEGIES), format_func=STRATEGIES.get, key=_k(key, "strategy"))
    top[1].slider("Days to expiry", *DTE_RANGE, key=_k(key, "dte"))
    top[2].slider(
        "|Delta|",
        0.0,
        1.0,
        step=0.01,
        key=_k(key, "delta"),
        help="Absolute delta: 0.25-0.40 means puts -0.40..-0.25 and calls 0.25..0.40.",
    )
    top[3].selectbox("Rank by", RANK_KEYS, format_func=RANK_LABELS.get, key=_k(key, "rank_by"))
    top[4].toggle(
        "All contracts", key=_k(key, "all_contracts"), help="Every matching contract, not just the best one per symbol."
    )
    top[4].toggle(
        "Fill at the bid",
        key=_k(key, "fill_at_bid"),
        help="A conservative fill: premium, returns, breakeven and ranking at the bid instead of the mid.",
    )
    # A form that Enter does not submit: its number fields show no "Press Enter to apply" hint, which covered
    # the value (and the out-of-range error) in fields this narrow; "Apply filters" applies them all.
    with (
        st.expander("More filters", icon=":material/tune:"),
        st.form(_k(key, "more"), enter_to_submit=False, border=False),
    ):
        row = st.columns(4)
        row[0].number_input("Stock price from ($)", min_value=0.0, key=_k(key, "price_min"))
        row[0].number_input("Stock price to ($)", min_value=0.0, key=_k(key, "price_max"))
        row[1].number_input("Min premium ($ per contract)", min_value=0.0, key=_k(key, "min_premium"))
        row[1].number_input("Min monthly return (%)", min_value=0.0, key=_k(key, "min_monthly_return"))
        row[1].number_input("Min annualised return (%)", min_value=0.0, key=_k(key, "min_annualized_return"))
        row[2].number_input("Min volume", min_value=0, step=10, key=_k(key, "min_volume"))
        row[2].number_input("Min open interest", min_value=0, step=10, key=_k(key, "min_open_interest"))
        row[2].number_input("Max spread (% of mid)", min_value=0.0, key=_k(key, "max_spread_pct"))
        row[3].number_input("IV from (%)", min_value=0.0, key=_k(key, "iv_min"))
        row[3].number_input("IV to (%)", min_value=0.0, key=_k(key, "iv_max"))
        row[3].number_input("Min IV rank (0-100)", min_value=0.0, max_value=100.0, key=_k(key, "min_iv_rank"))
        row = st.columns([2, 1.2, 1, 1.1, 0.8])
        row[0].multiselect("Sectors", sectors, key=_k(key, "sectors"), placeholder="All sectors")
        row[1].selectbox(
            "Watchlist",
            [None, *watchlists],
            key=_k(key, "watchlist"),
            format_func=lambda v: "All symbols" if v is None else v,
        )
        row[2].date_input(
            "As of",
            key=_k(key, "as_of"),
            help="DTE and earnings are counted from this date; empty means today (New York).",
        )
        row[3].checkbox(
            "Skip earnings",
            key=_k(key, "exclude_earnings"),
            help="Leave out symbols that report earnings before the contract expires.",
        )
        row[4].selectbox("Show at most", LIMITS, key=_k(key, "limit"))
        st.caption("Volatility, size and dividends")
        row = st.columns(len(RANGE_LABELS) + 1)
        for column, (name, label) in zip(row, RANGE_LABELS.items(), strict=False):
            column.number_input(f"{label} from", min_value=0.0, key=_k(key, f"{name}_min"))
            column.number_input(f"{label} to", min_value=0.0, key=_k(key, f"{name}_max"))
        row[-1].number_input(
            "Min IV percentile (0-100)",
            min_value=0.0,
            max_value=100.0,
            key=_k(key, "min_iv_percentile"),
            help="Share of the past year's days whose IV30 was below today's.",
        )
        row[-1].checkbox(
            "Skip ex-dividend",
            key=_k(key, "exclude_ex_dividend"),
            help="Covered calls only: leave out calls whose expiry spans an ex-dividend date "
            "(a call in the money before it may be assigned early).",
        )
        st.form_submit_button("Apply filters", icon=":material/filter_alt:", key=_k(key, "apply"))

    delta = tuple(state[_k(key, "delta")])
    flt = replace(
        DEFAULTS,
        strategy=state[_k(key, "strategy")],
        dte=tuple(state[_k(key, "dte")]),
        delta=None if delta == DELTA_FULL else delta,
        price=_range(state[_k(key, "price_min")], state[_k(key, "price_max")]),
        iv=_range(state[_k(key, "iv_min")], state[_k(key, "iv_max")], ceiling=1000.0),
        min_premium=state[_k(key, "min_premium")],
        min_monthly_return=state[_k(key, "min_monthly_return")],
        min_annualized_return=state[_k(key, "min_annualized_return")],
        min_volume=_int(state[_k(key, "min_volume")]),
        min_open_interest=_int(state[_k(key, "min_open_interest")]),
        max_spread_pct=state[_k(key, "max_spread_pct")],
        min_iv_rank=state[_k(key, "min_iv_rank")],
        min_iv_percentile=state[_k(key, "min_iv_percentile")],
        **{name: _range(state[_k(key, f"{name}_min")], state[_k(key, f"{name}_max")]) for name in RANGE_FILTERS},
        exclude_ex_dividend=bool(state[_k(key, "exclude_ex_dividend")]),
        sectors=tuple(state[_k(key, "sectors")]),
        watchlist=state[_k(key, "watchlist")],
        exclude_earnings=bool(state[_k(key, "exclude_earnings")]),
        all_contracts=bool(state[_k(key, "all_contracts")]),
        price_basis="bid" if state.get(_k(key, "fill_at_bid")) else "mid",
        as_of=state[_k(key, "as_of")],
        rank_by=state[_k(key, "rank_by")],
        limit=int(state[_k(key, "limit")]),
    )
    state[_k(key, "current")] = flt  # a plain frozen dataclass: survives page switches, unlike widget state
    keep_in_url(flt)
    return flt


def _int(value) -> int | None:
    return None if value is None else int(value)

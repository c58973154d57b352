"""Scan Premiums' filters in the address bar (`st.query_params`): bookmark, share, reload.

The mapping itself is core.premiums.filter_query (every field of `PremiumFilters`, by its type); this module only
moves it between the address bar and the page.
"""

from __future__ import annotations

from dataclasses import fields

import streamlit as st

from core.premiums.filter_query import from_query, to_query
from core.premiums.filters import PremiumFilters

FIELDS = tuple(f.name for f in fields(PremiumFilters))


def filters_from_url(
    sectors: list[str], watchlists: list[str], bounds: dict[str, tuple[float, float]]
) -> tuple[PremiumFilters | None, list[str]]:
    """The filters the address asks for (None when it names none), and a sentence per value ignored; `bounds`
    are the widgets' limits where they are narrower than the screen's ({"dte": (0, 400)})."""
    params = {name: st.query_params.get_all(name) for name in FIELDS if name in st.query_params}
    if not params:
        return None, []
    flt, problems = from_query(params, bounds)
    unknown = [s for s in flt.sectors if s not in sectors]
    if unknown:
        problems.append(f"sectors: no sector named {', '.join(map(repr, unknown))}")
    if flt.watchlist is not None and flt.watchlist not in watchlists:
        problems.append(f"watchlist: no watchlist named {flt.watchlist!r}")
    return flt, problems


def keep_in_url(flt: PremiumFilters) -> None:
    """Write `flt` to the address (only the fields that differ from the defaults; other keys are left alone)."""
    wanted = to_query(flt)
    for name in FIELDS:
        value = wanted.get(name)
        if value is None:
            if name in st.query_params:
                del st.query_params[name]
        elif st.query_params.get_all(name) != ([value] if isinstance(value, str) else value):
            st.query_params[name] = value

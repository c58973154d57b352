"""Every table the dashboard shows goes through `show`: one place for how a table looks.

Streamlit prints a missing value as the word "None" unless told otherwise, which reads like data ("strike:
None" on a share holding, "last error: None" on a healthy account). `show` draws a missing value as a dash,
hides the index and fills the width; a caller may still override any of these.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

MISSING = "—"  # what a cell with no value shows


def show(data: Any, **options: Any) -> Any:
    """`st.dataframe` with the dashboard's defaults; returns what it returns (the selection when selectable)."""
    options.setdefault("placeholder", MISSING)
    options.setdefault("hide_index", True)
    options.setdefault("width", "stretch")
    return st.dataframe(data, **options)


__all__ = ["MISSING", "show"]

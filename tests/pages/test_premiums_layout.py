"""Scan Premiums' rough edges that AppTest can see: the chain's caption names its columns in the order the grid
draws them (pinned columns first). The rest (table height, cut-off labels, the "Press Enter" hint) need a
browser: tests/browser/test_browser.py."""

from __future__ import annotations

import json
import re

from tests.pages.conftest import no_exception

PAGE = "pages/premiums.py"


def _drawn_order(element) -> list[str]:
    """The grid's column order: pinned columns first, then the others, each in the frame's order."""
    config = json.loads(element.proto.columns)
    columns = list(element.proto.column_order) or list(element.value.columns)
    pinned = [c for c in columns if config.get(c, {}).get("pinned")]
    return pinned + [c for c in columns if c not in pinned]


def _sides(columns: list[str]) -> list[str]:
    groups = [{"call": "calls", "put": "puts"}.get(c.split("_", 1)[0], c) for c in columns]
    return [g for i, g in enumerate(groups) if i == 0 or groups[i - 1] != g]


def test_chain_caption_matches_the_order_the_grid_draws(open_page, demo_url):
    app = open_page(demo_url, PAGE)
    app.session_state["premiums:table"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    app.run()
    no_exception(app)
    caption = next(c.value for c in app.caption if c.value.startswith("Chain around the money"))
    named = re.search(r"\(([^)]*)\)", caption).group(1).split(" | ")
    chain = app.dataframe[1]
    assert _sides(_drawn_order(chain)) == named == ["calls", "strike", "puts"]

"""Scan Premiums in a real Chromium: "filter change -> table redrawn" over ~940,000 contracts.

    python bench/browser_filter.py [--backend sqlite|postgresql] [--symbols 5000] [--changes 15]

A migrated scratch database gets N synthetic symbols (~190 contracts each) written through core.sync.store as a
Sync All does (as of today in New York, the page's default as-of date) and a user; then the dashboard runs as users
start it (`python -m streamlit run dashboard.py`, tests/browser/conftest.py's start_dashboard) on a free port, and
Debian's Chromium (/usr/bin/chromium, driven by Playwright) signs in and opens Scan Premiums on the default put
screen. Each change types a Min premium ($ per contract, under More filters) just above the first row's premium
and clicks Apply filters, so the first row must go and every change is a screen the page has not cached yet (a
step of the |delta| slider often leaves the visible rows as they were: strikes are discrete). Timed in the browser
(performance.now(), polled every animation frame): from the click until the table's cells (the data grid's
accessible table, which it redraws with the canvas) differ from before, and until Streamlit's run has ended (no
running indicator); then the first row's premium is checked against the minimum asked for. The first
changes warm the server's caches and imports and are not counted (--warm-up). The floor, in the same run: the
screen alone in this process (DatabaseScanner.best_per_symbol for the same filters), so the rest is Streamlit,
the network and the browser.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from common import header, scratch_database
from query import maintain
from screen_index import ORIGINAL, build
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.auth import LOCAL_OPERATOR
from core.auth.users import create_user
from core.clock import today_in_new_york
from core.db.engine import create_db_engine
from core.premiums.filters import PremiumFilters
from core.premiums.screen import DatabaseScanner
from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, start_dashboard, stop_process, wait_http

USER, PASSWORD = "bench-admin", "correct horse battery staple"
GRID = '[data-testid="stDataFrame"]'
# What the table shows: the grid's accessible cells (glide-data-grid keeps them in step with the canvas).
CELLS = f"() => [...document.querySelectorAll('{GRID} table td')].slice(0, 60).map(c => c.innerText).join('|')"
RUNNING = '[data-testid="stStatusWidgetRunningIcon"]'


def settle(page) -> None:
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_function(f"() => !document.querySelector('{RUNNING}')")
    page.wait_for_timeout(600)


def top_premium(page) -> float:
    """The first row's Premium ($ per contract), read from the grid's accessible cells."""
    heads = page.evaluate(f"() => [...document.querySelectorAll('{GRID} table th')].map(t => t.innerText)")
    cells = page.evaluate(f"() => [...document.querySelectorAll('{GRID} table td')].map(c => c.innerText)")
    return float(cells[heads.index("Premium")])


def one_change(page) -> dict:
    """Raise Min premium above the first row's premium and apply: ms (browser clock) from the click until the
    table's cells differ (that row is gone) and until Streamlit's run has ended; the value asked for."""
    wanted = round(top_premium(page) + 0.5, 2)
    page.get_by_label("Min premium ($ per contract)", exact=True).fill(f"{wanted:.2f}")
    before = page.evaluate(CELLS)
    apply = page.get_by_role("button", name="Apply filters")
    apply.evaluate("(b) => b.addEventListener('click', () => { window.__t0 = performance.now(); }, {once: true})")
    apply.click()
    page.wait_for_function(
        f"(old) => {{ const now = ({CELLS})(); if (now && now !== old) {{ window.__t1 = performance.now(); "
        "return true; } return false; }",
        arg=before,
        polling="raf",
        timeout=60_000,
    )
    page.wait_for_function(
        f"() => {{ if (!document.querySelector('{RUNNING}')) {{ window.__t2 = performance.now(); return true; }}"
        " return false; }",
        polling="raf",
        timeout=60_000,
    )
    t0, t1, t2 = page.evaluate("() => [window.__t0, window.__t1, window.__t2]")
    settle(page)  # nothing left running before the next change
    shown = top_premium(page)
    assert shown >= wanted, f"asked for a premium of at least {wanted}, the first row shows {shown}"
    return {"redrawn": t1 - t0, "run_ended": max(t2, t1) - t0, "value": wanted}


def screen_floor(url: str, premiums: list[float], as_of) -> list[float]:
    """ms of the screen alone (the scanner in this process) for each Min premium the page asked for."""
    engine = create_db_engine(url)
    out = []
    try:
        for premium in premiums:
            filters = dataclasses.replace(PremiumFilters(as_of=as_of), min_premium=premium)
            started = time.perf_counter()
            with Session(engine) as session:
                DatabaseScanner(session).best_per_symbol(filters)
            out.append((time.perf_counter() - started) * 1000)
    finally:
        engine.dispose()
    return out


def run(url: str, args) -> None:
    from playwright.sync_api import sync_playwright

    as_of = today_in_new_york()
    engine = create_db_engine(url)
    if args.before_0015:
        with engine.begin() as conn:
            conn.execute(text("DROP INDEX idx_sp_rank"))
            conn.execute(text(ORIGINAL))
    started = time.perf_counter()
    contracts = sum(p.stored for p in build(engine, args.symbols, as_of))
    create_user(engine, LOCAL_OPERATOR, USER, PASSWORD, "admin")
    maintain(engine)
    engine.dispose()
    print(
        f"{args.backend}: {contracts:,} contracts, {args.symbols:,} symbols as of {as_of}, "
        f"built in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    env = {**os.environ, "DATABASE_URL": url, "MARKET_DATA_PROVIDER": "synthetic", "PYTHONUNBUFFERED": "1"}
    with tempfile.TemporaryFile("w+") as log:
        app, base = start_dashboard(env, log)
        try:
            wait_http(f"{base}/_stcore/health", app)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                page = browser.new_page(viewport={"width": 1440, "height": 1000})
                page.set_default_timeout(120_000)
                page.goto(base)
                page.get_by_label("Username", exact=True).fill(USER)
                page.get_by_label("Password", exact=True).fill(PASSWORD)
                page.get_by_role("button", name="Sign in", exact=True).click()
                page.wait_for_selector(f"{GRID} table td", state="attached")
                settle(page)
                page.get_by_text("More filters").click()
                page.get_by_label("Min premium ($ per contract)", exact=True).wait_for()
                results = [one_change(page) for _ in range(args.warm_up + args.changes)]
                browser.close()
        except Exception:
            log.seek(0)
            sys.stderr.write(log.read()[-4000:])
            raise
        finally:
            stop_process(app)
    counted = results[args.warm_up :]
    premiums = [r["value"] for r in counted]
    floor = screen_floor(url, premiums, as_of)
    redrawn = [r["redrawn"] for r in counted]
    ended = [r["run_ended"] for r in counted]
    print(
        f"{args.backend}: {len(counted)} changes (Min premium {premiums[0]:,.2f} .. {premiums[-1]:,.2f} $) after "
        f"{args.warm_up} warm-up changes"
    )
    for label, values in (
        ("click -> table redrawn", redrawn),
        ("click -> run ended", ended),
        ("floor: the screen alone", floor),
    ):
        print(
            f"  {label:<28} median {statistics.median(values):6.0f} ms  p90 {np.percentile(values, 90):6.0f} ms"
            f"  min {min(values):6.0f}  max {max(values):6.0f}"
        )
    print(f"  redrawn, each (ms): {', '.join(f'{v:.0f}' for v in redrawn)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--symbols", type=int, default=5000)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--warm-up", type=int, default=2)
    parser.add_argument("--before-0015", action="store_true", help="with idx_sp_rank as it was before migration 0015")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    layout = "idx_sp_rank before migration 0015" if args.before_0015 else "idx_sp_rank as migrated"
    header(f"Scan Premiums in Chromium: filter change -> table redrawn, {args.symbols} synthetic symbols, {layout}")
    with scratch_database(args.backend) as url:
        run(url, args)


if __name__ == "__main__":
    main()

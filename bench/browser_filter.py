"""Scan Premiums in a real Chromium: "filter change -> table redrawn" over ~940,000 contracts.

    python bench/browser_filter.py [--backend sqlite|postgresql] [--symbols 5000] [--changes 15]

A migrated scratch database gets N synthetic symbols (~190 contracts each) written through core.sync.store as a
Sync All does (as of today in New York, the page's default as-of date) and a user; then the dashboard runs as users
start it (`python -m streamlit run dashboard.py`, tests/browser/conftest.py's start_dashboard) on a free port, and
Debian's Chromium (/usr/bin/chromium, driven by Playwright) signs in and opens Scan Premiums on the default put
screen. Each change types a stock price range (under More filters; windows that split the stored symbols into
equal parts, cheapest first) and clicks Apply filters: the windows are disjoint, so the rows must change, and every
change is a screen the page has not cached yet (a step of the |delta| slider often leaves the visible rows as they
were, strikes being discrete; raising Min premium above the first row's soon leaves nothing to show). Timed in the
browser (performance.now(), polled every animation frame): from the click until the table's cells (the data grid's
accessible table, which it redraws with the canvas) differ from before, and until Streamlit's run has ended (no
running indicator); then the first row's stock price is checked against the window asked for. The first
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


def first_price(page) -> float:
    """The first row's stock price, read from the grid's accessible cells."""
    heads = page.evaluate(f"() => [...document.querySelectorAll('{GRID} table th')].map(t => t.innerText)")
    cells = page.evaluate(f"() => [...document.querySelectorAll('{GRID} table td')].map(c => c.innerText)")
    return float(cells[heads.index("Stock")])


def one_change(page, low: float, high: float) -> dict:
    """Set the stock price range to low..high and apply: ms (browser clock) from the click until the table's cells
    differ (another price window: other symbols) and until Streamlit's run has ended."""
    page.get_by_label("Stock price from ($)", exact=True).fill(f"{low:.2f}")
    page.get_by_label("Stock price to ($)", exact=True).fill(f"{high:.2f}")
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
    shown = first_price(page)
    assert low <= shown <= high, f"asked for stocks priced {low}-{high}, the first row shows {shown}"
    return {"redrawn": t1 - t0, "run_ended": max(t2, t1) - t0, "value": (low, high)}


def windows(url: str, n: int) -> list[tuple[float, float]]:
    """n disjoint stock price windows, each holding as many of the stored symbols: each change shows others."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            prices = sorted(p for p in conn.execute(text("SELECT price FROM stock_data")).scalars() if p)
    finally:
        engine.dispose()
    bounds = [round(prices[len(prices) * k // n], 2) for k in range(n)] + [round(prices[-1] + 0.01, 2)]
    return [(bounds[k], round(bounds[k + 1] - 0.01, 2)) for k in range(n)]


def screen_floor(url: str, prices: list[tuple[float, float]], as_of) -> list[float]:
    """ms of the screen alone (the scanner in this process) for each price window the page asked for."""
    engine = create_db_engine(url)
    out = []
    try:
        for window in prices:
            filters = dataclasses.replace(PremiumFilters(as_of=as_of), price=window)
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
    if args.before_0016:
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
                page.get_by_label("Stock price from ($)", exact=True).wait_for()
                try:
                    first, *rest = windows(url, 1 + args.warm_up + args.changes)
                    # the first window may hold the default screen's first rows: applied untimed, so that every
                    # timed change goes to a window with none of the rows shown before it
                    page.get_by_label("Stock price from ($)", exact=True).fill(f"{first[0]:.2f}")
                    page.get_by_label("Stock price to ($)", exact=True).fill(f"{first[1]:.2f}")
                    page.get_by_role("button", name="Apply filters").click()
                    page.wait_for_timeout(1000)
                    settle(page)
                    results = [one_change(page, *window) for window in rest]
                except Exception:
                    shot = Path(tempfile.gettempdir()) / "browser_filter_failed.png"
                    page.screenshot(path=str(shot))
                    sys.stderr.write(f"screenshot: {shot}\n")
                    raise
                browser.close()
        except Exception:
            log.seek(0)
            sys.stderr.write(log.read()[-4000:])
            raise
        finally:
            stop_process(app)
    counted = results[args.warm_up :]
    prices = [r["value"] for r in counted]
    floor = screen_floor(url, prices, as_of)
    redrawn = [r["redrawn"] for r in counted]
    ended = [r["run_ended"] for r in counted]
    print(
        f"{args.backend}: {len(counted)} changes (stock price windows ${prices[0][0]:.2f} to"
        f" ${prices[-1][1]:.2f}) after {args.warm_up} warm-up changes"
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
    parser.add_argument("--before-0016", action="store_true", help="with idx_sp_rank as it was before migration 0016")
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        sys.exit(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    layout = "idx_sp_rank before migration 0016" if args.before_0016 else "idx_sp_rank as migrated"
    header(f"Scan Premiums in Chromium: filter change -> table redrawn, {args.symbols} synthetic symbols, {layout}")
    with scratch_database(args.backend) as url:
        run(url, args)


if __name__ == "__main__":
    main()

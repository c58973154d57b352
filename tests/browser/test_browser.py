"""The dashboard in a real Chromium: signing in and out, every page renders without an exception box, a filter
change redraws the table, and Sync All runs to completion through a real sidecar process while the progress bar
follows it.

Runs the app as users do (`python -m streamlit run dashboard.py`) against a SQLite file seeded with a small demo,
with `python -m core.sync` (or, before the sidecar exists, a SyncWorker thread) working the queue. Screenshots
go to tests/artifacts/ (gitignored). Needs Debian's Chromium at /usr/bin/chromium: skipped without it, except
under CI=true where a missing browser is a failure.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time

import pytest

from tests.browser.conftest import ARTIFACTS, CHROMIUM_ARGS, settle, start_dashboard, stop_process, wait_http
from tests.conftest import REPO_ROOT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DEMO_SYMBOLS = 30
USER, PASSWORD = "browser-admin", "correct horse battery staple"
NO_EXCEPTION = '[data-testid="stException"]'
# docs/screenshots/<name>.png <- tests/artifacts/<artifact>.png (the Scanners page in use, not its empty form)
DOC_SHOTS = {
    "premiums-detail": "premiums-detail",
    "symbol": "symbol",
    "watchlists": "watchlists",
    "scanners-code": "scanners",
    "scanners-results": "scanners-results",
    "history": "history",
    "overview": "overview",
}
STARTED = time.time()  # the docs are refreshed only from screenshots this run took


@pytest.fixture(scope="module")
def app_url(tmp_path_factory, chromium):
    """The running dashboard (and a sidecar) over a freshly seeded SQLite demo; yields its base URL."""
    from core.config import get_settings
    from core.db import migrate
    from core.db.engine import create_db_engine
    from core.demo import run_demo

    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'wheelhouse.db'}"
    env = {**os.environ, "DATABASE_URL": url, "MARKET_DATA_PROVIDER": "synthetic", "PYTHONUNBUFFERED": "1"}
    migrate.upgrade(url)
    old_env = {k: os.environ.get(k) for k in ("DATABASE_URL", "MARKET_DATA_PROVIDER")}
    os.environ.update(DATABASE_URL=url, MARKET_DATA_PROVIDER="synthetic")
    get_settings.cache_clear()
    engine = create_db_engine(url)
    run_demo(engine, n_symbols=DEMO_SYMBOLS, history_weeks=3)
    from core.auth import LOCAL_OPERATOR
    from core.auth.users import create_user

    create_user(engine, LOCAL_OPERATOR, USER, PASSWORD, "admin")

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    logs = []
    processes = []
    stop_worker = threading.Event()
    if (REPO_ROOT / "core" / "sync" / "__main__.py").exists():
        log = open(ARTIFACTS / "sidecar.log", "w")  # noqa: SIM115 (closed at teardown)
        logs.append(log)
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "core.sync", "--database-url", url, "--poll-seconds", "0.5"],
                cwd=REPO_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
    else:  # before the sidecar exists: its worker code, in a thread
        from core.sync.worker import SyncWorker

        def work() -> None:
            worker = SyncWorker(engine, stop=stop_worker)
            while not stop_worker.is_set():
                worker.run_until_idle()
                stop_worker.wait(0.5)

        threading.Thread(target=work, daemon=True, name="test-sync-worker").start()
    log = open(ARTIFACTS / "streamlit.log", "w")  # noqa: SIM115 (closed at teardown)
    logs.append(log)
    app, base = start_dashboard(env, log)
    processes.append(app)
    try:
        wait_http(f"{base}/_stcore/health", app)
        yield base
    finally:
        stop_worker.set()
        for process in processes:
            stop_process(process)
        for log in logs:
            log.close()
        engine.dispose()
        for key, value in old_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


@pytest.fixture(scope="module")
def page(app_url, chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1440, "height": 1000})
        tab.set_default_timeout(60_000)  # generous: the machine is shared
        yield tab
        browser.close()


def _sign_in(page, username: str = USER, password: str = PASSWORD) -> None:
    """Fill the sign-in form (labels Username and Password, button Sign in) and wait for the first page."""
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def _open(page, app_url: str) -> None:
    """Open the dashboard in a new browser session (every load asks to sign in) and sign in."""
    page.goto(app_url)
    page.get_by_label("Username", exact=True).wait_for()
    _sign_in(page)
    page.wait_for_selector('[data-testid="stDataFrame"]')


def _shoot(page, name: str, height: int | None = None) -> None:
    """Screenshot the window; Streamlit scrolls inside its main block, so a tall page needs a tall window."""
    if height:
        page.set_viewport_size({"width": 1440, "height": height})
        page.wait_for_timeout(800)
    settle(page)  # a rerun that started since (a fragment's poll) would leave half-drawn placeholders in the shot
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    if height:
        page.set_viewport_size({"width": 1440, "height": 1000})


def _no_exception(page) -> None:
    assert page.locator(NO_EXCEPTION).count() == 0, page.locator(NO_EXCEPTION).first.inner_text()


def _metric(page, label: str) -> str:
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return metric.locator('[data-testid="stMetricValue"]').inner_text()


def _go(page, title: str) -> None:
    link = page.locator('[data-testid="stSidebarNavLink"]').filter(has_text=title).first
    path = link.get_attribute("href").rstrip("/").rsplit("/", 1)[-1]
    link.click()
    page.wait_for_url(re.compile(rf"/{re.escape(path)}/?$"))
    page.wait_for_selector('[data-testid="stMain"] h1')
    settle(page)


def _shut_out(page) -> bool:
    """Only the sign-in form: no page content and no menu. (On a server's very first request for a page's address
    Streamlit runs that file alone; the page hands the request to dashboard.py, which shows the form.)"""
    page.get_by_label("Username", exact=True).wait_for()
    settle(page)
    menu = page.locator('[data-testid="stSidebarNavLink"]').count()
    return menu == 0 and page.locator('[data-testid="stDataFrame"]').count() == 0


def test_sign_in_open_a_page_and_sign_out(page, app_url):
    page.goto(f"{app_url}/scanners")  # a page's address before signing in (this server's first request)
    page.wait_for_selector('[data-testid="stApp"]')
    assert _shut_out(page)
    _shoot(page, "first-request")
    assert page.get_by_role("heading", name="Scanners").count() == 0

    page.goto(app_url)
    page.get_by_label("Username", exact=True).wait_for()
    settle(page)
    assert page.locator('[data-testid="stSidebarNavLink"]').count() == 0  # one page: Sign in
    _shoot(page, "sign-in")
    _sign_in(page, USER, "not the password at all")
    page.get_by_text("Wrong username or password.").wait_for()

    _sign_in(page)
    page.wait_for_selector('[data-testid="stDataFrame"]')
    settle(page)
    _no_exception(page)
    assert page.locator('[data-testid="stMain"] h1').first.inner_text() == "Scan Premiums"
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert USER in sidebar.inner_text() and "admin" in sidebar.inner_text()
    _go(page, "Watchlists")
    _no_exception(page)

    sidebar.get_by_role("button", name="Sign out").click()
    page.get_by_text("You signed out.").wait_for()
    page.get_by_label("Username", exact=True).wait_for()
    settle(page)
    assert page.locator('[data-testid="stSidebarNavLink"]').count() == 0
    page.goto(f"{app_url}/watchlists")  # the address again, now signed out
    page.wait_for_selector('[data-testid="stApp"]')
    assert _shut_out(page)
    assert page.get_by_role("heading", name="Watchlists").count() == 0


def test_scan_premiums_filter_change_and_row_detail(page, app_url):
    _open(page, app_url)
    settle(page)
    _no_exception(page)
    assert page.get_by_text("Synthetic data").count() > 0
    _shoot(page, "premiums")

    before = _metric(page, "Median flat annualised")
    started = time.monotonic()
    page.get_by_text("Covered call", exact=True).click()
    page.wait_for_function(
        "([label, old]) => [...document.querySelectorAll('[data-testid=\"stMetric\"]')]"
        ".some(m => m.innerText.includes(label) && !m.innerText.includes(old))",
        arg=["Median flat annualised", before],
    )
    redraw = time.monotonic() - started
    settle(page)
    _no_exception(page)
    # The redraw time is recorded, not asserted: speed belongs in bench/ and docs/benchmarks.md.
    (ARTIFACTS / "filter-redraw-seconds.txt").write_text(f"{redraw:.3f}\n")

    grid = page.locator('[data-testid="stDataFrame"]').first
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)  # the first row's selection checkbox
    page.wait_for_selector('[data-testid="stPlotlyChart"]')
    settle(page)
    _no_exception(page)
    page.mouse.move(4, 4)  # off the table: its toolbar would cover the metric above it
    _shoot(page, "premiums-detail", height=2000)


def _sign_in_at(page, address: str) -> None:
    """Open `address` in a new browser session (a reload, a bookmark) and sign in there."""
    page.goto(address)
    page.get_by_label("Username", exact=True).wait_for()
    _sign_in(page)
    page.wait_for_selector('[data-testid="stDataFrame"]')
    settle(page)


def test_scan_premiums_filters_survive_a_reload_through_the_address(page, app_url):
    _sign_in_at(page, f"{app_url}/?strategy=cc&min_volume=5&sectors=Nowhere")  # a shared link, one bad value
    _no_exception(page)
    assert page.get_by_role("radio", name="Covered call").is_checked()
    assert "no sector named 'Nowhere'" in page.get_by_text("Some filters in this link were ignored").inner_text()
    page.wait_for_url(re.compile(r"strategy=cc"))
    assert "min_volume=5" in page.url and "sectors" not in page.url  # the address says what the screen shows

    page.get_by_text("Cash-secured put", exact=True).click()
    page.wait_for_url(re.compile(r"^(?!.*strategy=cc)"))  # back to the default: it leaves the address
    settle(page)
    page.get_by_text("Covered call", exact=True).click()
    page.wait_for_url(re.compile(r"strategy=cc"))
    settle(page)
    address = page.url
    page.reload()  # a new Streamlit session: sign in again, the screen comes back from the address
    page.get_by_label("Username", exact=True).wait_for()
    _sign_in(page)
    page.wait_for_selector('[data-testid="stDataFrame"]')
    settle(page)
    assert page.get_by_role("radio", name="Covered call").is_checked()
    assert page.url == address
    page.get_by_text("More filters").click()
    assert page.get_by_label("Min volume", exact=True).input_value() == "5"


def test_scan_premiums_table_labels_and_number_fields_fit(page, app_url):
    _sign_in_at(page, f"{app_url}/?watchlist=High+IV&delta=0.3-0.32")
    _no_exception(page)
    rows = int(_metric(page, "Contracts"))
    assert 0 < rows <= 8, rows  # a short result: the table is as tall as its rows, no empty ones under them
    grid = page.locator('[data-testid="stDataFrame"]').first
    assert grid.bounding_box()["height"] <= (rows + 1) * 35 + 12

    page.get_by_text("More filters").click()
    more = page.locator('[data-testid="stExpander"]').filter(has_text="Min premium").first
    more.get_by_role("checkbox", name="Skip earnings").wait_for()
    cut = more.locator('[data-testid="stWidgetLabel"] p, [data-testid="stCheckbox"] p').evaluate_all(
        "els => els.filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)"
    )
    assert cut == []  # no label ends in an ellipsis

    field = more.get_by_label("Min premium ($ per contract)", exact=True)
    field.click()
    field.fill("-5")  # below the minimum: the field shows its error, and nothing must cover the value
    page.wait_for_timeout(300)
    hints = more.locator('[data-testid="InputInstructions"]').all_inner_texts()
    assert not any("Press Enter" in h for h in hints), hints
    _shoot(page, "premiums-more-filters")
    field.fill("")


def _grid(page) -> tuple[list[str], list[list[str]]]:
    """The table's column titles and rows as the data grid's accessible table holds them (it draws on a canvas)."""
    grid = page.locator('[data-testid="stDataFrame"]').first
    heads = grid.locator("table th").all_inner_texts()
    rows = grid.locator("table tbody tr").evaluate_all("trs => trs.map(tr => [...tr.cells].map(c => c.innerText))")
    return heads, [r for r in rows if r]


def test_scan_premiums_min_premium_redraws_the_table(page, app_url):
    """bench/browser_filter.py times this change at 940k contracts; here: the table shows the new result."""
    _open(page, app_url)
    settle(page)
    heads, rows = _grid(page)
    column = heads.index("Premium")
    wanted = float(rows[0][column]) + 0.5  # above the first row's premium: that row must go
    page.get_by_text("More filters").click()
    page.get_by_label("Min premium ($ per contract)", exact=True).fill(f"{wanted:.2f}")
    page.get_by_role("button", name="Apply filters").click()
    page.wait_for_function(
        "(old) => { const tds = [...document.querySelectorAll('[data-testid=\"stDataFrame\"] table td')];"
        " return tds.length > 0 && tds.map(c => c.innerText).join('|') !== old; }",
        arg="|".join(cell for row in rows for cell in row),
    )
    settle(page)
    _no_exception(page)
    heads, after = _grid(page)
    assert after and heads.index("Premium") == column
    assert all(float(row[column]) >= wanted for row in after), [row[column] for row in after]
    assert after[0] != rows[0]
    page.wait_for_url(re.compile(r"min_premium="))  # the address says what the screen shows


def _last_run(page) -> int:
    captions = page.locator('[data-testid="stCaptionContainer"]').filter(has_text="Last sync (run ")
    found = [int(m) for text in captions.all_inner_texts() for m in re.findall(r"Last sync \(run (\d+)\)", text)]
    return max(found, default=0)


def test_sync_all_runs_to_completion_with_a_progress_bar(page, app_url):
    _open(page, app_url)
    settle(page)
    previous = _last_run(page)
    page.get_by_role("button", name=re.compile("Sync All")).click()
    page.wait_for_selector('[data-testid="stProgress"]', timeout=30_000)  # queued or running
    _shoot(page, "premiums-syncing")
    finished = re.compile(rf"Last sync \(run {previous + 1}\) completed .*{DEMO_SYMBOLS}/{DEMO_SYMBOLS} symbols")
    page.locator('[data-testid="stCaptionContainer"]').filter(has_text=finished).first.wait_for(timeout=120_000)
    assert page.locator('[data-testid="stProgress"]').count() == 0
    settle(page)
    _no_exception(page)
    _shoot(page, "premiums-after-sync")


def test_every_page_renders(page, app_url):
    _open(page, app_url)
    titles = [a.inner_text().splitlines()[-1].strip() for a in page.locator('[data-testid="stSidebarNavLink"]').all()]
    assert titles[:2] == ["Scan Premiums", "Watchlists"] and titles[-4:] == [
        "History",
        "Overview",
        "Users",
        "Operations",
    ]
    for title in titles[1:]:
        _go(page, title)
        _no_exception(page)
        if title == "Overview":  # its two charts and the movers table are drawn last
            page.get_by_text(re.compile(r"^(Top movers in IV rank|Highest IV rank today)")).wait_for()
            settle(page)
            page.wait_for_timeout(2500)  # the charts draw after the run ends
        _shoot(page, title.lower().replace(" ", "-"), height=1700 if title == "Overview" else None)


def test_symbol_page_found_by_typing_a_ticker(page, app_url):
    """The Symbol page's search in a real browser: type part of a name, pick it, see the chain and the charts."""
    _open(page, app_url)
    _go(page, "Symbol")
    search = page.get_by_role("combobox", name="Search a symbol", exact=True)
    search.click()
    search.fill("Micro")  # the select box filters its options by what is typed: ticker or company name
    page.get_by_role("option", name=re.compile("Microsoft")).first.click()
    settle(page)
    page.wait_for_selector('[data-testid="stDataFrame"]')
    _no_exception(page)
    assert page.locator('[data-testid="stHeading"]').filter(has_text="MSFT").count() > 0
    assert _metric(page, "HV60").endswith("%")  # fourteen weeks of daily closes: 60 returns
    _tab(page, "Smile and term structure")
    page.wait_for_selector('[data-testid="stPlotlyChart"]')
    settle(page)
    _no_exception(page)
    _shoot(page, "symbol", height=1600)


def _choose(page, label: str, option: str | re.Pattern, within=None) -> None:
    """Pick `option` in the selectbox labelled `label` (a combobox, inside `within` if given; its options are a
    listbox drawn at the page's end while it is open)."""
    (within or page).get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option).first.click()
    settle(page)


def _type_into(area, text: str) -> None:
    """Replace a text area's value and commit it (Streamlit takes a text area's value on Ctrl+Enter or blur)."""
    area.fill(text)
    area.press("Control+Enter")
    settle(area.page)


def _tab(page, name: str):
    """Open the tab `name` and return its panel (the hidden panels hold widgets with the same labels)."""
    page.get_by_role("tab", name=name, exact=True).click()
    panel = page.get_by_role("tabpanel", name=name, exact=True)
    panel.wait_for()
    return panel


def test_scanner_from_template_validate_dry_run_and_run_on_a_watchlist(page, app_url):
    """The Scanners page's main flow: template -> validate (and its errors) -> save -> dry run -> queued run ->
    results, with `python -m core.sync` working the scan run (core.scanner.jobs.run_scan_run). Leaves the
    scanners-code and scanners-results screenshots the docs use."""
    _open(page, app_url)  # dashboard.py has run: the sidebar is its navigation
    settle(page)
    _go(page, "Scanners")
    _no_exception(page)

    _choose(page, "Scanner", "+ New scanner from a template")
    _choose(page, "Template", re.compile(r"^RSI Oversold \("))
    page.get_by_role("button", name="Create scanner").click()
    code_tab = _tab(page, "Code")
    settle(page)
    _no_exception(page)
    assert page.get_by_role("combobox", name="Scanner", exact=True).input_value().startswith("RSI Oversold")
    _shoot(page, "scanners-created")

    # The code editor (Ace, in the component's frame) in a monospace font; the flow below types into the plain
    # text area behind the toggle, which a test can fill reliably.
    ace = code_tab.frame_locator("iframe").first.locator(".ace_editor")
    ace.wait_for(timeout=60_000)
    assert "RSI(close" in ace.inner_text()
    assert "monospace" in ace.evaluate("element => getComputedStyle(element).fontFamily")
    code_tab.get_by_text("Plain text editor").click()
    editor = code_tab.get_by_role("textbox", name="Code", exact=True)
    editor.wait_for()
    original = editor.input_value()
    assert "RSI(close" in original
    code_tab.get_by_role("button", name="Validate").click()
    code_tab.get_by_text("The code passes validation.").first.wait_for()
    _no_exception(page)

    # A forbidden import, then a syntax error, both on line 4; each is reported at its line and column.
    lines = original.splitlines()
    for bad_line, message in (
        ("import os", "Line 4, column 1: import of 'os' is not allowed"),
        ("rsi = RSI(close,", "Line 4, column 10: syntax error: '(' was never closed"),
    ):
        _type_into(editor, "\n".join([*lines[:3], bad_line, *lines[3:]]) + "\n")
        code_tab.get_by_role("button", name="Validate").click()
        code_tab.get_by_text(message).first.wait_for()
        settle(page)
        _no_exception(page)
        assert code_tab.get_by_text("The code passes validation.").count() == 0
    _shoot(page, "scanners-invalid", height=1300)

    # The template's code back and saved (runs use the saved code), with a looser oversold level: at 60 the demo's
    # "Tech leaders" has had signals on every day of the synthetic market's history (at 50, ~3 % of days have none).
    _type_into(editor, original)
    params_box = code_tab.get_by_role("textbox", name=re.compile(r"^Parameters"))
    schema = json.loads(params_box.input_value())
    schema["oversold_level"]["default"] = 60.0
    _type_into(params_box, json.dumps(schema, indent=2))
    code_tab.get_by_role("button", name="Validate").click()
    code_tab.get_by_text("The code passes validation.").first.wait_for()
    assert code_tab.get_by_text(re.compile(r"^Line \d+, column \d+:")).count() == 0
    code_tab.get_by_role("button", name="Save").click()
    code_tab.get_by_text("Saved.", exact=True).first.wait_for()
    settle(page)
    _no_exception(page)

    # A dry run on one demo symbol shows the scanner's own variables (with the edited level) and its inputs.
    dry_tab = _tab(page, "Dry run")
    assert dry_tab.get_by_role("textbox", name="Symbol", exact=True).input_value() == "AAPL"
    dry_tab.get_by_role("button", name="Dry run", exact=True).click()
    dry_tab.get_by_text("Your variables").first.wait_for(timeout=120_000)
    settle(page)
    _no_exception(page)
    assert dry_tab.get_by_text(re.compile(r"^AAPL: (BUY|no signal)$")).count() == 1
    shown = "\n".join(dry_tab.locator('[data-testid="stJson"]').all_inner_texts())
    for value in (
        r'"symbol"\s*:\s*"AAPL"',
        r'"rsi_period"\s*:',
        r'"period"\s*:\s*14\b',
        r'"level"\s*:\s*60\b',
        r'"rsi"\s*:',
        r'"PositionalSeries"',
        r'"close"\s*:',
        r'"volume"\s*:',
    ):
        assert re.search(value, shown), f"{value} is not in the dry run's namespace:\n{shown}"
    _shoot(page, "scanners-dry-run", height=1700)

    # A run on a watchlist goes through the queue; the sidecar works it while the progress bar follows.
    run_tab = _tab(page, "Run")
    _choose(page, "Watchlist", re.compile(r"^Tech leaders \("), within=run_tab)
    size = int(
        re.search(
            r"\((\d+) symbols\)", run_tab.get_by_role("combobox", name="Watchlist", exact=True).input_value()
        ).group(1)
    )
    run_tab.get_by_role("button", name="Run on watchlist").click()
    bar = run_tab.locator('[data-testid="stProgress"]')
    bar.first.wait_for()  # queued, running or (12 symbols go fast) already completed
    done = re.compile(rf"^Run \d+ completed: {size}/{size} symbols, 0 failed$")
    bar.filter(has_text=done).first.wait_for(timeout=180_000)
    settle(page)
    assert bar.count() == 1
    _no_exception(page)
    _shoot(page, "scanners-run")

    # The results of that run, without reloading the page.
    results_tab = _tab(page, "Results")
    summary = results_tab.get_by_text(re.compile(rf"^run \d+ completed: {size} symbols scanned, \d+ signals?")).first
    summary.wait_for(timeout=30_000)
    signals = int(re.search(r"(\d+) signals", summary.inner_text()).group(1))
    assert signals > 0, summary.inner_text()
    results_tab.locator('[data-testid="stDataFrame"]').first.wait_for()
    assert results_tab.get_by_role("button", name="Export CSV").is_enabled()
    _no_exception(page)
    _shoot(page, "scanners-results")

    # What the docs show: the scanner's code, validated, after its run.
    code_tab = _tab(page, "Code")
    code_tab.get_by_role("button", name="Validate").click()
    code_tab.get_by_text("The code passes validation.").first.wait_for()
    settle(page)
    _no_exception(page)
    for box in (code_tab.get_by_role("textbox", name="Code", exact=True), params_box):
        box.evaluate("area => { area.scrollTop = 0; }")  # editing left them scrolled to their ends
    _shoot(page, "scanners-code", height=1100)


def test_screenshots_for_the_docs(page, app_url):
    """Copy one screenshot per page to docs/screenshots (only when asked: WHEELHOUSE_UPDATE_SCREENSHOTS=1)."""
    if os.environ.get("WHEELHOUSE_UPDATE_SCREENSHOTS") != "1":
        pytest.skip("set WHEELHOUSE_UPDATE_SCREENSHOTS=1 to refresh docs/screenshots")
    from PIL import Image  # Streamlit depends on Pillow

    stale = [
        name
        for name in DOC_SHOTS
        if not (ARTIFACTS / f"{name}.png").exists() or (ARTIFACTS / f"{name}.png").stat().st_mtime < STARTED
    ]
    assert not stale, f"not taken by this run (run the whole module, every test passing): {stale}"
    target = REPO_ROOT / "docs" / "screenshots"
    target.mkdir(parents=True, exist_ok=True)
    for source, name in DOC_SHOTS.items():
        with Image.open(ARTIFACTS / f"{source}.png") as image:  # a 256-colour palette keeps each around 100 KB
            image.convert("RGB").quantize(colors=256).save(target / f"{name}.png", optimize=True)

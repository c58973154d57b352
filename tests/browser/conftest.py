"""The browser tests' Chromium (Debian's, driven by Playwright), and on a failed test a screenshot of what it
showed (tests/artifacts/FAILED-<test>.png)."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from tests.conftest import IN_CI, REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def chromium() -> str:
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail(f"CI=true but Chromium is missing at {CHROMIUM} (apt-get install chromium)")
        pytest.skip(f"no Chromium at {CHROMIUM}: install Debian's chromium package to run the browser tests")
    pytest.importorskip("playwright.sync_api")
    return str(CHROMIUM)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    page = item.funcargs.get("page") if hasattr(item, "funcargs") else None
    if report.when == "call" and report.failed and page is not None:
        artifacts = REPO_ROOT / "tests" / "artifacts"
        artifacts.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):  # the browser may be gone; the report is what matters
            page.screenshot(path=str(artifacts / f"FAILED-{item.name}.png"))

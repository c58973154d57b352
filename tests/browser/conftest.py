"""On a failed browser test, keep a screenshot of what the browser showed (tests/artifacts/FAILED-<test>.png)."""

from __future__ import annotations

import contextlib

import pytest

from tests.conftest import REPO_ROOT


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

"""The browser tests' Chromium (Debian's, driven by Playwright), and on a failed test a screenshot of what it
showed (tests/artifacts/FAILED-<test>.png)."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import IN_CI, REPO_ROOT

ARTIFACTS = REPO_ROOT / "tests" / "artifacts"
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


def start_dashboard(env: dict[str, str], log, *extra: str, port: int | None = None) -> tuple[subprocess.Popen, str]:
    """`streamlit run dashboard.py` headless on 127.0.0.1 (a free port unless given), output to `log`: (process,
    its URL). Wait with `wait_http(url + "/_stcore/health", process)`; `extra` adds options (--secrets.files)."""
    port = port or free_port()
    options = ["--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true"]
    options += ["--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none", *extra]
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", *options],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    return process, f"http://127.0.0.1:{port}"


def free_port() -> int:
    """A TCP port nobody listens on now (the app under test binds it next)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_http(url: str, process: subprocess.Popen, timeout: float = 60.0) -> None:
    """Wait until `url` answers 200, or fail when the process dies or the time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the app exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


def stop_process(process: subprocess.Popen) -> None:
    """Terminate, then kill if it will not stop."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def settle(page) -> None:
    """Wait until Streamlit has finished the current run (no 'running' indicator) and the page is drawn."""
    page.wait_for_selector('[data-testid="stApp"]')
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"]')")
    page.wait_for_timeout(600)

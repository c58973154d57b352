"""The dashboard's network defaults on a running `streamlit run dashboard.py`: it listens on 127.0.0.1 only,
and refuses a WebSocket upgrade whose Host header names another site (DNS rebinding), while the same request
with the app's own host name is accepted."""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def _running_dashboard(database: Path, *flags: str):
    """`streamlit run dashboard.py` on a free port with only `flags` beyond the config file; yields the port."""
    from core.db import migrate

    url = f"sqlite:///{database}"
    migrate.upgrade(url)
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url}
    env.pop("STREAMLIT_SERVER_ADDRESS", None)
    env.pop("STREAMLIT_SERVER_ALLOWED_HOSTS", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "dashboard.py", "--server.port", str(port), *flags],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the dashboard did not start") from None
                time.sleep(0.3)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=15)


@pytest.fixture(scope="module")
def dashboard(tmp_path_factory):
    """A dashboard started the way `make run` starts it, minus --server.address: the config file decides."""
    with _running_dashboard(tmp_path_factory.mktemp("network") / "wheelhouse.db") as port:
        yield port


def _upgrade(port: int, host: str, origin: str | None = None) -> str:
    """Send a WebSocket handshake for the app's stream with this Host header; return the status line."""
    key = base64.b64encode(secrets.token_bytes(16)).decode()
    lines = [
        "GET /_stcore/stream HTTP/1.1",
        f"Host: {host}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: streamlit",
    ]
    if origin:
        lines.append(f"Origin: {origin}")
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        return sock.recv(4096).decode("latin-1").split("\r\n", 1)[0]


def test_a_foreign_host_header_is_refused(dashboard):
    assert " 101 " in _upgrade(dashboard, f"127.0.0.1:{dashboard}")  # the app's own name: accepted
    assert " 101 " in _upgrade(dashboard, f"localhost:{dashboard}", origin=f"http://localhost:{dashboard}")
    for foreign in (f"evil.example:{dashboard}", "rebound.attacker.test", f"127.0.0.1.nip.io:{dashboard}"):
        status = _upgrade(dashboard, foreign, origin=f"http://{foreign}")
        assert " 101 " not in status, (foreign, status)
        assert status.startswith("HTTP/1.1 4"), status


def test_it_listens_on_loopback_only(dashboard):
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not os.path.exists(table):
            pytest.skip("needs Linux's /proc/net/tcp to see which address a socket is bound to")
        with open(table) as rows:
            for row in list(rows)[1:]:
                local, state = row.split()[1], row.split()[3]
                address, port = local.rsplit(":", 1)
                if state == "0A" and int(port, 16) == dashboard:  # 0A: LISTEN
                    listening.add(address)
    assert listening == {"0100007F"}, listening  # 127.0.0.1 (little-endian hex), not 0.0.0.0 or ::


def test_a_public_name_is_added_the_way_make_run_adds_it(tmp_path):
    flags = ("--server.allowedHosts", "localhost", "--server.allowedHosts", "wheelhouse.example")  # ALLOWED_HOSTS
    with _running_dashboard(tmp_path / "wheelhouse.db", *flags) as port:
        assert " 101 " in _upgrade(port, "wheelhouse.example", origin="https://wheelhouse.example")
        assert " 101 " not in _upgrade(port, "evil.example", origin="https://evil.example")

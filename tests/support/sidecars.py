"""Helpers for tests of the sidecar: the job kinds of an in-process one, a real `python -m core.sync` process,
waiting for the database to say something, and a TCP proxy.

`TcpProxy` forwards 127.0.0.1:<port> to the PostgreSQL server with plain threads; `cut()` closes the listener and
every forwarded connection (the sidecar sees the server vanish), `restore()` listens on the same port again. The
machine's shared server is never touched.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from core.config import get_settings
from core.db.models import JobItem, JobRun, Stock, StockPremium
from core.jobs.kinds import JobKind, JobKinds
from core.providers import get_provider
from core.sync.kind import chain_sync_kind
from tests.conftest import REPO_ROOT

AS_OF = "2026-11-20"
FAST = {
    "SIDECAR_POLL_SECONDS": "0.2",
    "SIDECAR_HEARTBEAT_SECONDS": "0.5",
    "SIDECAR_LEADER_RETRY_SECONDS": "0.5",
    "SIDECAR_SCHEDULE_REFRESH_SECONDS": "0.5",
    "SIDECAR_BACKOFF_MAX_SECONDS": "1",
    "SYNC_INTERVAL_MINUTES": "600",
}


def job_kinds(*extra: JobKind, provider_factory=get_provider) -> JobKinds:
    """Chain sync as core.sidecar registers it, plus `extra` kinds: no scanner runs unless a test adds them."""
    settings = get_settings()
    sync = chain_sync_kind(
        interval_minutes=settings.sync_interval_minutes,
        market_hours_only=settings.sync_market_hours_only,
        exchange=settings.sidecar_market_exchange,
        provider_factory=provider_factory,
    )
    return JobKinds([sync, *extra])


class Sidecar:
    """A `python -m core.sync` subprocess whose log goes to a file."""

    def __init__(self, url: str, *args: str, log_path: Path, env: dict[str, str] | None = None):
        self.log_path = log_path
        self._log = open(log_path, "w")  # noqa: SIM115 - closed in wait()/kill()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "core.sync", "--database-url", url, *args],
            cwd=REPO_ROOT,
            env={**os.environ, **FAST, **(env or {})},
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text()

    def wait(self, timeout: float = 60) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            self._log.close()

    def terminate(self, timeout: float = 30) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.wait(timeout)

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.proc.pid, signal.SIGKILL)
        self.wait(10)


def wait_until(predicate: Callable[[], object], timeout: float = 30, interval: float = 0.05, what: str = "") -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")


def add_stocks(engine, symbols: list[str]) -> None:
    with engine.begin() as conn:
        conn.execute(Stock.__table__.insert(), [{"symbol": s} for s in symbols])


def run_state(engine, run_id: int):
    with engine.connect() as conn:
        return conn.execute(
            select(JobRun.status, JobRun.total_items, JobRun.done_items, JobRun.failed_items, JobRun.contracts).where(
                JobRun.id == run_id
            )
        ).one()


def item_states(engine, run_id: int) -> list[tuple[str, int]]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(JobItem.status, JobItem.attempts).where(JobItem.run_id == run_id).order_by(JobItem.id)
        )
        return [tuple(r) for r in rows]


def contracts(engine) -> list[tuple]:
    """Every stored contract with its quote, in key order (what a clean run must reproduce)."""
    p = StockPremium
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(
                    p.symbol,
                    p.expiration_date,
                    p.option_type,
                    p.strike_price,
                    p.bid,
                    p.ask,
                    p.last,
                    p.volume,
                    p.open_interest,
                    p.implied_volatility,
                    p.delta,
                    p.quote_time,
                ).order_by(p.symbol, p.expiration_date, p.option_type, p.strike_price)
            )
        ]


def count(engine, model, *where) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def clear_market_data(engine) -> None:
    with engine.begin() as conn:
        for table in ("stock_premiums", "stock_data", "symbol_daily_history", "quarantine_counts"):
            conn.execute(text(f"DELETE FROM {table}"))


class TcpProxy:
    """127.0.0.1:<port> -> target, in threads; cut() and restore() make the database vanish and return."""

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = 0
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def url_for(self, url: str) -> str:
        return make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def start(self) -> TcpProxy:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        with self._lock:
            self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                if listener is not self._listener:  # cut while this one was being accepted: drop it
                    for s in (client, upstream):
                        s.close()
                    return
                self._sockets.update((client, upstream))
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def cut(self) -> None:
        """Refuse new connections and drop every open one."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            listener.close()
        for s in sockets:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def restore(self) -> None:
        self.start()

    def stop(self) -> None:
        self.cut()

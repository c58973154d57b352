"""Helpers the benchmarks share: throwaway databases, peak memory, medians, and a header line."""

from __future__ import annotations

import datetime as dt
import os
import resource
import statistics
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.db import migrate
from core.db.engine import create_db_engine

PG_SERVER = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")


def header(title: str) -> None:
    print(f"# {title}")
    print(f"# date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC   command: python {' '.join(sys.argv)}")
    print(f"# machine: {os.cpu_count()} cores; python {sys.version.split()[0]}")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def median(values: list[float]) -> float:
    return statistics.median(values)


@contextmanager
def scratch_database(backend: str) -> Iterator[str]:
    """A migrated, empty database for one benchmark run, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{folder}/bench.db"
            migrate.upgrade(url)
            yield url
        return
    name = f"wh_bench_{uuid.uuid4().hex[:8]}"
    admin = create_db_engine(PG_SERVER)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        migrate.upgrade(url)
        yield url
    finally:
        from core.db.engine import dispose_engines

        dispose_engines()
        with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

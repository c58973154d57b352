"""The command line: db upgrade/status on both backends, --help, and one clear line for bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import REPO_ROOT
from tests.support.cli import run_cli, run_cli_process


@pytest.mark.slow
def test_help_lists_commands():
    result = run_cli_process("--help")  # the real entry point, `python -m core`
    assert result.returncode == 0
    assert "db" in result.stdout


def test_db_upgrade_then_status_json(backend, empty_database_url):
    url = empty_database_url(backend)
    up = run_cli("db", "upgrade", "--database-url", url)
    assert up.returncode == 0, up.stderr
    assert "is at revision" in up.stdout

    status = run_cli("db", "status", "--format", "json", "--database-url", url)
    assert status.returncode == 0, status.stderr
    doc = json.loads(status.stdout)  # exactly one JSON document, nothing else on stdout
    assert doc["revision"] is not None
    assert doc["tables"]["stock_premiums"] == 0
    assert "scanners" in doc["tables"]


def test_database_url_from_environment(tmp_path):
    url = f"sqlite:///{tmp_path / 'env.db'}"
    result = run_cli("db", "upgrade", env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "env.db").exists()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("not a url", "malformed database URL"),
        ("mysql://u@h/d", "unsupported database"),
        ("postgresql+psycopg2://postgres@127.0.0.1:1/none", "cannot reach database"),
    ],
)
def test_bad_database_url_gives_one_clear_line(url, expected):
    result = run_cli("db", "upgrade", "--database-url", url)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and expected in lines[0]


@pytest.mark.slow
def test_malformed_database_url_in_environment_is_one_line():
    result = run_cli_process("db", "status", env={"DATABASE_URL": "::garbage::"})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "DATABASE_URL" in result.stderr or "malformed" in result.stderr


def test_help_speaks_to_users_not_to_our_design_notes():
    result = run_cli("--help")
    assert result.returncode == 0 and "DESIGN" not in result.stdout
    assert "command line" in result.stdout


def _run_into_closed_pipe(*args: str) -> subprocess.CompletedProcess:
    """`python -m core ARGS | head -0`, deterministically: stdout is a pipe whose reader has already gone."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "core", *args],
            cwd=REPO_ROOT,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)


@pytest.mark.slow
@pytest.mark.parametrize("args", [("db", "status"), ("--help",)])
def test_a_reader_that_leaves_early_gets_no_traceback(tmp_path, args):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    assert run_cli("db", "upgrade", "--database-url", url).returncode == 0
    extra = ("--database-url", url) if args[0] == "db" else ()
    result = _run_into_closed_pipe(*args, *extra)
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr, result.stderr
    assert result.stderr == ""
    assert result.returncode in (0, 141)  # --help exits 0 after argparse has printed; a command reports SIGPIPE

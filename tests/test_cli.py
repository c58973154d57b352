"""The command line: db upgrade/status on both backends, --help, and one clear line for bad input."""

from __future__ import annotations

import json
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


@pytest.mark.slow
@pytest.mark.parametrize("command", [["--help"], ["db", "status"], ["db", "status", "--format", "json"]])
def test_a_reader_that_goes_away_ends_the_command_quietly(command, migrated_urls):
    """`python -m core db status | head`: the reader is gone before the command writes (its end of the pipe is
    closed at once), so every write fails; the command exits 141 (128 + SIGPIPE) with nothing on stderr."""
    url = migrated_urls("sqlite")
    process = subprocess.Popen(
        [sys.executable, "-m", "core", *command, *([] if command == ["--help"] else ["--database-url", url])],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    process.stdout.close()
    stderr = process.stderr.read().decode()
    # argparse swallows the error of --help's own write (and exits 0); every other write is ours
    assert process.wait(timeout=120) == (0 if command == ["--help"] else 141), stderr
    assert stderr == ""

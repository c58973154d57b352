"""Run `python -m core ...` as a script or an operator would: in this process (fast), or as a real process.

`run_cli` calls `core.cli.main` with the arguments, the given environment variables and stdin, and captures what
it writes, so a test checks exactly what a shell would see (exit status, one JSON document on stdout, one error
line on stderr) without paying a Python start-up per command. `run_cli_process` starts a real interpreter, for the
few tests about the process itself (the entry point, a broken pipe, the exit status a shell sees).
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator

from tests.conftest import REPO_ROOT


@contextlib.contextmanager
def _environment(env: dict[str, str] | None) -> Iterator[None]:
    from core.config import get_settings

    saved = {name: os.environ.get(name) for name in env or {}}
    os.environ.update(env or {})
    get_settings.cache_clear()
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


def run_cli(*args: str, env: dict[str, str] | None = None, stdin: str = "") -> subprocess.CompletedProcess:
    """`python -m core ARGS` in this process: (returncode, stdout, stderr) as a CompletedProcess."""
    from core.cli import main

    out, err = io.StringIO(), io.StringIO()
    saved_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        with _environment(env), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(args))
            except SystemExit as exit_:  # argparse: --help (0) and usage errors (2)
                code = exit_.code if isinstance(exit_.code, int) else 1
    finally:
        sys.stdin = saved_stdin
    return subprocess.CompletedProcess(["python", "-m", "core", *args], code, out.getvalue(), err.getvalue())


def run_cli_process(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`python -m core ARGS` as a separate process."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "core", *args], cwd=REPO_ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )

"""Run `python -m core ...` in a subprocess, as a script or an operator would."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO_ROOT


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "core", *args], cwd=REPO_ROOT, env=full_env, capture_output=True, text=True, timeout=120
    )

"""How the sandbox worker is launched: the bubblewrap command, its filesystem, and whether it works here.

The worker is started by bwrap in new user, pid, network, IPC and UTS namespaces, on a root filesystem that
holds only the Python installation (its own site-packages hidden), the packages a scanner may import and the
system libraries, all read-only; `core/scanner/box/` goes in as a zip through a memfd. docs/sandbox.md.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

BOX_DIR = Path(__file__).resolve().parent / "box"
SITE_IN_SANDBOX = "/sandbox/site"
BOX_IN_SANDBOX = "/sandbox/box.zip"
# The packages a scanner can import, and what they import; `*.libs` hold their bundled shared libraries.
PACKAGES = (
    "numpy",
    "numpy.libs",
    "pandas",
    "pandas.libs",
    "talib",
    "ta_lib.libs",
    "dateutil",
    "six.py",
    "pytz",
    "tzdata",
    "pyseccomp.py",  # the worker's seccomp filters (box/seccomp.py); libseccomp.so.2 itself is in /usr/lib
)
INNER_ENV = {
    "PATH": "/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "HOME": "/nonexistent",
}


@dataclass(frozen=True)
class SandboxStatus:
    confined: bool  # bubblewrap namespaces work here
    mode: str  # required | degraded
    reason: str | None = None

    @property
    def usable(self) -> bool:
        return self.confined or self.mode == "degraded"

    def describe(self) -> str:
        if self.confined:
            return "sandboxed: bubblewrap namespaces, rlimits and seccomp"
        if self.mode == "degraded":
            return f"DEGRADED: rlimits and seccomp only, no namespaces ({self.reason})"
        return f"unavailable: {self.reason} (SCANNER_SANDBOX=required)"


def sandbox_mode() -> str:
    from core.config import get_settings

    return get_settings().scanner_sandbox


@lru_cache(maxsize=1)
def _probe() -> tuple[bool, str | None]:
    bwrap = shutil.which("bwrap") or ("/usr/bin/bwrap" if os.path.exists("/usr/bin/bwrap") else None)
    if bwrap is None:
        return False, "bubblewrap (bwrap) is not installed"
    command = [bwrap, *_namespace_args(), *_filesystem_args(), _python()[0], "-I", "-S", "-c", "pass"]
    try:
        done = subprocess.run(command, env={}, capture_output=True, timeout=20, cwd="/", check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"bubblewrap did not start: {exc}"
    if done.returncode != 0:
        reason = done.stderr.decode(errors="replace").strip().splitlines()
        return False, f"bubblewrap cannot create the sandbox: {reason[-1] if reason else done.returncode}"
    return True, None


def sandbox_status(mode: str | None = None) -> SandboxStatus:
    """Whether scanners can run here, and how confined (checked once per process)."""
    confined, reason = _probe()
    return SandboxStatus(confined=confined, mode=mode or sandbox_mode(), reason=reason)


def _python() -> tuple[str, str]:
    """The real interpreter (not the venv's symlink) and its installation prefix."""
    return os.path.realpath(sys.executable), os.path.realpath(sys.base_prefix)


def _site_dir() -> Path:
    return Path(np.__file__).resolve().parent.parent


def _namespace_args() -> list[str]:
    return [
        "--unshare-user",
        "--unshare-ipc",
        "--unshare-pid",
        "--unshare-net",
        "--unshare-uts",
        "--unshare-cgroup-try",
        "--disable-userns",
        "--die-with-parent",
        "--new-session",
        "--cap-drop",
        "ALL",
        "--uid",
        "65534",
        "--gid",
        "65534",
        "--clearenv",
        "--chdir",
        "/",
    ]


def _filesystem_args() -> list[str]:
    args: list[str] = []
    for path in ("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/lib32", "/usr/lib32"):
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    executable, prefix = _python()
    if prefix in ("/", "/usr"):  # a system Python: its library sits in /usr/lib already
        args += ["--ro-bind", executable, executable]
    else:
        args += ["--ro-bind", prefix, prefix]
    # The installation's own site-packages (everything pip put there: in an image without a venv, every
    # dependency of the app) is hidden under an empty read-only tmpfs; scanners get only PACKAGES, below.
    if prefix not in ("/", "/usr"):
        for hidden in sorted(Path(prefix).glob("lib/python3*/site-packages")):
            args += ["--tmpfs", str(hidden), "--remount-ro", str(hidden)]
    site = _site_dir()
    for name in PACKAGES:
        if (site / name).exists():
            args += ["--ro-bind", str(site / name), f"{SITE_IN_SANDBOX}/{name}"]
    # A private, empty, read-only /dev: no device node of the host (bwrap's --dev binds the host's /dev/null,
    # /dev/zero, ... writable, so their timestamps and modes could be changed from inside). The worker needs
    # none: a child's stdin and stdout are pipes that lead nowhere.
    return [*args, "--tmpfs", "/dev", "--remount-ro", "/dev"]


@lru_cache(maxsize=1)
def box_archive() -> bytes:
    """The `box` package as a zip: handed to the sandbox read-only, imported with zipimport."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(BOX_DIR.glob("*.py")):
            archive.writestr(f"box/{path.name}", path.read_text())
    return buffer.getvalue()


def _boot(paths: list[str]) -> str:
    return f"import sys; sys.path[:0] = {paths!r}; from box.worker import main; main()"


def boot_command(memfd: int, confined: bool) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that start a worker reading the box zip from `memfd`."""
    executable, _ = _python()
    if not confined:
        boot = _boot([f"/proc/self/fd/{memfd}", str(_site_dir())])
        return [executable, "-I", "-S", "-B", "-c", boot], dict(INNER_ENV)
    bwrap = shutil.which("bwrap") or "/usr/bin/bwrap"
    command = [bwrap, *_namespace_args(), *_filesystem_args(), "--ro-bind-data", str(memfd), BOX_IN_SANDBOX]
    command += ["--remount-ro", "/"]  # the root tmpfs itself: nothing can be created anywhere
    for key, value in INNER_ENV.items():
        command += ["--setenv", key, value]
    command += [executable, "-I", "-S", "-B", "-c", _boot([BOX_IN_SANDBOX, SITE_IN_SANDBOX])]
    return command, {}  # bwrap starts from nothing: its /proc/PID/environ holds no secret


def kill_group(proc: subprocess.Popen | None) -> None:
    """Kill bwrap's whole process group; its pid namespace takes every sandboxed process with it."""
    if proc is None or proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, 9)
    except (ProcessLookupError, PermissionError):
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=5)


def silence(proc: subprocess.Popen | None) -> str:
    """What a worker that sends nothing is doing: exited, stopped by a signal, or just not answering."""
    if proc is None or proc.poll() is not None:
        return "exited"
    try:
        with open(f"/proc/{proc.pid}/stat") as stat:
            state = stat.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        state = ""
    return "was stopped (SIGSTOP) and gave no answer" if state in ("T", "t") else "gave no answer"

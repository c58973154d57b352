"""Seccomp is an allow-list (box/seccomp.py): every system call the real scanners make is on it, every other one
is refused (or kills), whatever its number -- including calls newer than the list -- and the calls allowed with
their arguments checked refuse the dangerous arguments. Run against both sandbox modes."""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import subprocess
import sys

import pytest

from core.scanner.box import seccomp
from core.scanner.sandbox import Limits, Sandbox
from tests.conftest import IN_CI, REPO_ROOT
from tests.scanner.conftest import PRELUDE, item

pytestmark = pytest.mark.slow  # every test here starts the sandbox

LIBC = "C = IMP('ctypes').CDLL(None, use_errno=True)\nGET = IMP('ctypes').get_errno\n"
HIGHEST_SYSCALL = 470  # x86_64 and aarch64 number their calls below this (Linux 6.18 stops at 469)
# uretprobe (335) and uprobe (336) pass through seccomp by the kernel's design (Linux 6.11+ and 6.16+): outside
# a uprobe trampoline the first kills the caller with SIGILL and the second fails with ENXIO; nothing else.
PASSTHROUGH = {335, 336}


def _errno_of(box: Sandbox, call: str, params: dict | None = None) -> int | str:
    code = PRELUDE + LIBC + f"r = {call}\nsignal = True\nmetrics = {{'r': int(r), 'errno': GET()}}"
    outcome = box.run(code, [item()], params or {}, check=False)[0]
    if outcome.error:
        return outcome.error
    return 0 if outcome.result["metrics"]["r"] >= 0 else outcome.result["metrics"]["errno"]


def test_the_traced_calls_are_all_allowed():
    """Re-derive the lists (tests/scanner/trace_syscalls.py): nothing the templates and contract scanners call is
    missing from them. Needs strace."""
    if shutil.which("strace") is None:
        if IN_CI:
            pytest.fail("strace is missing: the Makefile's TEST_APT installs it", pytrace=False)
        pytest.skip("strace is not installed")
    done = subprocess.run(
        [sys.executable, "-m", "tests.scanner.trace_syscalls"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout)
    assert report["child_missing"] == [] and report["worker_missing"] == []
    assert {"read", "write", "mmap", "openat"} <= set(report["child"])  # a trace that saw the scanners run


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the sweep uses x86_64 syscall numbers")
def test_every_call_off_the_list_is_refused(either_mode):
    """The class: any number not allowed -- known to libseccomp or not, old or new -- fails with EPERM."""
    box, _, _ = either_mode
    sc = seccomp.library()
    arch = sc.system_arch()
    allowed = set(seccomp.CHILD_ALLOW) | seccomp.ARGUMENT_CHECKED | set(seccomp.KILL) | {"rt_sigreturn"}
    numbers = []
    for number in range(HIGHEST_SYSCALL):
        try:
            name = sc.resolve_syscall(arch, number).decode()
        except (OSError, ValueError, AttributeError):
            name = ""
        if name not in allowed and number not in PASSTHROUGH:
            numbers.append(number)
    assert len(numbers) > 250
    code = (
        PRELUDE
        + LIBC
        + (
            "bad = []\nfor n in params['numbers']:\n    r = C.syscall(n, 0, 0, 0, 0, 0, 0)\n"
            "    if r != -1 or GET() != 1:\n        bad.append(n)\nsignal = True\nmetrics = {'bad': str(bad)}"
        )
    )
    outcome = box.run(code, [item()], {"numbers": numbers}, check=False)[0]
    assert outcome.error is None, outcome.error
    assert outcome.result["metrics"]["bad"] == "[]"


@pytest.mark.parametrize("name", ["ptrace", "unshare", "mount", "bpf", "io_uring_setup", "keyctl", "execve"])
def test_attack_only_calls_kill_the_child(either_mode, name):
    box, _, _ = either_mode
    number = seccomp.library().resolve_syscall(seccomp.library().system_arch(), name)
    assert "forbidden system call" in str(_errno_of(box, f"C.syscall({number}, 0, 0, 0, 0, 0, 0)"))


WORKER_PID = "OS['getppid']()"  # the worker: another process, the one a scanner would most like to stop
CHECKED = [
    ("kill_parent", f"C.kill({WORKER_PID}, 19)", 1),
    ("kill_group", "C.kill(0, 19)", 1),
    ("kill_all", "C.kill(-1, 19)", 1),
    ("tgkill_parent", f"C.syscall(234, {WORKER_PID}, {WORKER_PID}, 19)", 1),
    ("tkill_parent", f"C.syscall(200, {WORKER_PID}, 19)", 1),
    ("rt_sigqueueinfo_parent", f"C.syscall(129, {WORKER_PID}, 19, 0)", 1),
    ("rt_tgsigqueueinfo_parent", f"C.syscall(297, {WORKER_PID}, {WORKER_PID}, 19, 0)", 1),
    ("pidfd_open_parent", f"C.syscall(434, {WORKER_PID}, 0)", 1),
    ("prlimit_other", f"C.syscall(302, {WORKER_PID}, 7, 0, 0)", 1),
    ("prlimit_raise_own", "C.syscall(302, 0, 7, IMP('ctypes').byref((IMP('ctypes').c_ulong * 2)(1, 1)), 0)", 1),
    ("setpriority", "C.setpriority(0, 0, 19)", 1),
    ("sched_setaffinity", "C.syscall(203, 0, 8, IMP('ctypes').byref(IMP('ctypes').c_ulong(1)))", 1),
    ("ioctl_tiocsti", "C.ioctl(0, 0x5412, IMP('ctypes').c_char_p(b'x'))", 1),
    ("fcntl_setown", f"C.fcntl(1, 8, {WORKER_PID})", 1),
    ("open_for_writing", "C.open(b'/tmp/x', 0o101, 0o644)", 13),
    ("chmod", "C.chmod(b'/', 0o777)", 1),
    ("utimensat", "C.utimensat(-100, b'/', None, 0)", 1),
    ("setxattr", "C.setxattr(b'/', b'user.x', b'1', 1, 0)", 1),
    ("fchmodat2", "C.syscall(452, -100, b'/', 0o777, 0)", 1),
    ("file_setattr", "C.syscall(469, -100, b'/', 0, 0, 0)", 1),
    ("open_tree_attr", "C.syscall(467, -100, b'/', 0, 0, 0)", 1),
    ("memfd_create", "C.memfd_create(b'x', 0)", 1),
    ("socket", "C.socket(2, 1, 0)", 1),
]


@pytest.mark.skipif(platform.machine() != "x86_64", reason="x86_64 syscall numbers")
@pytest.mark.parametrize(("case", "call", "expected"), CHECKED, ids=[c[0] for c in CHECKED])
def test_dangerous_arguments_are_refused(either_mode, case, call, expected):
    box, _, _ = either_mode
    assert _errno_of(box, call) == expected
    assert box.run("signal = True", [item()])[0].result is not None, "the worker was not stopped"


def test_signals_to_the_child_itself_still_work(either_mode):
    box, _, _ = either_mode
    assert _errno_of(box, "C.kill(OS['getpid'](), 0)") == 0
    assert _errno_of(box, "C.syscall(234, OS['getpid'](), OS['getpid'](), 0)") == 0


def test_an_unrelated_process_of_the_same_user_cannot_be_signalled(either_mode):
    box, _, _ = either_mode
    victim = subprocess.Popen(["sleep", "60"])
    try:
        code = PRELUDE + f"OS['kill']({victim.pid}, {int(signal.SIGKILL)})"
        outcome = box.run(code, [item()], check=False)[0]
        assert "Operation not permitted" in (outcome.error or "")
        assert victim.poll() is None
    finally:
        victim.kill()
        victim.wait()


def test_a_child_that_stops_itself_is_replaced():
    """SIGSTOP to itself is allowed (it is its own business); the worker's deadline kills it and goes on."""
    limits = Limits(wall_per_symbol=1.0, cpu_base=2, cpu_per_symbol=1, max_kills=3)
    with Sandbox("required" if os.path.exists("/usr/bin/bwrap") else "degraded", limits=limits) as box:
        code = PRELUDE + "OS['kill'](OS['getpid'](), 19)"
        outcome = box.run(code, [item()], check=False)[0]
        assert "wall-time limit" in outcome.error
        assert box.run("signal = True", [item()])[0].result is not None

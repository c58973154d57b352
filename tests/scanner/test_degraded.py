"""Degraded mode (no bubblewrap) is still a boundary: no capability, a fixed minimal environment, Landlock around
the filesystem (no host file, no /proc, no /dev), no signal to another process -- and where the host cannot give
Landlock or seccomp it refuses to start and says why. Attacks here run with validation switched off."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
import sqlalchemy

from tests.conftest import REPO_ROOT
from tests.scanner.conftest import CANARY_TEXT, PRELUDE, SECRET, item

pytestmark = pytest.mark.slow  # every test here starts the sandbox

READS = [
    ("canary", "x = B.open(params['canary']).read()"),
    ("canary_folder", "x = OS['listdir'](params['folder'])"),
    ("app_config", "x = B.open(params['repo'] + '/core/config.py').read()"),
    ("repository", "x = OS['listdir'](params['repo'])"),
    ("etc_passwd", "x = B.open('/etc/passwd').read()"),
    ("proc_1_environ", "x = B.open('/proc/1/environ').read()"),
    ("proc_self_environ", "x = B.open('/proc/self/environ').read()"),
    ("host_process_maps", "x = B.open('/proc/' + str(params['host_pid']) + '/maps').read()"),
    ("dev_zero", "x = B.open('/dev/zero', 'rb').read(16)"),
    ("tmp", "x = OS['listdir']('/tmp')"),
    ("home", "x = OS['listdir']('/root')"),
    ("app_packages", "x = B.open(params['sqlalchemy']).read()"),
]


@pytest.mark.parametrize(("case", "code"), READS, ids=[r[0] for r in READS])
def test_host_files_are_out_of_reach(hostile_degraded, case, code):
    box, folder, canary = hostile_degraded
    params = {
        "canary": str(canary),
        "folder": str(folder),
        "repo": str(REPO_ROOT),
        "host_pid": os.getpid(),
        "sqlalchemy": sqlalchemy.__file__,
    }
    outcome = box.run(PRELUDE + code + "\nsignal = True\nmetrics = {'x': str(x)}", [item()], params, check=False)[0]
    assert outcome.result is None and "Permission denied" in outcome.error, outcome
    assert CANARY_TEXT not in repr(outcome) and SECRET not in repr(outcome)


def test_every_capability_is_gone_in_both_modes(either_mode):
    box, _, _ = either_mode
    assert box.facts["privileges"] == {
        "effective": 0,
        "permitted": 0,
        "inheritable": 0,
        "bounding": 0,
        "ambient": 0,
        "new_privs_allowed": 0,
    }
    assert box.facts["landlock"]["abi"] >= 1 and box.facts["seccomp"] is True
    code = PRELUDE + (
        "s = B.open('/proc/self/status').read() if OS['path'].exists('/proc/self/status') else ''\n"
        "signal = True\nmetrics = {'uid': OS['getuid'](), 'env': str(sorted(OS['environ']))}"
    )
    outcome = box.run(code, [item()], check=False)[0]
    assert outcome.error is None or "Permission denied" in outcome.error
    if outcome.result:
        assert SECRET not in outcome.result["metrics"]["env"]


def test_the_environment_is_fixed_and_holds_no_secret(hostile_degraded):
    box, _, _ = hostile_degraded
    assert set(box.facts["environment"]) <= {
        "HOME",
        "LANG",
        "MKL_NUM_THREADS",
        "OMP_NUM_THREADS",
        "OPENBLAS_NUM_THREADS",
        "PATH",
        "PWD",
    }


REFUSAL = """
import errno, pyseccomp as sc
from core.scanner import launch
from core.scanner.sandbox import Sandbox, SandboxUnavailable
launch._probe = lambda: (False, "bubblewrap (bwrap) is not installed (simulated)")
f = sc.SyscallFilter(defaction=sc.ALLOW)
for name in NAMES:
    f.add_rule(sc.ERRNO(errno.ENOSYS), name)
if "seccomp" in NAMES:  # and its older door, prctl(PR_SET_SECCOMP)
    f.add_rule(sc.ERRNO(errno.EINVAL), "prctl", sc.Arg(0, sc.EQ, 22))
f.load()  # what a kernel without the feature answers; the worker inherits it
try:
    Sandbox("degraded").start()
except SandboxUnavailable as exc:
    print(exc)
else:
    print("started")
"""


@pytest.mark.parametrize(
    ("names", "reason"),
    [
        (["landlock_create_ruleset"], "degraded mode needs Landlock to confine the filesystem"),
        (["seccomp"], "seccomp"),
    ],
    ids=["no_landlock", "no_seccomp"],
)
def test_degraded_mode_refuses_to_start_without_its_walls(names, reason):
    script = f"NAMES = {names!r}\n" + REFUSAL
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    said = done.stdout.strip()
    assert said.startswith("the scanner sandbox worker did not start:") and reason in said, (said, done.stderr[-500:])

"""Resource limits and privileges of the sandbox worker and its children, with nothing but ctypes and prctl.

The worker drops every capability (bounding set, effective, permitted, inheritable and ambient; no_new_privs;
securebits locked so that uid 0 regains nothing) and makes itself undumpable before it installs its seccomp
filter (box/seccomp.py). Each child then sets its rlimits with soft = hard, so user code cannot raise them.
"""

from __future__ import annotations

import ctypes
import os
import resource

PR_SET_DUMPABLE = 4
PR_SET_KEEPCAPS = 8
PR_CAPBSET_READ = 23
PR_CAPBSET_DROP = 24
PR_SET_SECUREBITS = 28
PR_SET_NO_NEW_PRIVS = 38
PR_GET_NO_NEW_PRIVS = 39
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_IS_SET = 1
PR_CAP_AMBIENT_CLEAR_ALL = 4
PR_SET_PDEATHSIG = 1
# SECBIT_NOROOT, SECBIT_NO_SETUID_FIXUP and SECBIT_KEEP_CAPS, each with its lock.
SECUREBITS = 0b111111
CAPABILITY_VERSION_3 = 0x20080522
LAST_CAP_GUESS = 63


class PrivilegeError(RuntimeError):
    """A capability could not be dropped: the worker must not run user code."""


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def _libc() -> ctypes.CDLL:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    return libc


def drop_privileges() -> dict[str, int]:
    """Drop every capability for good and set no_new_privs; what is left (all zero, or PrivilegeError)."""
    libc = _libc()
    libc.prctl(PR_SET_SECUREBITS, SECUREBITS, 0, 0, 0)  # needs CAP_SETPCAP; under bubblewrap already moot
    libc.prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0)
    for cap in range(LAST_CAP_GUESS + 1):
        libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header, data = _CapHeader(CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    if libc.capset(ctypes.byref(header), data) != 0:
        raise PrivilegeError(f"capset failed: {os.strerror(ctypes.get_errno())}")
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise PrivilegeError(f"prctl(NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}")
    left = privileges_left()
    if any(left.values()):
        raise PrivilegeError(f"capabilities remain after dropping them: {left}")
    return left


def privileges_left() -> dict[str, int]:
    """Capability masks still held (effective, permitted, inheritable, bounding, ambient), and new-privs allowed."""
    libc = _libc()
    header, data = _CapHeader(CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise PrivilegeError(f"capget failed: {os.strerror(ctypes.get_errno())}")
    bounding = ambient = 0
    for cap in range(LAST_CAP_GUESS + 1):
        if libc.prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1:
            bounding |= 1 << cap
        if libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) == 1:
            ambient |= 1 << cap
    return {
        "effective": data[0].effective | data[1].effective << 32,
        "permitted": data[0].permitted | data[1].permitted << 32,
        "inheritable": data[0].inheritable | data[1].inheritable << 32,
        "bounding": bounding,
        "ambient": ambient,
        "new_privs_allowed": int(libc.prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1),
    }


def die_with_parent() -> None:
    """SIGKILL this process when the worker that forked it dies (a child must never outlive it)."""
    _libc().prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)


def not_dumpable() -> None:
    """No core dumps, and no ptrace or /proc/PID/mem access to this process from its own children."""
    _libc().prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def _set(which: int, value: int) -> None:
    soft, hard = value, value
    if which == resource.RLIMIT_CPU:
        hard = value + 1  # SIGXCPU at the soft limit, SIGKILL a second later if it is caught
    current_hard = resource.getrlimit(which)[1]
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    resource.setrlimit(which, (soft, hard))


def worker_limits() -> None:
    """The worker writes no file; its stderr (a file of the host) may hold a traceback, so 1 MB there, not 0."""
    _set(resource.RLIMIT_FSIZE, 1 << 20)
    _set(resource.RLIMIT_CORE, 0)


def child_limits(cpu_seconds: int, address_space_mb: int, open_files: int) -> None:
    """rlimits of a child that runs user code: soft = hard, so the code cannot raise them back."""
    _set(resource.RLIMIT_CPU, max(1, cpu_seconds))
    _set(resource.RLIMIT_AS, address_space_mb * 1024 * 1024)
    _set(resource.RLIMIT_FSIZE, 0)
    _set(resource.RLIMIT_CORE, 0)
    _set(resource.RLIMIT_NOFILE, open_files)
    _set(resource.RLIMIT_NPROC, 0)


def dead_ends() -> tuple[int, int]:
    """A descriptor that reads EOF and one whose writes fail: /dev/null's two halves, without a device."""
    empty_read, empty_write = os.pipe()
    os.close(empty_write)
    dead_read, dead_write = os.pipe()
    os.close(dead_read)
    return empty_read, dead_write

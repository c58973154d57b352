"""Landlock: the worker may read only the Python standard library, the packages scanners import and the system
libraries, write nothing, and signal no process outside its own sandbox; through ctypes system calls, no package.

Unprivileged and without namespaces, so it is what confines the filesystem in `degraded` mode (no bubblewrap):
the app's files, `.env`, the SQLite file, the repository, `/proc` (other processes' environments and memory maps)
and `/dev` are out of reach. Under bubblewrap it is a second wall around the same minimal tree. Rights this
kernel's Landlock ABI knows are all handled (denied unless granted): ABI 1 files, 2 renames across folders,
3 truncation, 4 TCP bind/connect, 5 device ioctls, 6 signals and abstract UNIX sockets outside the domain.
"""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

CREATE_RULESET, ADD_RULE, RESTRICT_SELF = 444, 445, 446  # the same numbers on x86_64 and aarch64
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 5: (1 << 16) - 1}
NET_TCP = (1 << 0) | (1 << 1)  # bind, connect
SCOPE_ALL = (1 << 0) | (1 << 1)  # abstract UNIX sockets, signals
MIN_ABI = 1
SYSTEM_LIBRARIES = ("/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/lib32", "/lib32")


class LandlockUnavailable(RuntimeError):
    """This kernel has no Landlock (or it is disabled): degraded mode must not start."""


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _syscall():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    return libc.syscall


def abi() -> int:
    """The kernel's Landlock ABI version, 0 when there is none."""
    version = _syscall()(CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION))
    return max(0, int(version))


def readable_paths(packages: list[str], confined: bool = False) -> list[tuple[str, bool]]:
    """(path, whole tree) pairs: the standard library (not its site-packages), the scanner packages, libraries;
    under bubblewrap (`confined`) also the listing of every folder of its minimal tree."""
    stdlib = Path(os.__file__).resolve().parent
    paths: list[tuple[str, bool]] = [(str(p), True) for p in stdlib.iterdir() if p.name != "site-packages"]
    paths.append((str(stdlib), False))  # list it (imports do), read nothing beneath but what is granted
    import numpy  # the folder numpy was imported from is the scanners' site folder, inside bubblewrap or not

    site = Path(numpy.__file__).resolve().parent.parent
    paths.append((str(site), False))
    paths += [(str(site / name), True) for name in packages if (site / name).exists()]
    paths += [(p, True) for p in SYSTEM_LIBRARIES if os.path.isdir(p)]
    if confined:
        paths.append(("/", False))
    return paths


def restrict(packages: list[str], confined: bool = False) -> dict[str, int]:
    """Confine this process (and every child it forks) to reading `readable_paths`; raises LandlockUnavailable."""
    version = abi()
    if version < MIN_ABI:
        raise LandlockUnavailable(f"the kernel has no Landlock (ABI {version}; Linux 5.13+ with landlock in lsm=)")
    fs = FS_BY_ABI[max(v for v in FS_BY_ABI if v <= version)]
    attr = _RulesetAttr(fs, NET_TCP if version >= 4 else 0, SCOPE_ALL if version >= 6 else 0)
    size = 24 if version >= 6 else 16 if version >= 4 else 8
    syscall = _syscall()
    ruleset = int(syscall(CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), ctypes.c_uint32(0)))
    if ruleset < 0:
        raise LandlockUnavailable(f"landlock_create_ruleset failed: {os.strerror(ctypes.get_errno())}")
    try:
        for path, tree in readable_paths(packages, confined):
            _grant(syscall, ruleset, path, (READ_FILE | READ_DIR) if tree else READ_DIR)
        if syscall(RESTRICT_SELF, ruleset, ctypes.c_uint32(0)) != 0:
            raise LandlockUnavailable(f"landlock_restrict_self failed: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(ruleset)
    return {"abi": version, "signals_scoped": int(version >= 6)}


def _grant(syscall, ruleset: int, path: str, access: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return
    try:
        if not os.path.isdir(path):
            access &= READ_FILE  # a file takes only file rights
        rule = _PathBeneath(access, fd)
        if syscall(ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.byref(rule), ctypes.c_uint32(0)) != 0:
            raise LandlockUnavailable(f"landlock_add_rule({path}) failed: {os.strerror(ctypes.get_errno())}")
    finally:
        os.close(fd)

"""Seccomp allow-lists for the sandbox worker and its children, built with libseccomp (PyPI `pyseccomp`).

Default deny: a system call not on the list fails with EPERM, and the ones that only an attack makes (exec,
ptrace, new processes, namespaces, mounts, kernel keyrings, BPF, ...) kill the process, so the scanner's error
says "forbidden system call". The lists were derived by tracing real scanners -- the templates and the FluxScan
contract tests -- under strace (tests/scanner/trace_syscalls.py re-derives them and says what changed,
docs/sandbox.md), then pruned by hand of what is dangerous. Two filters stack: the worker's once it has imported
pandas/NumPy/TA-Lib, and each child's, narrower, before it reads user code; the kernel applies the strictest
answer of every filter installed, and no filter can ever be removed.

Argument checks, where a call is needed but dangerous: open/openat only without write flags (EACCES), clone
only for threads, signals only to the child itself (kill, tkill, tgkill, rt_sigqueueinfo, rt_tgsigqueueinfo),
prlimit64 only to read this process's own limits, ioctl only the two terminal queries Python and pandas make.
Not allowed at all, among others: chmod/chown/utime/xattr/file_setattr (metadata), fcntl (F_SETOWN would aim
SIGIO at another process), setpriority, sched_setaffinity, socket, memfd_create, seccomp and prctl in a child.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
from typing import Any

CLONE_THREAD = 0x00010000
WRITE_FLAGS = (os.O_WRONLY, os.O_RDWR, os.O_CREAT, os.O_TRUNC, os.O_APPEND)
TCGETS, TIOCGWINSZ = 0x5401, 0x5413  # isatty() and the terminal width pandas asks for when it prints a frame
FIONBIO = 0x5421  # os.set_blocking, in the worker only


def _words(*chunks: str) -> tuple[str, ...]:
    return tuple(" ".join(chunks).split())


# What the child calls once its filter is in place, as traced over the templates and the contract tests
# (tests/scanner/trace_syscalls.py): read write lseek close newfstatat getdents64 brk mmap munmap futex
# exit_group, and openat/ioctl with their arguments checked below.
CHILD_TRACED = _words("read write lseek close newfstatat getdents64 brk mmap munmap futex exit_group")
# Kept beyond the trace, each harmless to other processes and needed on some host or some input: the allocator
# on large or shrinking blocks (mremap mprotect madvise), threads (set_robust_list rseq exit sched_yield),
# clocks on hosts without a vDSO clock (clock_gettime clock_getres gettimeofday time), other libc builds
# (fstat statx), signals a process handles for itself (rt_sigaction rt_sigprocmask rt_sigreturn
# restart_syscall), queries Python and OpenBLAS make (getpid getppid gettid getuid geteuid getgid getegid getrandom
# sched_getaffinity), and pipes
# inside the process (pipe2: harmless alone, and `subprocess` then gets as far as fork and is killed for it).
CHILD_KEPT = _words(
    "mremap mprotect madvise set_robust_list rseq exit sched_yield clock_gettime clock_getres gettimeofday time "
    "fstat statx rt_sigaction rt_sigprocmask rt_sigreturn restart_syscall getpid gettid getrandom sched_getaffinity "
    "pipe2 getuid geteuid getgid getegid getppid"
)
CHILD_ALLOW = CHILD_TRACED + CHILD_KEPT
# The worker, traced the same way after its marker (lockdown, warm-up, forking, watching and reaping children,
# a child's set-up before its own filter): the child's list plus these. Landlock, capabilities and its own filter
# come before, so their calls are not needed after. dup3 and ppoll are what aarch64 has for dup2 and poll.
WORKER_ALLOW = _words(
    "clone close_range dup2 dup3 pidfd_open pipe2 poll ppoll prctl seccomp wait4 getdents64 set_robust_list"
)
# Calls only an attack makes: the process is killed (SIGSYS), and the scanner's error names a forbidden call.
KILL = _words(
    "execve execveat fork vfork ptrace process_vm_readv process_vm_writev unshare setns mount umount2 "
    "pivot_root chroot bpf perf_event_open userfaultfd io_uring_setup io_uring_enter io_uring_register "
    "keyctl add_key request_key init_module finit_module delete_module kexec_load kexec_file_load reboot "
    "swapon swapoff personality name_to_handle_at open_by_handle_at pidfd_getfd move_mount open_tree "
    "open_tree_attr fsopen fsconfig fsmount fspick mount_setattr iopl ioperm modify_ldt uselib"
)


# Calls allowed only with their arguments checked (below).
ARGUMENT_CHECKED = frozenset(
    {"clone", "clone3", "open", "openat", "openat2", "ioctl", "prlimit64"}
    | {"kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"}
)


class SeccompUnavailable(RuntimeError):
    """libseccomp or the kernel's seccomp cannot be used here."""


def library() -> Any:
    """pyseccomp, loaded without `ctypes.util.find_library` (it runs ldconfig, a program the sandbox lacks)."""
    original = ctypes.util.find_library
    names = {"c": "libc.so.6", "seccomp": "libseccomp.so.2"}
    ctypes.util.find_library = lambda name: names.get(name) or original(name)
    try:
        import pyseccomp
    except (ImportError, OSError, RuntimeError) as exc:
        raise SeccompUnavailable(f"libseccomp is not available: {exc}") from None
    finally:
        ctypes.util.find_library = original
    return pyseccomp


def build(profile: str, pid: int | None = None) -> Any:
    """The filter for `profile` ('worker' or 'child'); `pid` is the child's own (signals go only there).

    A child filter built with `pid=None` lacks the signal rules: the worker builds it once, and each forked
    child adds its own with `own_signals` and loads it (building the rest costs about 7 ms; this, 0.3 ms)."""
    sc = library()
    f = sc.SyscallFilter(defaction=sc.ERRNO(errno.EPERM))
    allowed = set(CHILD_ALLOW) | (set(WORKER_ALLOW) if profile == "worker" else set())
    for name in sorted(allowed - ARGUMENT_CHECKED - set(KILL)):
        _rule(f, sc.ALLOW, name)
    for name in KILL:
        _rule(f, sc.KILL_PROCESS, name)
    # Threads yes, processes no; clone3 passes its flags in memory a filter cannot read: ENOSYS makes glibc
    # fall back to clone, whose flags it can.
    _rule(f, sc.ALLOW, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, CLONE_THREAD))
    _rule(f, sc.KILL_PROCESS if profile == "child" else sc.ALLOW, "clone", sc.Arg(0, sc.MASKED_EQ, CLONE_THREAD, 0))
    _rule(f, sc.ERRNO(errno.ENOSYS), "clone3")
    _rule(f, sc.ERRNO(errno.ENOSYS), "openat2")
    for name, index in (("open", 1), ("openat", 2)):
        _rule(f, sc.ALLOW, name, sc.Arg(index, sc.MASKED_EQ, sum(WRITE_FLAGS), 0))
        for flag in WRITE_FLAGS:
            _rule(f, sc.ERRNO(errno.EACCES), name, sc.Arg(index, sc.MASKED_EQ, flag, flag))
    for request in (TCGETS, TIOCGWINSZ):
        _rule(f, sc.ALLOW, "ioctl", sc.Arg(1, sc.EQ, request))
    _rule(f, sc.ALLOW, "prlimit64", sc.Arg(0, sc.EQ, 0), sc.Arg(2, sc.EQ, 0))  # read own limits only
    if profile == "worker":  # its own limits, a child's before its filter; SIGKILL to a child that overruns
        _rule(f, sc.ALLOW, "ioctl", sc.Arg(1, sc.EQ, FIONBIO))
        _rule(f, sc.ALLOW, "prlimit64", sc.Arg(0, sc.EQ, 0), sc.Arg(2, sc.NE, 0))
        for name in ("kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
            _rule(f, sc.ALLOW, name)
    elif pid is not None:
        own_signals(f, pid)
    return f


def own_signals(f: Any, pid: int) -> Any:
    """Let a child's filter `f` signal `pid` (the child itself) and no one else."""
    sc = library()
    for name in ("kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo"):
        _rule(f, sc.ALLOW, name, sc.Arg(0, sc.EQ, pid))
    return f


def _rule(f: Any, action: int, name: str, *args: Any) -> None:
    try:
        f.add_rule(action, name, *args)
    except (OSError, ValueError, RuntimeError) as exc:
        if "nvalid" in str(exc) or getattr(exc, "errno", None) in (errno.EINVAL, errno.EDOM, errno.EFAULT):
            return  # a call this architecture (or libseccomp version) does not have
        raise


def install(profile: str, pid: int | None = None, prebuilt: Any = None) -> None:
    """Install the filter for `profile` (or `prebuilt` with this child's signal rules) on this process and
    everything it will ever start."""
    try:
        (own_signals(prebuilt, pid) if prebuilt is not None else build(profile, pid)).load()
    except SeccompUnavailable:
        raise
    except (OSError, RuntimeError, ValueError) as exc:
        raise SeccompUnavailable(f"the seccomp filter could not be installed: {exc}") from None

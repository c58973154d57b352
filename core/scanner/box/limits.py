"""Resource limits and the seccomp filter, applied inside the sandbox with nothing but ctypes and prctl.

Two filters stack. The worker installs WORKER rules once it has imported pandas/NumPy/TA-Lib: no exec, no
sockets, no ptrace, no mounts or namespaces, no opening files for writing. Each forked child adds CHILD rules
before it reads user code: additionally no new processes (clone without CLONE_THREAD, fork, vfork), no
signals to other processes, no pidfds. A kernel evaluates every installed filter and applies the strictest
answer, and a filter can never be removed, so user code that reaches ctypes still cannot undo them.

Rules answer in one of three ways: kill the process (exec, ptrace, new processes: an attack, never an
accident), EPERM/EACCES (sockets, writes: libraries probe these and must get an error, not a crash), or ENOSYS
(clone3, openat2: glibc then falls back to clone and openat, whose arguments a filter can inspect).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import struct

PR_SET_NO_NEW_PRIVS = 38
PR_SET_DUMPABLE = 4
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2

RET_KILL_PROCESS = 0x80000000
RET_ALLOW = 0x7FFF0000
RET_ERRNO = 0x00050000

LD_W_ABS, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06
OFFSET_NR, OFFSET_ARCH = 0, 4


def _arg(n: int) -> int:
    return 16 + 8 * n  # low 32 bits of argument n in struct seccomp_data (little-endian)


CLONE_THREAD = 0x00010000
WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

# Syscall numbers (from the kernel's unistd headers). AUDIT_ARCH values identify the ABI in seccomp_data.
ARCHES = {
    "x86_64": (
        0xC000003E,
        {
            "socket": 41,
            "socketpair": 53,
            "connect": 42,
            "bind": 49,
            "listen": 50,
            "accept": 43,
            "accept4": 288,
            "sendto": 44,
            "recvfrom": 45,
            "sendmsg": 46,
            "recvmsg": 47,
            "sendmmsg": 307,
            "recvmmsg": 299,
            "getsockname": 51,
            "getpeername": 52,
            "setsockopt": 54,
            "getsockopt": 55,
            "shutdown": 48,
            "fork": 57,
            "vfork": 58,
            "clone": 56,
            "clone3": 435,
            "execve": 59,
            "execveat": 322,
            "kill": 62,
            "tkill": 200,
            "tgkill": 234,
            "ptrace": 101,
            "process_vm_readv": 310,
            "process_vm_writev": 311,
            "mount": 165,
            "umount2": 166,
            "pivot_root": 155,
            "chroot": 161,
            "unshare": 272,
            "setns": 308,
            "open": 2,
            "openat": 257,
            "openat2": 437,
            "creat": 85,
            "rename": 82,
            "renameat": 264,
            "renameat2": 316,
            "mkdir": 83,
            "mkdirat": 258,
            "rmdir": 84,
            "link": 86,
            "linkat": 265,
            "unlink": 87,
            "unlinkat": 263,
            "symlink": 88,
            "symlinkat": 266,
            "chmod": 90,
            "fchmod": 91,
            "fchmodat": 268,
            "chown": 92,
            "fchown": 93,
            "lchown": 94,
            "fchownat": 260,
            "truncate": 76,
            "ftruncate": 77,
            "mknod": 133,
            "mknodat": 259,
            "bpf": 321,
            "perf_event_open": 298,
            "userfaultfd": 323,
            "io_uring_setup": 425,
            "io_uring_enter": 426,
            "io_uring_register": 427,
            "keyctl": 250,
            "add_key": 248,
            "request_key": 249,
            "init_module": 175,
            "finit_module": 313,
            "delete_module": 176,
            "kexec_load": 246,
            "kexec_file_load": 320,
            "reboot": 169,
            "swapon": 167,
            "swapoff": 168,
            "acct": 163,
            "personality": 135,
            "memfd_create": 319,
            "name_to_handle_at": 303,
            "open_by_handle_at": 304,
            "pidfd_open": 434,
            "pidfd_getfd": 438,
            "pidfd_send_signal": 424,
            "process_madvise": 440,
            "move_mount": 429,
            "open_tree": 428,
            "fsopen": 430,
            "fsconfig": 431,
            "fsmount": 432,
            "fspick": 433,
            "syslog": 103,
            "quotactl": 179,
            "iopl": 172,
            "ioperm": 173,
            "modify_ldt": 154,
            "uselib": 134,
            "vhangup": 153,
            "setuid": 105,
            "setgid": 106,
            "setreuid": 113,
            "setregid": 114,
            "setresuid": 117,
            "setresgid": 119,
            "setgroups": 116,
            "setfsuid": 122,
            "setfsgid": 123,
            "settimeofday": 164,
            "clock_settime": 227,
            "adjtimex": 159,
            "sethostname": 170,
            "setdomainname": 171,
            "mount_setattr": 442,
        },
    ),
    "aarch64": (
        0xC00000B7,
        {
            "socket": 198,
            "socketpair": 199,
            "connect": 203,
            "bind": 200,
            "listen": 201,
            "accept": 202,
            "accept4": 242,
            "sendto": 206,
            "recvfrom": 207,
            "sendmsg": 211,
            "recvmsg": 212,
            "sendmmsg": 269,
            "recvmmsg": 243,
            "getsockname": 204,
            "getpeername": 205,
            "setsockopt": 208,
            "getsockopt": 209,
            "shutdown": 210,
            "clone": 220,
            "clone3": 435,
            "execve": 221,
            "execveat": 281,
            "kill": 129,
            "tkill": 130,
            "tgkill": 131,
            "ptrace": 117,
            "process_vm_readv": 270,
            "process_vm_writev": 271,
            "mount": 40,
            "umount2": 39,
            "pivot_root": 41,
            "chroot": 51,
            "unshare": 97,
            "setns": 268,
            "openat": 56,
            "openat2": 437,
            "renameat": 38,
            "renameat2": 276,
            "mkdirat": 34,
            "linkat": 37,
            "unlinkat": 35,
            "symlinkat": 36,
            "fchmod": 52,
            "fchmodat": 53,
            "fchown": 55,
            "fchownat": 54,
            "truncate": 45,
            "ftruncate": 46,
            "mknodat": 33,
            "bpf": 280,
            "perf_event_open": 241,
            "userfaultfd": 282,
            "io_uring_setup": 425,
            "io_uring_enter": 426,
            "io_uring_register": 427,
            "keyctl": 219,
            "add_key": 217,
            "request_key": 218,
            "init_module": 105,
            "finit_module": 273,
            "delete_module": 106,
            "kexec_load": 104,
            "kexec_file_load": 294,
            "reboot": 142,
            "swapon": 224,
            "swapoff": 225,
            "acct": 89,
            "personality": 92,
            "memfd_create": 279,
            "name_to_handle_at": 264,
            "open_by_handle_at": 265,
            "pidfd_open": 434,
            "pidfd_getfd": 438,
            "pidfd_send_signal": 424,
            "process_madvise": 440,
            "move_mount": 429,
            "open_tree": 428,
            "fsopen": 430,
            "fsconfig": 431,
            "fsmount": 432,
            "fspick": 433,
            "syslog": 116,
            "quotactl": 60,
            "vhangup": 58,
            "setuid": 146,
            "setgid": 144,
            "setreuid": 145,
            "setregid": 143,
            "setresuid": 147,
            "setresgid": 149,
            "setgroups": 159,
            "setfsuid": 151,
            "setfsgid": 152,
            "settimeofday": 170,
            "clock_settime": 112,
            "adjtimex": 171,
            "sethostname": 161,
            "setdomainname": 162,
            "mount_setattr": 442,
        },
    ),
}

KILL = (
    "execve",
    "execveat",
    "ptrace",
    "process_vm_readv",
    "process_vm_writev",
    "mount",
    "umount2",
    "pivot_root",
    "chroot",
    "unshare",
    "setns",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "keyctl",
    "add_key",
    "request_key",
    "init_module",
    "finit_module",
    "delete_module",
    "kexec_load",
    "kexec_file_load",
    "reboot",
    "swapon",
    "swapoff",
    "personality",
    "name_to_handle_at",
    "open_by_handle_at",
    "pidfd_getfd",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "iopl",
    "ioperm",
    "modify_ldt",
    "uselib",
    "mount_setattr",
)
EPERM = (
    "socket",
    "socketpair",
    "connect",
    "bind",
    "listen",
    "accept",
    "accept4",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "sendmmsg",
    "recvmmsg",
    "getsockname",
    "getpeername",
    "setsockopt",
    "getsockopt",
    "shutdown",
    "creat",
    "rename",
    "renameat",
    "renameat2",
    "mkdir",
    "mkdirat",
    "rmdir",
    "link",
    "linkat",
    "unlink",
    "unlinkat",
    "symlink",
    "symlinkat",
    "chmod",
    "fchmod",
    "fchmodat",
    "chown",
    "fchown",
    "lchown",
    "fchownat",
    "truncate",
    "ftruncate",
    "mknod",
    "mknodat",
    "acct",
    "memfd_create",
    "syslog",
    "quotactl",
    "vhangup",
    "setuid",
    "setgid",
    "setreuid",
    "setregid",
    "setresuid",
    "setresgid",
    "setgroups",
    "setfsuid",
    "setfsgid",
    "settimeofday",
    "clock_settime",
    "adjtimex",
    "sethostname",
    "setdomainname",
    "process_madvise",
    "pidfd_send_signal",
)
ENOSYS = ("openat2",)
CHILD_KILL = ("fork", "vfork")
CHILD_EPERM = ("kill", "tkill", "pidfd_open")
CHILD_ENOSYS = ("clone3",)


class SeccompUnavailable(RuntimeError):
    """This machine's architecture or kernel cannot take our filter."""


def _insn(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k & 0xFFFFFFFF)


def _errno(number: int) -> int:
    return RET_ERRNO | number


def build_filter(profile: str, arch: str | None = None, pid: int | None = None) -> bytes:
    """The BPF program for `profile` ('worker' or 'child') as raw sock_filter instructions."""
    arch = arch or platform.machine()
    if arch not in ARCHES:
        raise SeccompUnavailable(f"no seccomp syscall table for architecture {arch!r}")
    audit_arch, numbers = ARCHES[arch]
    rules: list[tuple[str, int]] = [(n, RET_KILL_PROCESS) for n in KILL]
    rules += [(n, _errno(errno.EPERM)) for n in EPERM]
    rules += [(n, _errno(errno.ENOSYS)) for n in ENOSYS]
    if profile == "child":
        rules += [(n, RET_KILL_PROCESS) for n in CHILD_KILL]
        rules += [(n, _errno(errno.EPERM)) for n in CHILD_EPERM]
        rules += [(n, _errno(errno.ENOSYS)) for n in CHILD_ENOSYS]
    prog = [
        _insn(LD_W_ABS, OFFSET_ARCH),
        _insn(JEQ, audit_arch, 1, 0),
        _insn(RET, RET_KILL_PROCESS),
        _insn(LD_W_ABS, OFFSET_NR),
    ]
    if arch == "x86_64":  # the x32 ABI shares the architecture value: refuse its syscall numbers outright
        prog += [_insn(JGE, 0x40000000, 0, 1), _insn(RET, RET_KILL_PROCESS)]
    for name, action in rules:
        if name in numbers:
            prog += [_insn(JEQ, numbers[name], 0, 1), _insn(RET, action)]
    # Argument checks last: each block ends in RET, and a non-matching number skips the block whole.
    for name, index in (("open", 1), ("openat", 2)):
        if name in numbers:
            prog += [
                _insn(JEQ, numbers[name], 0, 4),
                _insn(LD_W_ABS, _arg(index)),
                _insn(JSET, WRITE_FLAGS, 0, 1),
                _insn(RET, _errno(errno.EACCES)),
                _insn(RET, RET_ALLOW),
            ]
    if profile == "child":
        prog += [
            _insn(JEQ, numbers["clone"], 0, 4),
            _insn(LD_W_ABS, _arg(0)),
            _insn(JSET, CLONE_THREAD, 1, 0),
            _insn(RET, RET_KILL_PROCESS),
            _insn(RET, RET_ALLOW),
        ]
        own = pid if pid is not None else os.getpid()
        prog += [
            _insn(JEQ, numbers["tgkill"], 0, 4),
            _insn(LD_W_ABS, _arg(0)),
            _insn(JEQ, own, 1, 0),
            _insn(RET, _errno(errno.EPERM)),
            _insn(RET, RET_ALLOW),
        ]
    prog.append(_insn(RET, RET_ALLOW))
    return b"".join(prog)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install_filter(profile: str) -> None:
    """Install the filter for `profile` on this process (and every thread and child it will ever have)."""
    program = build_filter(profile)
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SeccompUnavailable(f"prctl(NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}")
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
        raise SeccompUnavailable(f"prctl(SECCOMP_MODE_FILTER) failed: {os.strerror(ctypes.get_errno())}")


def not_dumpable() -> None:
    """No core dumps, and no ptrace or /proc/PID/mem access to this process from its own children."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)


def _set(which: int, value: int) -> None:
    soft, hard = value, value
    if which == resource.RLIMIT_CPU:
        hard = value + 1  # SIGXCPU at the soft limit, SIGKILL a second later if it is caught
    current_hard = resource.getrlimit(which)[1]
    if current_hard != resource.RLIM_INFINITY:
        soft, hard = min(soft, current_hard), min(hard, current_hard)
    resource.setrlimit(which, (soft, hard))


def worker_limits() -> None:
    _set(resource.RLIMIT_FSIZE, 0)
    _set(resource.RLIMIT_CORE, 0)


def child_limits(cpu_seconds: int, address_space_mb: int, open_files: int) -> None:
    """rlimits of a child that runs user code: soft = hard, so the code cannot raise them back."""
    _set(resource.RLIMIT_CPU, max(1, cpu_seconds))
    _set(resource.RLIMIT_AS, address_space_mb * 1024 * 1024)
    _set(resource.RLIMIT_FSIZE, 0)
    _set(resource.RLIMIT_CORE, 0)
    _set(resource.RLIMIT_NOFILE, open_files)
    _set(resource.RLIMIT_NPROC, 0)

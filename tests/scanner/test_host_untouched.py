"""The sandbox leaves the host alone: after a batch of scanners that try chmod, chown, utime, xattrs, chattr flags,
truncation, renames and device writes -- through Python, libc and raw system calls, with validation switched off
-- the host's /dev nodes and a canary file keep their content, mode, owner, timestamps (ctime included, which any
metadata change moves), extended attributes and inode flags. In both modes."""

from __future__ import annotations

import contextlib
import fcntl
import os
import struct
import tempfile

import pytest

from tests.scanner.conftest import CANARY_TEXT, PRELUDE, item

pytestmark = pytest.mark.slow  # every test here starts the sandbox

DEVICES = [d for d in ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom") if os.path.exists(d)]
FS_IOC_GETFLAGS, FS_IOC_SETFLAGS, FS_IMMUTABLE_FL = 0x80086601, 0x40086602, 0x10

ATTACKS = (
    PRELUDE
    + """
C = IMP('ctypes').CDLL(None, use_errno=True)
FCNTL = IMP('fcntl')
tried = []
def raw(*args):
    if C.syscall(*args) < 0:
        raise B.OSError(IMP('ctypes').get_errno(), 'refused')
def attempt(label, f, *args):
    try:
        f(*args)
        tried.append(label + ': done')
    except B.BaseException as exc:
        tried.append(label + ': ' + B.type(exc).__name__)
for t in params['targets']:
    attempt('chmod', OS['chmod'], t, 0o777)
    attempt('chown', OS['chown'], t, 65534, 65534)
    attempt('utime_past', OS['utime'], t, (0, 0))
    attempt('utime_now', OS['utime'], t, None)
    attempt('setxattr', OS['setxattr'], t, 'user.owned', b'1')
    attempt('trusted_xattr', OS['setxattr'], t, 'trusted.owned', b'1')
    attempt('truncate', OS['truncate'], t, 0)
    attempt('write', lambda p: B.open(p, 'w').write('owned'), t)
    attempt('append', lambda p: B.open(p, 'ab').write(b'owned'), t)
    attempt('chattr', lambda p: FCNTL.ioctl(OS['open'](p, 0), 0x40086602, b'\\x10\\x00\\x00\\x00'), t)
    attempt('fchmodat2', raw, 452, -100, t.encode(), 0o777, 0)
    attempt('utimensat', raw, 280, -100, t.encode(), 0, 0)
    attempt('file_setattr', raw, 469, -100, t.encode(), 0, 0, 0)
    attempt('rename', OS['rename'], t, t + '.moved')
    attempt('link', OS['link'], t, t + '.linked')
    attempt('mknod', OS['mknod'], t + '.node', 0o20666, OS['makedev'](1, 3))
signal = True
metrics = {'tried': len(tried), 'done': str([x for x in tried if x.endswith(': done')])}
"""
)


def _flags(path: str) -> int | None:
    with contextlib.suppress(OSError), open(path, "rb") as handle:
        buffer = fcntl.ioctl(handle.fileno(), FS_IOC_GETFLAGS, b"\0" * 8)
        return struct.unpack("i", buffer[:4])[0]
    return None


def _xattrs(path: str) -> dict[str, bytes] | None:
    try:
        return {name: os.getxattr(path, name) for name in os.listxattr(path)}
    except OSError:
        return None


def _snapshot(paths: list[str]) -> dict[str, tuple]:
    shot = {}
    for path in paths:
        st = os.stat(path)
        shot[path] = (st.st_mode, st.st_uid, st.st_gid, st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino)
        shot[path] += (_xattrs(path), _flags(path) if not path.startswith("/dev/") else None)
    return shot


def test_host_dev_nodes_and_canary_are_untouched(either_mode):
    box, folder, canary = either_mode
    targets = [str(canary), *DEVICES]
    before = _snapshot(targets)
    symbols = [item(f"H{i}", seed=i) for i in range(4)]
    outcomes = box.run(ATTACKS, symbols, {"targets": targets}, check=False)
    assert all(o.error is None for o in outcomes), outcomes
    for outcome in outcomes:
        assert outcome.result["metrics"]["tried"] == 16 * len(targets)
        assert outcome.result["metrics"]["done"] == "[]", outcome.result["metrics"]["done"]
    assert _snapshot(targets) == before
    assert canary.read_text() == CANARY_TEXT
    assert sorted(p.name for p in folder.iterdir()) == ["canary.txt"]
    assert not any(os.path.exists(t + suffix) for t in targets for suffix in (".moved", ".linked", ".node"))


def test_the_canary_can_be_changed_by_this_process():
    """The control: the same metadata calls made here, outside the sandbox, do change a file like the canary."""
    with tempfile.NamedTemporaryFile() as handle:
        before = _snapshot([handle.name])
        os.chmod(handle.name, 0o600)
        os.utime(handle.name, (0, 0))
        assert _snapshot([handle.name]) != before

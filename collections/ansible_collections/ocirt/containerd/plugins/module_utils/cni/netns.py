"""Network namespaces pinned to a file, as containerd's CRI makes them for pods.

containerd 1.6 ``pkg/netns/netns_linux.go``: create an empty file, make a new network
namespace on a thread of its own and bind-mount ``/proc/<pid>/task/<tid>/ns/net`` onto the
file; the mount keeps the namespace alive with no process in it, so the container's task
can die, be restarted by containerd's restart monitor or outlive a containerd restart and
come back in the same namespace, with the same interfaces and IPs. Python 3.11 has no
``os.unshare``, and ``unshare`` moves only the calling thread, so a forked child (single
threaded, raw syscalls only until ``_exit``) does the unshare and the mount. Removal is
``umount2(MNT_DETACH)`` and unlink, and is idempotent.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import os
from typing import Optional

from ..common import atomic_file
from ..common.errors import OcirtError

CLONE_NEWNET = 0x40000000
MS_BIND = 4096
MNT_DETACH = 2

_libc: Optional[ctypes.CDLL] = None


class NetnsError(OcirtError):
    """A network namespace could not be made or removed."""


def _c() -> ctypes.CDLL:
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    return _libc


def is_pinned(path: str) -> bool:
    """Whether ``path`` is a bind mount of a network namespace (a mount point whose inode
    is not that of a plain file)."""
    try:
        return os.path.ismount(path) or _nsfs(path)
    except OSError:
        return False


def _nsfs(path: str) -> bool:
    with open("/proc/self/mountinfo", encoding="utf-8", errors="replace") as f:
        return any(line.split()[4] == path for line in f if len(line.split()) > 4)


def _child(path: str) -> None:
    libc = _c()
    code = 0
    if libc.unshare(CLONE_NEWNET) != 0:
        code = 10 + (ctypes.get_errno() % 100)
    elif libc.mount(b"/proc/self/ns/net", path.encode(), None, MS_BIND, None) != 0:
        code = 110 + (ctypes.get_errno() % 100)
    os._exit(code)


def pin(path: str) -> bool:
    """Make a fresh network namespace pinned at ``path``; False when one is pinned there
    already (nothing done)."""
    if is_pinned(path):
        return False
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o444)
    os.close(fd)
    _c()  # load libc before fork
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child never returns
        _child(path)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        atomic_file.remove(path)
        step, err = ("unshare", code - 10) if code < 110 else ("bind mount", code - 110)
        raise NetnsError(
            f"cannot make a network namespace at {path}: {step} failed: "
            f"{os.strerror(err) if err > 0 else f'exit {code}'} (run as root)"
        )
    return True


def unpin(path: str) -> bool:
    """Unmount and remove a pinned namespace (the namespace itself goes when its last user
    does); whether anything was there."""
    existed = os.path.exists(path)
    while is_pinned(path):
        if _c().umount2(path.encode(), MNT_DETACH) != 0:
            err = ctypes.get_errno()
            if err in (errno.EINVAL, errno.ENOENT):
                break
            raise NetnsError(f"cannot unmount the network namespace {path}: {os.strerror(err)}")
    atomic_file.remove(path)
    return existed

"""Replacing a file so that readers see either the old or the new content, never half.

Write a temporary file in the target's own directory (rename is only atomic within one
file system), fsync it, set mode and owner, rename it over the target and fsync the
directory. Used for config.toml, hosts.toml and anything else ocirt installs. A write that
cannot be done (disk full, read-only file system, no permission) raises ``FileWriteError``
naming the file and the reason, with the old file untouched and nothing else left behind.
"""

from __future__ import annotations

import errno
import os
import shutil
import tempfile
import time
from typing import Optional

from .errors import ConfigError

_HINTS = {
    errno.ENOSPC: "the file system is full: free space on it and run again",
    errno.EDQUOT: "the disk quota is used up: free space and run again",
    errno.EROFS: "the file system is mounted read-only",
    errno.EACCES: "permission denied: run as root (become: true)",
    errno.EPERM: "not permitted: run as root (become: true)",
}


class FileWriteError(ConfigError, OSError):
    """A file could not be written, backed up or removed; the old one is left as it was.

    Also an ``OSError`` (with ``filename``, ``errno`` and ``strerror`` set), so callers
    that add their own context to OSErrors, like the installer, keep doing so.
    """

    def __init__(self, action: str, path: str, exc: OSError) -> None:
        reason = exc.strerror or str(exc)
        hint = _HINTS.get(exc.errno or 0)
        super().__init__(
            f"cannot {action} {path}: {reason}"
            + (f" ({hint})" if hint else "")
            + "; the file was left as it was"
        )
        self.filename, self.errno, self.strerror = path, exc.errno, reason

    def __str__(self) -> str:  # OSError's would be "[Errno N] ..." without the hint
        return str(self.args[0])


def read_bytes(path: str) -> Optional[bytes]:
    """The file's content, or None when it does not exist."""
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return None


def file_mode(path: str) -> Optional[int]:
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        return None


def differs(
    path: str, data: bytes, mode: int, owner: Optional[int] = 0, group: Optional[int] = 0
) -> Optional[str]:
    """Why ``path`` is not what ``atomic_write(path, data, mode, owner, group)`` leaves, or None.

    ("missing", "content differs", "mode 0644, not 0600", "owner 1000:1000, not 0:0".) Mode
    and owner count as much as content: a file holding secrets that was made readable by hand
    is put right by the next run. The owner is compared only as root, who alone can set it.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "missing"
    reasons = []
    if read_bytes(path) != data:
        reasons.append("content differs")
    if st.st_mode & 0o7777 != mode:
        reasons.append(f"mode {st.st_mode & 0o7777:04o}, not {mode:04o}")
    if os.geteuid() == 0:
        uid = st.st_uid if owner is None else owner
        gid = st.st_gid if group is None else group
        if (st.st_uid, st.st_gid) != (uid, gid):
            reasons.append(f"owner {st.st_uid}:{st.st_gid}, not {uid}:{gid}")
    return ", ".join(reasons) or None


def backup_path(path: str, now: Optional[float] = None) -> str:
    """``<path>.<YYYY-mm-dd@HH:MM:SS>~`` (Ansible's backup style), unique if taken."""
    stamp = time.strftime("%Y-%m-%d@%H:%M:%S", time.localtime(now))
    candidate = f"{path}.{stamp}~"
    n = 1
    while os.path.lexists(candidate):
        candidate = f"{path}.{stamp}.{n}~"
        n += 1
    return candidate


def backup(path: str) -> Optional[str]:
    """Copy the file (content, mode, times) beside itself; its path, or None if no file.
    A copy that fails half-way is removed."""
    if not os.path.exists(path):
        return None
    dest = backup_path(path)
    try:
        shutil.copy2(path, dest)
    except OSError as exc:
        _unlink_quietly(dest)
        raise FileWriteError("back up", path, exc) from None
    return dest


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _fsync_dir(directory: str) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(
    path: str,
    data: bytes,
    mode: int = 0o644,
    owner: Optional[int] = 0,
    group: Optional[int] = 0,
    make_backup: bool = False,
    make_dirs: bool = True,
) -> Optional[str]:
    """Atomically replace ``path`` with ``data``; returns the backup's path if one was made.

    Owner and group are only set when running as root (an unprivileged caller cannot give
    files away; None keeps the caller's). On any failure the target is untouched and the
    temporary file is removed.
    """
    directory = os.path.dirname(os.path.abspath(path))
    if make_dirs:
        try:
            os.makedirs(directory, mode=0o755, exist_ok=True)
        except OSError as exc:
            raise FileWriteError("write", path, exc) from None
    saved = backup(path) if make_backup else None
    try:
        _replace(path, directory, data, mode, owner, group)
    except OSError as exc:
        if saved:
            _unlink_quietly(saved)  # nothing changed, so the backup of it is not kept
        raise FileWriteError("write", path, exc) from None
    _fsync_dir(directory)
    return saved


def _replace(
    path: str, directory: str, data: bytes, mode: int, owner: Optional[int], group: Optional[int]
) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        if os.geteuid() == 0 and (owner is not None or group is not None):
            os.chown(tmp, -1 if owner is None else owner, -1 if group is None else group)
        os.rename(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise


def remove(path: str) -> bool:
    """Remove a file if present (fsyncing its directory); whether it existed."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise FileWriteError("remove", path, exc) from None
    _fsync_dir(os.path.dirname(os.path.abspath(path)))
    return True

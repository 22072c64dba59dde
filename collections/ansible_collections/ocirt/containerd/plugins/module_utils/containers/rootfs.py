"""Read a file (/etc/passwd, /etc/group) from a container's root filesystem without mounting.

The overlayfs and native snapshotters hand out mounts whose layers are plain host
directories (``lowerdir=a:b``, ``upperdir=c`` or a ``bind`` source), so a file is found by
walking those directories top-down, honouring overlay whiteouts (0:0 character devices) and
opaque directories. Nothing is mounted, so nothing can leak. Other snapshotters fall back to
reading the image's layer tarballs from the content store.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
from typing import Any, Dict, List, Mapping, Optional, Sequence

MAX_FILE = 8 * 1024 * 1024


def layer_dirs(mounts: Sequence[Mapping[str, Any]]) -> Optional[List[str]]:
    """Host directories of the filesystem, topmost first; None if it needs a real mount."""
    if len(mounts) != 1:
        return None
    m = mounts[0]
    options = list(m.get("options") or [])
    if m.get("type") == "bind" or "bind" in options or "rbind" in options:
        return [m["source"]]
    if m.get("type") != "overlay":
        return None
    upper: List[str] = []
    lower: List[str] = []
    for opt in options:
        key, _, value = opt.partition("=")
        if key == "upperdir":
            upper = [value]
        elif key == "lowerdir":
            lower = value.split(":")
    return upper + lower if (upper or lower) else None


def _is_whiteout(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode) and st.st_rdev == 0


def _is_opaque(path: str) -> bool:
    for name in ("trusted.overlay.opaque", "user.overlay.opaque"):
        try:
            if os.getxattr(path, name, follow_symlinks=False) == b"y":
                return True
        except OSError:
            pass
    return False


def read_from_dirs(dirs: Sequence[str], path: str, _depth: int = 0) -> Optional[bytes]:
    """The file at ``path`` in the union of ``dirs`` (topmost first), or None if absent."""
    parts = [p for p in path.split("/") if p and p != "."]
    if not parts or _depth > 8:
        return None
    for top in dirs:
        cur = top
        hidden_below = False
        for i, part in enumerate(parts):
            cur = os.path.join(cur, part)
            try:
                st = os.lstat(cur)
            except OSError:
                break  # not in this layer: look further down unless a dir was opaque
            if _is_whiteout(st):
                return None
            last = i == len(parts) - 1
            if stat.S_ISLNK(st.st_mode):
                target = os.readlink(cur)
                if not target.startswith("/"):
                    target = "/" + "/".join([*parts[:i], target])
                rest = "/".join(parts[i + 1 :])
                return read_from_dirs(dirs, os.path.normpath(target + "/" + rest), _depth + 1)
            if last:
                if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE:
                    return None
                with open(cur, "rb") as f:
                    return f.read()
            if not stat.S_ISDIR(st.st_mode):
                return None
            if _is_opaque(cur):
                hidden_below = True
        if hidden_below:
            return None
    return None


def read_from_layer_blobs(blobs: Sequence[bytes], path: str) -> Optional[bytes]:
    """The file at ``path`` from layer tarballs (bottom first, gzip or plain), or None."""
    wanted = path.strip("/")
    parent, _, base = wanted.rpartition("/")
    for blob in reversed(blobs):
        data = gzip.decompress(blob) if blob[:2] == b"\x1f\x8b" else blob
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            names: Dict[str, tarfile.TarInfo] = {}
            for member in tar:
                names[member.name.lstrip("./").rstrip("/")] = member
            if f"{parent}/.wh.{base}".lstrip("/") in names:
                return None
            member = names.get(wanted)
            if member is not None and member.isfile():
                f = tar.extractfile(member)
                return f.read() if f else None
            if f"{parent}/.wh..wh..opq".lstrip("/") in names:
                return None
    return None

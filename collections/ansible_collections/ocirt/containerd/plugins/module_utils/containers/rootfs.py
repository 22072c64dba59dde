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
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

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


def _read_regular(path: str, st: os.stat_result) -> Optional[bytes]:
    if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE:
        return None
    with open(path, "rb") as f:
        return f.read()


def _in_layer(
    dirs: Sequence[str], top: str, parts: List[str], depth: int
) -> Tuple[bool, Optional[bytes]]:
    """(decided, data) from one layer: not decided when the layer says nothing about the
    path, so the layers below are asked; a whiteout or an opaque directory decides None."""
    cur = top
    hidden_below = False
    for i, part in enumerate(parts):
        cur = os.path.join(cur, part)
        try:
            st = os.lstat(cur)
        except OSError:
            break  # not in this layer: look further down unless a dir was opaque
        if _is_whiteout(st):
            return True, None
        if stat.S_ISLNK(st.st_mode):
            target = os.readlink(cur)
            if not target.startswith("/"):
                target = "/" + "/".join([*parts[:i], target])
            rest = "/".join(parts[i + 1 :])
            return True, read_from_dirs(dirs, os.path.normpath(target + "/" + rest), depth + 1)
        if i == len(parts) - 1:
            return True, _read_regular(cur, st)
        if not stat.S_ISDIR(st.st_mode):
            return True, None
        hidden_below = hidden_below or _is_opaque(cur)
    return hidden_below, None


def read_from_dirs(dirs: Sequence[str], path: str, _depth: int = 0) -> Optional[bytes]:
    """The file at ``path`` in the union of ``dirs`` (topmost first), or None if absent."""
    parts = [p for p in path.split("/") if p and p != "."]
    if not parts or _depth > 8:
        return None
    for top in dirs:
        decided, data = _in_layer(dirs, top, parts, _depth)
        if decided:
            return data
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
            found = names.get(wanted)
            if found is not None and found.isfile():
                f = tar.extractfile(found)
                return f.read() if f else None
            if f"{parent}/.wh..wh..opq".lstrip("/") in names:
                return None
    return None

"""Safe, random-access reading of an image tarball (plain or gzip-compressed).

An archive comes from outside: it is scanned once, front to back, before anything is
written to containerd. The scan refuses what could escape or confuse (absolute paths, ``..``,
links that leave the archive, devices, fifos, duplicate entries) and hashes every regular
file, so a blob whose bytes do not match its name is found before the first byte is sent.
Blobs are then streamed straight from the tar, each reader with its own file handle so that
parallel layer uploads do not share a file position.
"""

from __future__ import annotations

import gzip
import hashlib
import posixpath
import tarfile
from dataclasses import dataclass
from typing import Callable, Dict, Iterator, List, Optional

from ..common.errors import InvalidInput

READ_CHUNK = 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_OTHER_COMPRESSIONS = {
    b"BZh": "bzip2",
    b"\xfd7zXZ": "xz",
    b"\x28\xb5\x2f\xfd": "zstd",
}
_MAX_LINK_DEPTH = 16


class HostileArchive(InvalidInput):
    """The archive holds something an image archive never needs and that could do harm."""


@dataclass
class Member:
    """A regular file of the archive: where its bytes are and what they hash to."""

    name: str
    size: int
    offset: int  # of the data inside the (uncompressed) tar stream
    sha256: str  # "sha256:<hex>"


def _normalize(path: str, raw: str, archive: str) -> str:
    if path.startswith("/"):
        raise HostileArchive(f"{archive}: entry {raw!r} has an absolute path")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise HostileArchive(f"{archive}: entry {raw!r} has a '..' path component")
    return "/".join(parts)


def _compression(path: str) -> str:
    with open(path, "rb") as f:
        head = f.read(6)
    if head.startswith(_GZIP_MAGIC):
        return "gz"
    for magic, name in _OTHER_COMPRESSIONS.items():
        if head.startswith(magic):
            raise InvalidInput(
                f"{path} is {name}-compressed; image archives must be plain or gzip tar"
            )
    return ""


class TarArchive:
    """The regular files of an image tarball, checked and hashed, readable by name."""

    def __init__(self, path: str) -> None:
        self.path = path
        try:
            self.compression = _compression(path)
        except OSError as exc:
            raise InvalidInput(f"cannot read the archive {path}: {exc.strerror}") from None
        self.files: Dict[str, Member] = {}
        self.directories: List[str] = []
        self._scan()

    # -- scanning ----------------------------------------------------------------------

    def _scan(self) -> None:
        links: Dict[str, tarfile.TarInfo] = {}
        seen: Dict[str, str] = {}  # name -> kind
        try:
            tar = tarfile.open(self.path, "r:gz" if self.compression else "r:")
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise InvalidInput(f"{self.path} is not a readable tar archive: {exc}") from None
        with tar:
            try:
                for info in iter(tar.next, None):
                    self._add(tar, info, links, seen)
            except (tarfile.TarError, OSError, EOFError) as exc:
                raise InvalidInput(f"{self.path}: damaged tar archive: {exc}") from None
        for name, info in links.items():
            target = self._resolve(name, info, links, 0)
            self.files[name] = Member(name, target.size, target.offset, target.sha256)

    def _add(
        self,
        tar: tarfile.TarFile,
        info: tarfile.TarInfo,
        links: Dict[str, tarfile.TarInfo],
        seen: Dict[str, str],
    ) -> None:
        name = _normalize(info.name, info.name, self.path)
        if not name:
            return  # the archive root itself ("./")
        kind = "dir" if info.isdir() else "other"
        if name in seen and not (kind == "dir" and seen[name] == "dir"):
            raise HostileArchive(f"{self.path}: entry {name!r} appears more than once")
        seen[name] = kind
        if info.isdir():
            self.directories.append(name)
        elif info.issym() or info.islnk():
            links[name] = info
        elif info.isreg() and not info.issparse():
            digest = hashlib.sha256()
            stream = tar.extractfile(info)
            remaining = info.size
            while remaining > 0 and stream is not None:
                chunk = stream.read(min(READ_CHUNK, remaining))
                if not chunk:
                    raise InvalidInput(f"{self.path}: entry {name!r} is truncated")
                digest.update(chunk)
                remaining -= len(chunk)
            self.files[name] = Member(
                name, info.size, info.offset_data, "sha256:" + digest.hexdigest()
            )
        else:
            what = (
                "a device"
                if info.ischr() or info.isblk()
                else "a fifo"
                if info.isfifo()
                else "a sparse file"
                if info.issparse()
                else f"an entry of tar type {info.type!r}"
            )
            raise HostileArchive(f"{self.path}: entry {name!r} is {what}; refusing the archive")

    def _resolve(
        self,
        name: str,
        info: tarfile.TarInfo,
        links: Dict[str, tarfile.TarInfo],
        depth: int,
    ) -> Member:
        """Follow a symlink or hardlink to the regular file it means, inside the archive."""
        if depth > _MAX_LINK_DEPTH:
            raise HostileArchive(f"{self.path}: links from {name!r} loop")
        target = info.linkname
        if info.issym():
            if target.startswith("/"):
                raise HostileArchive(
                    f"{self.path}: symlink {name!r} points outside the archive ({target!r})"
                )
            joined = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
            if joined == ".." or joined.startswith("../"):
                raise HostileArchive(
                    f"{self.path}: symlink {name!r} points outside the archive ({target!r})"
                )
            resolved = joined
        else:
            if target.startswith("/") or ".." in target.split("/"):
                raise HostileArchive(
                    f"{self.path}: hardlink {name!r} points outside the archive ({target!r})"
                )
            resolved = _normalize(target, target, self.path)
        if resolved in links:
            return self._resolve(resolved, links[resolved], links, depth + 1)
        if resolved in self.files:
            return self.files[resolved]
        raise HostileArchive(
            f"{self.path}: link {name!r} points to {target!r}, which is not a file in the archive"
        )

    # -- reading -----------------------------------------------------------------------

    def member(self, name: str) -> Optional[Member]:
        return self.files.get(_normalize(name, name, self.path))

    def _opener(self) -> Callable[[], object]:
        if self.compression:
            return lambda: gzip.open(self.path, "rb")
        return lambda: open(self.path, "rb")

    def open(self, member: Member, offset: int = 0) -> Iterator[bytes]:
        """The bytes of ``member`` from ``offset``, in chunks, from a fresh file handle."""
        with self._opener()() as f:  # type: ignore[attr-defined]
            f.seek(member.offset + offset)
            remaining = member.size - offset
            while remaining > 0:
                chunk = f.read(min(READ_CHUNK, remaining))
                if not chunk:
                    raise InvalidInput(f"{self.path}: {member.name!r} ended early")
                remaining -= len(chunk)
                yield chunk

    def read(self, member: Member, limit: int) -> bytes:
        """A small file whole (JSON documents), refusing one over ``limit`` bytes."""
        if member.size > limit:
            raise InvalidInput(
                f"{self.path}: {member.name!r} is {member.size} bytes; refusing a document "
                f"over {limit} bytes"
            )
        return b"".join(self.open(member))

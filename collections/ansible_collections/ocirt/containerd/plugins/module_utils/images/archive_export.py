"""Export images to an OCI image layout tarball that `ctr images import` (1.6-2.x) reads.

The archive is written to a temporary file next to ``path``, fsynced and renamed, so a
reader never sees half an archive and a failed export leaves the old file in place.

Partially present indexes: a pull for one platform stores the index but only that platform's
manifest; containerd's exporter then fails with "content digest not found" (kubespray #13235).
Here an index is exported as it is only when every platform it lists is present; otherwise
the present platform manifests that were asked for become the archive's top-level images
(each still carrying the image's name), and the result says so in ``note``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
import tempfile
from typing import (
    Any,
    BinaryIO,
    Callable,
    Dict,
    Iterator,
    List,
    Mapping,
    Optional,
    Sequence,
    Tuple,
    TypedDict,
)

from ..api import content
from ..api.images import get_image
from ..common import media_types as mt
from ..common.errors import InvalidInput, NotFound
from ..transport.connection import Connection
from .archive_layout import ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME
from .graph import Image, choose, listed_platforms, record_image
from .platforms import format_platform
from .platforms import parse as parse_platform

_MTIME = 0  # reproducible archives: the same images give the same bytes


class _StreamReader(io.RawIOBase):
    """A file object over a blob streamed from the content store (for tarfile.addfile)."""

    def __init__(self, chunks: Iterator[bytes], digest: str) -> None:
        self._chunks = chunks
        self._buffer = b""
        self._hash = hashlib.sha256()
        self._digest = digest

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            try:
                chunk = next(self._chunks)
            except StopIteration:
                break
            self._hash.update(chunk)
            self._buffer += chunk
        if size < 0:
            size = len(self._buffer)
        out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def check(self) -> None:
        if "sha256:" + self._hash.hexdigest() != self._digest:
            raise InvalidInput(f"content {self._digest} in containerd does not match its digest")


def ref_name_annotation(name: str) -> str:
    """What containerd's exporter writes as org.opencontainers.image.ref.name: the tag."""
    last = name.rsplit("/", 1)[-1]
    if "@" not in last and ":" in last:
        return last.rsplit(":", 1)[1]
    return name


class ExportPlan(TypedDict):
    """What one image name contributes to the archive."""

    name: str
    source_digest: str  # the record's target
    entries: List[Dict[str, Any]]  # top-level descriptors of index.json
    blobs: List[Dict[str, Any]]
    platforms: List[str]
    note: str


def _plan_image(
    conn: Connection, name: str, wanted: Dict[str, str], all_platforms: bool
) -> ExportPlan:
    """Top-level entries and blobs to export for one image name."""
    record = get_image(conn, name)
    if record is None:
        raise NotFound(f"no image {name!r} in namespace {conn.namespace!r}")
    image = record_image(conn, record)
    image.top.pop("annotations", None)
    top = image.top
    plan: ExportPlan = {
        "name": name,
        "source_digest": top["digest"],
        "entries": [],
        "blobs": [],
        "platforms": [],
        "note": "",
    }
    if image.is_manifest:
        checked = image.checked(top)
        if not checked.complete:
            raise InvalidInput(f"image {name}: some of its blobs are not in the content store")
        plan["entries"].append(top)
        plan["blobs"] += checked.required()
        return plan
    if not image.is_index:
        raise InvalidInput(f"image {name} points at a {top['mediaType']}, not an image")
    if image.index is None:
        raise InvalidInput(f"image {name}: its index {top['digest']} is not in the content store")
    _plan_platforms(image, plan, wanted, all_platforms)
    return plan


def _plan_platforms(
    image: Image, plan: ExportPlan, wanted: Dict[str, str], all_platforms: bool
) -> None:
    """The whole index when every platform is present, else the present ones asked for."""
    top, children = image.top, image.entries()
    present = [m.descriptor for m in image.present()]
    chosen = choose(present, wanted, all_platforms)
    if not chosen:
        listed = ", ".join(listed_platforms(children))
        asked = "any platform" if all_platforms else format_platform(wanted)
        raise InvalidInput(
            f"image {plan['name']}: no manifest for {asked} is present locally (the index "
            f"lists {listed or 'no platforms'})"
        )
    plan["platforms"] = listed_platforms(chosen)
    for m in chosen:
        plan["blobs"] += image.checked(m).required()
    if len(present) == len(children):
        plan["entries"].append(top)
        plan["blobs"].insert(0, top)
        return
    plan["entries"] += [
        {k: m[k] for k in ("mediaType", "digest", "size", "platform") if k in m} for m in chosen
    ]
    missing = [
        format_platform(m.get("platform") or {}) for m in children if not image.checked(m).complete
    ]
    plan["note"] = (
        f"index {top['digest']} is only partly present (missing: {', '.join(missing)}); "
        f"exported the present manifest(s) {', '.join(m['digest'] for m in chosen)} instead"
    )


def _json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), sort_keys=True).encode()


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    info.mtime = _MTIME
    tar.addfile(info, io.BytesIO(data))


def _add_dir(tar: tarfile.TarFile, name: str) -> None:
    info = tarfile.TarInfo(name + "/")
    info.type = tarfile.DIRTYPE
    info.mode = 0o755
    info.mtime = _MTIME
    tar.addfile(info)


def _add_blob(tar: tarfile.TarFile, conn: Connection, descriptor: Mapping[str, Any]) -> None:
    digest = descriptor["digest"]
    info = tarfile.TarInfo("blobs/sha256/" + digest.split(":", 1)[1])
    info.size = int(descriptor["size"])
    info.mode = 0o644
    info.mtime = _MTIME
    chunks = (c["data"] for c in conn.stream(content.READ, {"digest": digest}))
    reader = _StreamReader(chunks, digest)
    tar.addfile(info, reader)  # tarfile raises if the blob is shorter than declared
    if reader.read(1):
        raise InvalidInput(f"content {digest} is longer than its descriptor says")
    reader.check()


class ExportedImage(TypedDict):
    name: str
    digest: str  # the exported top-level descriptor's
    media_type: str
    source_digest: str  # the record's target
    platforms: List[str]
    note: str


class ExportResult(TypedDict):
    path: str
    size: int
    images: List[ExportedImage]


def _index_entries(plans: Sequence[ExportPlan]) -> Tuple[List[Dict[str, Any]], List[ExportedImage]]:
    """index.json's entries, each annotated with its image's name, and the result rows."""
    entries: List[Dict[str, Any]] = []
    images: List[ExportedImage] = []
    for plan in plans:
        for entry in plan["entries"]:
            annotations = {
                ANNOTATION_IMAGE_NAME: plan["name"],
                ANNOTATION_REF_NAME: ref_name_annotation(plan["name"]),
            }
            entries.append({**entry, "annotations": annotations})
            images.append(
                {
                    "name": plan["name"],
                    "digest": entry["digest"],
                    "media_type": entry["mediaType"],
                    "source_digest": plan["source_digest"],
                    "platforms": plan["platforms"],
                    "note": plan["note"],
                }
            )
    return entries, images


def _write_layout(
    conn: Connection, f: BinaryIO, index: Dict[str, Any], blobs: Dict[str, Dict[str, Any]]
) -> None:
    with tarfile.open(fileobj=f, mode="w", format=tarfile.PAX_FORMAT) as tar:
        _add_bytes(tar, "oci-layout", b'{"imageLayoutVersion":"1.0.0"}')
        _add_bytes(tar, "index.json", _json(index))
        _add_dir(tar, "blobs")
        _add_dir(tar, "blobs/sha256")
        for digest in sorted(blobs):
            _add_blob(tar, conn, blobs[digest])


def _replace_atomically(path: str, write: Callable[[BinaryIO], None]) -> None:
    """``write`` into a temporary file beside ``path``, fsync, rename over it, fsync the
    directory; the mode is what the umask gives a new file."""
    directory = os.path.dirname(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def export_images(
    conn: Connection,
    names: Sequence[str],
    path: str,
    platform: Optional[str] = None,
    all_platforms: bool = False,
) -> ExportResult:
    """Write ``names`` to an OCI layout tar at ``path``; returns what went into it."""
    if not names:
        raise InvalidInput("name at least one image to export")
    wanted = parse_platform(platform)
    plans = [_plan_image(conn, name, wanted, all_platforms) for name in names]
    entries, images = _index_entries(plans)
    blobs: Dict[str, Dict[str, Any]] = {}
    for plan in plans:
        for blob in plan["blobs"]:
            blobs.setdefault(blob["digest"], blob)
    index = {"schemaVersion": 2, "mediaType": mt.OCI_INDEX, "manifests": entries}
    path = os.path.abspath(str(path))
    _replace_atomically(path, lambda f: _write_layout(conn, f, index, blobs))
    return {"path": path, "size": os.path.getsize(path), "images": images}

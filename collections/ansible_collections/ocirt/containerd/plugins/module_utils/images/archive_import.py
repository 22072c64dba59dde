"""Import image tarballs (OCI layout, docker-archive) into containerd, all or nothing.

Everything that can be checked without containerd is checked first (archive_tar scans and
hashes every file, archive_layout checks every descriptor an import would write). Only then
is anything written, under a lease: if writing or unpacking still fails half-way, dropping
the lease (synchronously) lets containerd's GC take back every blob and snapshot it wrote,
and no image record has been made yet, because names are recorded last. When containerd
itself goes away, the lease is kept so that the rerun resumes (see api/leases).
"""

from __future__ import annotations

from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, TypedDict

from ..api.images import delete_image, get_image, put_image
from ..api.leases import operation_lease
from ..common.defaults import DEFAULT_SNAPSHOTTER
from ..common.errors import InvalidInput
from ..registry.reference import normalize_name
from ..transport.connection import Connection
from .archive_layout import ArchiveImage, ArchiveLayout
from .archive_tar import TarArchive
from .ingest import (
    DAEMON_LOST,
    BlobSource,
    Progress,
    daemon_lost_during,
    ingest_image,
    record_image,
)
from .platforms import parse as parse_platform


class ImportedImage(TypedDict):
    """One name an import recorded."""

    name: str
    digest: str
    media_type: str
    chain_id: str


class ArchiveSource(BlobSource):
    """Blobs streamed from the tarball (or from memory for a synthesized manifest)."""

    def __init__(self, layout: ArchiveLayout) -> None:
        self.layout = layout

    def open(self, descriptor: Mapping[str, Any], offset: int = 0) -> Iterable[bytes]:
        return self.layout.open(descriptor, offset)


def open_archive(path: str) -> ArchiveLayout:
    """Scan, check and parse the tarball at ``path`` (nothing is sent to containerd)."""
    return ArchiveLayout(TarArchive(str(path)))


def _checked(
    layout: ArchiveLayout, platform: Optional[str], all_platforms: bool
) -> List[ArchiveImage]:
    wanted = parse_platform(platform)
    if not layout.images:
        raise InvalidInput(f"{layout.tar.path} holds no image")
    for image in layout.images:
        layout.plan(image.descriptor, wanted, all_platforms)
    return layout.images


def read_archive(
    path: str, platform: Optional[str] = None, all_platforms: bool = False
) -> List[Dict[str, Any]]:
    """What importing ``path`` would create: [{'names', 'descriptor'}], fully checked.

    Raises the same errors an import would, before touching containerd; check mode uses it.
    An image named only by a tag-only ref.name has ``names == []`` (see archive_layout).
    """
    layout = open_archive(path)
    return [
        {"names": list(image.names), "descriptor": dict(image.descriptor)}
        for image in _checked(layout, platform, all_platforms)
    ]


def _select(
    images: Sequence[ArchiveImage], names: Optional[Sequence[str]], path: str
) -> List[Tuple[ArchiveImage, List[str]]]:
    """Which images to import, each with the names it gets.

    Without ``names``: every image, with its own names. With ``names``: a one-image archive's
    image gets exactly those names; in an archive of several images, the one image that
    already carries one of them is imported (under the given names).
    """
    if names:
        given = list(dict.fromkeys(normalize_name(n) for n in names))
        chosen = list(images)
        if len(images) > 1:
            chosen = [i for i in images if set(i.names) & set(given)]
            if len(chosen) != 1:
                held = sorted(n for i in images for n in i.names)
                raise InvalidInput(
                    f"{path} holds {len(images)} images ({', '.join(held) or 'unnamed'}); "
                    f"none or several of them are named {', '.join(given)}"
                )
        return [(chosen[0], given)]
    out = []
    for image in images:
        if not image.names:
            hint = (
                f" (its org.opencontainers.image.ref.name is only the tag {image.tag_only[0]!r})"
                if image.tag_only
                else ""
            )
            raise InvalidInput(
                f"{path}: image {image.descriptor['digest']} has no name in the archive"
                f"{hint}; give the name(s) to import it as"
            )
        out.append((image, list(image.names)))
    return out


def import_archive(
    conn: Connection,
    path: str,
    names: Optional[Sequence[str]] = None,
    platform: Optional[str] = None,
    all_platforms: bool = False,
    snapshotter: Optional[str] = DEFAULT_SNAPSHOTTER,
    progress: Optional[Progress] = None,
) -> List[ImportedImage]:
    """Import the images of ``path``; one result row per name recorded.

    ``names`` replaces the archive's own names (and, in an archive of several images, picks
    the one already carrying one of them); ``platform``
    ("linux/arm64") picks the manifest of a multi-platform index, default this machine;
    ``snapshotter=None`` imports without unpacking. Returns
    [{'name', 'digest', 'media_type', 'chain_id'}].
    """
    layout = open_archive(path)
    images = _checked(layout, platform, all_platforms)
    selected = _select(images, names, str(path))
    wanted = parse_platform(platform)
    source = ArchiveSource(layout)
    rows: List[ImportedImage] = []
    created: List[str] = []
    with (
        daemon_lost_during(f"the import of {path}"),
        operation_lease(conn, f"import {path}", keep_on=DAEMON_LOST) as lease,
    ):
        recorded = []
        for image, _ in selected:
            top = {k: v for k, v in image.descriptor.items() if k != "platform"}
            result = ingest_image(
                conn, source, top, wanted, all_platforms, lease=lease, progress=progress
            )
            recorded.append(record_image(conn, [], result, snapshotter, lease))
        try:
            for (_, image_names), record in zip(selected, recorded):
                for name in image_names:
                    if get_image(conn, name) is None:
                        created.append(name)
                    put_image(conn, name, record["target"], lease=lease)
                    rows.append(
                        {
                            "name": name,
                            "digest": record["target"]["digest"],
                            "media_type": record["target"]["media_type"],
                            "chain_id": record["chain_id"],
                        }
                    )
        except BaseException:
            for name in created:  # an all-or-nothing import: take back what it named
                delete_image(conn, name)
            raise
    return rows

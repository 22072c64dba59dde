"""What a namespace still holds: the reason containerd refuses to delete it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List

from ..api import containers, content, images, introspection, leases, snapshots
from ..common.errors import OcirtError
from ..transport.connection import Connection
from .daemon_info import SNAPSHOTTER_TYPE


@dataclass
class NamespaceContents:
    """Images, containers and leases by name; blobs and snapshots (per snapshotter) by count.

    Everything containerd checks before it deletes a namespace (1.6-2.x: images, blobs,
    snapshots per snapshotter, containers; leases are what keeps the others alive, so they
    alone do not make a namespace non-empty).
    """

    images: List[str] = field(default_factory=list)
    containers: List[str] = field(default_factory=list)
    leases: List[str] = field(default_factory=list)
    blobs: int = 0
    snapshots: Dict[str, int] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (self.images or self.containers or self.blobs or self.snapshots)

    def describe(self, limit: int = 5) -> str:
        """'2 images (a, b), 1 container (web), 14 content blobs, 3 snapshots on overlayfs'."""
        parts = [
            _named(kind, items, limit)
            for kind, items in (
                ("images", self.images),
                ("containers", self.containers),
                ("leases", self.leases),
            )
            if items
        ]
        if self.blobs:
            parts.append(f"{self.blobs} content blobs")
        for snapshotter, count in sorted(self.snapshots.items()):
            parts.append(f"{count} snapshots on {snapshotter}")
        return ", ".join(parts) or "nothing"


def _named(kind: str, items: List[str], limit: int) -> str:
    shown = ", ".join(items[:limit]) + (", ..." if len(items) > limit else "")
    noun = kind if len(items) != 1 else kind[:-1]
    return f"{len(items)} {noun} ({shown})"


def _snapshot_counts(conn: Connection, view: Connection) -> Dict[str, int]:
    counts: Dict[str, int] = {}
    for p in introspection.list_plugins(conn, [f"type=={SNAPSHOTTER_TYPE}"]):
        if introspection.plugin_status(p) != "ok":
            continue
        try:
            count = sum(1 for _ in snapshots.iter_snapshots(view, p["id"]))
        except OcirtError:
            continue  # a snapshotter not usable on this host holds nothing
        if count:
            counts[p["id"]] = count
    return counts


def namespace_contents(conn: Connection, name: str) -> NamespaceContents:
    """Ask containerd what namespace ``name`` holds."""
    view = conn.with_namespace(name)
    return NamespaceContents(
        images=sorted(i["name"] for i in images.list_images(view)),
        containers=sorted(c["id"] for c in containers.list_containers(view)),
        leases=sorted(le["id"] for le in leases.list_leases(view)),
        blobs=sum(1 for _ in content.iter_content(view)),
        snapshots=_snapshot_counts(conn, view),
    )

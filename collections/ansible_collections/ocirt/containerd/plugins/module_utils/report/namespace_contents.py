"""What a namespace still holds: the reason containerd refuses to delete it."""

from __future__ import annotations

from typing import Any, Dict, List

from ..api import containers, content, images, introspection, leases, snapshots
from ..common.errors import OcirtError
from ..transport.connection import Connection
from .daemon_info import SNAPSHOTTER_TYPE


def namespace_contents(conn: Connection, name: str) -> Dict[str, Any]:
    """Images, containers and leases by name; blobs and snapshots by count.

    Everything containerd checks before it deletes a namespace (1.6-2.x: images, blobs,
    snapshots per snapshotter, containers; leases are what keeps the others alive).
    """
    view = conn.with_namespace(name)
    snapshot_counts: Dict[str, int] = {}
    for p in introspection.list_plugins(conn, [f"type=={SNAPSHOTTER_TYPE}"]):
        if introspection.plugin_status(p) != "ok":
            continue
        try:
            count = sum(1 for _ in snapshots.iter_snapshots(view, p["id"]))
        except OcirtError:
            continue  # a snapshotter not usable on this host holds nothing
        if count:
            snapshot_counts[p["id"]] = count
    return {
        "images": sorted(i["name"] for i in images.list_images(view)),
        "containers": sorted(c["id"] for c in containers.list_containers(view)),
        "leases": sorted(le["id"] for le in leases.list_leases(view)),
        "blobs": sum(1 for _ in content.iter_content(view)),
        "snapshots": snapshot_counts,
    }


def is_empty(contents: Dict[str, Any]) -> bool:
    return not any(contents[k] for k in ("images", "containers", "blobs", "snapshots"))


def describe_contents(contents: Dict[str, Any], limit: int = 5) -> str:
    """'2 images (a, b), 1 container (web), 14 blobs, 3 snapshots on overlayfs'."""

    def names(kind: str, items: List[str]) -> str:
        shown = ", ".join(items[:limit]) + (", ..." if len(items) > limit else "")
        noun = kind if len(items) != 1 else kind[:-1]
        return f"{len(items)} {noun} ({shown})"

    parts = []
    for kind in ("images", "containers", "leases"):
        if contents[kind]:
            parts.append(names(kind, contents[kind]))
    if contents["blobs"]:
        parts.append(f"{contents['blobs']} content blobs")
    for snapshotter, count in sorted(contents["snapshots"].items()):
        parts.append(f"{count} snapshots on {snapshotter}")
    return ", ".join(parts) or "nothing"

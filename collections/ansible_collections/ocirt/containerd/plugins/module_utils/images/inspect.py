"""What an image record is: platforms, sizes, unpack state and the image config.

Read-only and made from the record, the content store and the snapshotter only, so it
describes images pulled or imported by anyone (ocirt, ctr, the CRI) the same way.
Sizes follow ctr: ``size`` is the compressed size of the blobs present for the chosen platform
(index + manifest + config + layers); ``unpacked_size`` sums the snapshotter's usage of
each layer's snapshot. A platform is ``present`` when the graph says it is complete
(``graph.PlatformManifest.complete``). (Right after `ctr images import` other platforms'
blobs may linger until the next GC.)
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, TypedDict

from ..api import images as images_api
from ..api import snapshots
from ..common.defaults import DEFAULT_SNAPSHOTTER
from ..common.errors import NotFound, OcirtError
from ..transport.connection import Connection
from .graph import Image, PlatformManifest, config_platform, diff_ids, record_image
from .platforms import format_platform
from .platforms import parse as parse_platform


class PlatformRow(TypedDict):
    platform: str
    digest: str
    present: bool


class LayerRow(TypedDict):
    digest: str
    size: int
    media_type: str
    diff_id: str


class ConfigView(TypedDict):
    entrypoint: Optional[List[str]]
    cmd: Optional[List[str]]
    env: List[str]
    user: str
    working_dir: str
    exposed_ports: List[str]
    labels: Dict[str, str]
    stop_signal: str
    volumes: List[str]


class ImageView(TypedDict):
    """The inspect view of one image record (image_info's ``images[]``)."""

    name: str
    digest: str
    media_type: str
    platform: str
    manifest_digest: str
    platforms: List[PlatformRow]
    size: int
    unpacked: bool
    unpacked_size: int
    chain_id: str
    created: str
    labels: Dict[str, str]
    config: ConfigView
    layers: List[LayerRow]
    created_at: Any
    updated_at: Any


class ImageRow(TypedDict):
    """One row of ``list_images``."""

    name: str
    digest: str
    media_type: str
    size: int
    platforms: List[str]
    unpacked: bool


def _rows(image: Image, chosen: Optional[PlatformManifest]) -> List[PlatformRow]:
    if image.is_index:
        return [
            {
                "platform": format_platform(m.descriptor.get("platform") or {}),
                "digest": m.digest,
                "present": m.complete,
            }
            for m in map(image.checked, image.entries())
        ]
    if chosen is None:
        return []
    platform = config_platform(chosen.config or {})
    return [{"platform": platform, "digest": chosen.digest, "present": chosen.complete}]


def _layers(chosen: PlatformManifest) -> List[LayerRow]:
    ids = diff_ids(chosen.config or {})
    return [
        {
            "digest": layer["digest"],
            "size": layer["size"],
            "media_type": layer.get("mediaType", ""),
            "diff_id": ids[i] if i < len(ids) else "",
        }
        for i, layer in enumerate(chosen.layers)
    ]


def _config_view(config: Mapping[str, Any]) -> ConfigView:
    c = config.get("config") or {}
    return {
        "entrypoint": c.get("Entrypoint"),
        "cmd": c.get("Cmd"),
        "env": list(c.get("Env") or []),
        "user": c.get("User", ""),
        "working_dir": c.get("WorkingDir", ""),
        "exposed_ports": sorted(c.get("ExposedPorts") or {}),
        "labels": dict(c.get("Labels") or {}),
        "stop_signal": c.get("StopSignal", ""),
        "volumes": sorted(c.get("Volumes") or {}),
    }


def _size(image: Image, chosen: Optional[PlatformManifest]) -> int:
    """Compressed bytes present of the index (if any), the manifest and its children."""
    blobs: List[Mapping[str, Any]] = [image.top] if image.is_index else []
    if chosen is not None and chosen.manifest is not None:
        blobs += chosen.required()
    return sum(int(b["size"]) for b in blobs if image.provider.present(b))


def describe(
    conn: Connection,
    record: Mapping[str, Any],
    snapshotter: Optional[str] = DEFAULT_SNAPSHOTTER,
    platform: Optional[str] = None,
) -> ImageView:
    """The inspect view of an image record (see inspect_image)."""
    image = record_image(conn, record)
    chosen = image.best_present(parse_platform(platform))
    described = chosen if chosen is not None and chosen.manifest is not None else None
    config = (described.config if described else None) or {}
    unpacked, unpacked_size, chain_id = _unpacked(conn, described, snapshotter)
    return {
        "name": record["name"],
        "digest": image.top["digest"],
        "media_type": image.media_type,
        "platform": config_platform(config) if config else "",
        "manifest_digest": described.digest if described else "",
        "platforms": _rows(image, described),
        "size": _size(image, described),
        "unpacked": unpacked,
        "unpacked_size": unpacked_size,
        "chain_id": chain_id,
        "created": config.get("created", ""),
        "labels": dict(record.get("labels") or {}),
        "config": _config_view(config),
        "layers": _layers(described) if described else [],
        "created_at": record.get("created_at"),
        "updated_at": record.get("updated_at"),
    }


def _unpacked(
    conn: Connection, chosen: Optional[PlatformManifest], snapshotter: Optional[str]
) -> Tuple[bool, int, str]:
    """(unpacked, disk usage of the layers' snapshots, top chain ID)."""
    ids = chosen.chain_ids() if chosen is not None else []
    if not ids or not snapshotter:
        return False, 0, ids[-1] if ids else ""
    total = 0
    for chain_id in ids:
        if snapshots.stat_snapshot(conn, snapshotter, chain_id) is None:
            return False, 0, ids[-1]
        try:
            total += int(snapshots.usage(conn, snapshotter, chain_id).get("size", 0))
        except OcirtError:
            pass  # usage is informative; a snapshotter without it still counts as unpacked
    return True, total, ids[-1]


def inspect_image(
    conn: Connection,
    name: str,
    snapshotter: Optional[str] = DEFAULT_SNAPSHOTTER,
    platform: Optional[str] = None,
) -> ImageView:
    """Everything about one image; raises NotFound naming the image and namespace."""
    record = images_api.get_image(conn, name)
    if record is None:
        raise NotFound(f"no image {name!r} in namespace {conn.namespace!r}")
    return describe(conn, record, snapshotter, platform)


def list_images(
    conn: Connection,
    filters: Sequence[str] = (),
    snapshotter: Optional[str] = DEFAULT_SNAPSHOTTER,
) -> List[ImageRow]:
    """Summary rows, sorted by name; ``filters`` as containerd's (``name~=busybox``,
    ``labels."k"==v``)."""
    rows: List[ImageRow] = []
    for record in images_api.list_images(conn, filters):
        view = describe(conn, record, snapshotter)
        rows.append(
            {
                "name": view["name"],
                "digest": view["digest"],
                "media_type": view["media_type"],
                "size": view["size"],
                "platforms": [p["platform"] for p in view["platforms"]],
                "unpacked": view["unpacked"],
            }
        )
    return sorted(rows, key=lambda r: r["name"])

"""What an image record is: platforms, sizes, unpack state and the image config.

Read-only and made from the record, the content store and the snapshotter only, so it
describes images pulled or imported by anyone (ocirt, ctr, the CRI) the same way.
Sizes follow ctr: ``size`` is the compressed size of the blobs present for the chosen platform
(index + manifest + config + layers); ``unpacked_size`` sums the snapshotter's usage of
each layer's snapshot.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

from ..api import content, snapshots
from ..api import images as images_api
from ..common import media_types as mt
from ..common.defaults import DEFAULT_SNAPSHOTTER
from ..common.errors import NotFound, OcirtError
from ..transport.connection import Connection
from . import documents
from .platforms import format_platform, select_manifests
from .platforms import parse as parse_platform
from .unpack import chain_ids


def _info(conn: Connection, digest: str) -> Optional[Dict[str, Any]]:
    return content.content_info(conn, digest)


def _json(
    conn: Connection,
    descriptor: Mapping[str, Any],
    what: str,
    parse: Callable[[bytes, str], Dict[str, Any]],
) -> Optional[Dict[str, Any]]:
    """The document, shape-checked by ``parse`` (see documents), or None if not stored."""
    if _info(conn, descriptor["digest"]) is None:
        return None
    return parse(content.read_blob(conn, descriptor["digest"]), what)


def _platforms(
    conn: Connection, top: Dict[str, Any], wanted: Dict[str, str]
) -> Tuple[List[Dict[str, Any]], Optional[Dict[str, Any]], List[str]]:
    """(platform rows, the chosen manifest descriptor, digests of the index if any).

    A platform is ``present`` when its manifest, config and layers all are. (Right after
    `ctr images import` other platforms' blobs may linger until the next GC.)
    """
    if mt.is_manifest(top["mediaType"]):
        return [], top, []
    index = (
        _json(conn, top, f"index {top['digest']}", documents.parse_index)
        if mt.is_index(top["mediaType"])
        else None
    )
    if index is None:
        return [], None, [top["digest"]]
    rows = []
    present = []
    for entry in index["manifests"]:
        if not mt.is_manifest(entry["mediaType"]):
            continue
        here = _complete(conn, entry)
        rows.append(
            {
                "platform": format_platform(entry.get("platform") or {}),
                "digest": entry["digest"],
                "present": here,
            }
        )
        if here:
            present.append(entry)
    chosen = select_manifests(present, wanted)[:1] or present[:1]
    return rows, (chosen[0] if chosen else None), [top["digest"]]


def _complete(conn: Connection, descriptor: Mapping[str, Any]) -> bool:
    """The manifest, its config and every layer are in the content store."""
    manifest = _json(conn, descriptor, f"manifest {descriptor['digest']}", documents.parse_manifest)
    if manifest is None:
        return False
    kids = mt.children(descriptor["mediaType"], manifest)
    return all(_info(conn, k["digest"]) is not None for k in kids)


def _config_view(config: Mapping[str, Any]) -> Dict[str, Any]:
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


def describe(
    conn: Connection,
    record: Mapping[str, Any],
    snapshotter: Optional[str] = DEFAULT_SNAPSHOTTER,
    platform: Optional[str] = None,
) -> Dict[str, Any]:
    """The inspect view of an image record (see inspect_image)."""
    top = mt.from_api(record["target"])
    wanted = parse_platform(platform)
    rows, chosen, counted = _platforms(conn, top, wanted)
    manifest = (
        _json(conn, chosen, f"manifest {chosen['digest']}", documents.parse_manifest)
        if chosen
        else None
    )
    config: Dict[str, Any] = {}
    layers: List[Dict[str, Any]] = []
    blobs: List[Mapping[str, Any]] = [top] if counted else []
    if manifest is not None and chosen is not None:
        blobs.append(chosen)
        config_descriptor = manifest["config"]
        config = _json(conn, config_descriptor, "image config", documents.parse_config) or {}
        blobs += mt.children(chosen["mediaType"], manifest)
        diff_ids = (config.get("rootfs") or {}).get("diff_ids") or []
        for i, layer in enumerate(manifest.get("layers") or []):
            layers.append(
                {
                    "digest": layer["digest"],
                    "size": layer["size"],
                    "media_type": layer.get("mediaType", ""),
                    "diff_id": diff_ids[i] if i < len(diff_ids) else "",
                }
            )
        if not rows:
            rows = [
                {"platform": _config_platform(config), "digest": chosen["digest"], "present": True}
            ]
    size = sum(int(b["size"]) for b in blobs if _info(conn, b["digest"]) is not None)
    unpacked, unpacked_size, chain_id = _unpacked(conn, config, snapshotter)
    return {
        "name": record["name"],
        "digest": top["digest"],
        "media_type": top["mediaType"],
        "platform": _config_platform(config) if config else "",
        "manifest_digest": chosen["digest"] if chosen else "",
        "platforms": rows,
        "size": size,
        "unpacked": unpacked,
        "unpacked_size": unpacked_size,
        "chain_id": chain_id,
        "created": config.get("created", ""),
        "labels": dict(record.get("labels") or {}),
        "config": _config_view(config),
        "layers": layers,
        "created_at": record.get("created_at"),
        "updated_at": record.get("updated_at"),
    }


def _config_platform(config: Mapping[str, Any]) -> str:
    return format_platform(
        {
            "os": config.get("os", ""),
            "architecture": config.get("architecture", ""),
            "variant": config.get("variant", ""),
        }
    )


def _unpacked(
    conn: Connection, config: Mapping[str, Any], snapshotter: Optional[str]
) -> Tuple[bool, int, str]:
    ids = chain_ids((config.get("rootfs") or {}).get("diff_ids") or [])
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
) -> Dict[str, Any]:
    """Everything about one image; raises NotFound naming the image and namespace."""
    record = images_api.get_image(conn, name)
    if record is None:
        raise NotFound(f"no image {name!r} in namespace {conn.namespace!r}")
    return describe(conn, record, snapshotter, platform)


def list_images(
    conn: Connection,
    filters: Sequence[str] = (),
    snapshotter: Optional[str] = DEFAULT_SNAPSHOTTER,
) -> List[Dict[str, Any]]:
    """Summary rows {'name', 'digest', 'media_type', 'size', 'platforms', 'unpacked'},
    sorted by name; ``filters`` as containerd's (``name~=busybox``, ``labels."k"==v``)."""
    rows = []
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

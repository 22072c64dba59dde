"""Whether an image recorded in containerd is complete for a platform, and unpacked.

An image record can point at an index whose platform manifest, config or layers are missing
(pulled for another platform, or garbage-collected): such an image is not "present" for
idempotency's sake, and a pull is due.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Mapping, Optional

from ..api import content, snapshots
from ..common import media_types as mt
from ..common.defaults import DEFAULT_SNAPSHOTTER
from ..transport.connection import Connection
from . import documents
from .platforms import select_manifests
from .unpack import chain_ids


def _read_json(
    conn: Connection, digest: str, parse: Callable[[bytes, str], Dict[str, Any]]
) -> Optional[Dict[str, Any]]:
    """The document, shape-checked by ``parse`` (see documents), or None if not stored."""
    if content.content_info(conn, digest) is None:
        return None
    return parse(content.read_blob(conn, digest), digest)


def local_state(
    conn: Connection,
    target: Mapping[str, Any],
    wanted_platform: Dict[str, str],
    snapshotter: Optional[str] = DEFAULT_SNAPSHOTTER,
) -> Dict[str, Any]:
    """{'complete': bool, 'unpacked': bool, 'missing': [digests], 'manifest': digest|None}."""
    missing: List[str] = []
    media, digest = target["media_type"], target["digest"]
    manifest_digest: Optional[str] = digest
    if mt.is_index(media):
        index = _read_json(conn, digest, documents.parse_index)
        if index is None:
            return {"complete": False, "unpacked": False, "missing": [digest], "manifest": None}
        entries = [m for m in index["manifests"] if mt.is_manifest(m["mediaType"])]
        chosen = select_manifests(entries, wanted_platform)
        if not chosen:
            return {"complete": False, "unpacked": False, "missing": [], "manifest": None}
        manifest_digest = chosen[0]["digest"]
    manifest = _read_json(conn, manifest_digest, documents.parse_manifest)
    if manifest is None:
        return {
            "complete": False,
            "unpacked": False,
            "missing": [manifest_digest],
            "manifest": None,
        }
    config = _read_json(conn, manifest["config"]["digest"], documents.parse_config)
    if config is None:
        missing.append(manifest["config"]["digest"])
    for layer in manifest.get("layers") or []:
        if content.content_info(conn, layer["digest"]) is None:
            missing.append(layer["digest"])
    unpacked = False
    if config is not None and snapshotter:
        ids = chain_ids((config.get("rootfs") or {}).get("diff_ids") or [])
        unpacked = bool(ids) and snapshots.stat_snapshot(conn, snapshotter, ids[-1]) is not None
    return {
        "complete": not missing and (unpacked or not snapshotter),
        "unpacked": unpacked,
        "missing": missing,
        "manifest": manifest_digest,
    }

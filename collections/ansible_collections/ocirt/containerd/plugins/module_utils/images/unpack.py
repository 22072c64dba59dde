"""Unpack an image's layers into a snapshotter, the way containerd's own unpacker does.

Each layer becomes a committed snapshot named by its chain ID, so `ctr run`, the CRI and
containerd's own pulls all find and share them.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, Callable, Dict, List, Mapping, Optional

from ..api import content, diff, snapshots
from ..common.errors import AlreadyExists, InvalidInput
from ..common.media_types import to_api
from ..transport.connection import Connection, LeaseRef
from . import orphan_snapshots
from .graph import chain_ids, diff_ids, layers_match

UNCOMPRESSED_LABEL = "containerd.io/uncompressed"
SNAPSHOT_REF_LABEL = "containerd.io/snapshot.ref"


def snapshot_gc_label(snapshotter: str) -> str:
    return f"containerd.io/gc.ref.snapshot.{snapshotter}"


def unpack(
    conn: Connection,
    manifest: Mapping[str, Any],
    config_descriptor: Mapping[str, Any],
    config: Mapping[str, Any],
    snapshotter: str,
    lease: Optional[LeaseRef] = None,
    wait_for_layer: Optional[Callable[[int], None]] = None,
) -> str:
    """Apply every layer not yet present; returns the top chain ID.

    ``wait_for_layer(i)`` blocks until layer i is in the content store: a pull unpacks the
    first layers while later ones are still downloading. The config blob is labelled with the
    top chain ID so the snapshots live as long as the image, and each layer blob with its
    uncompressed digest, as containerd does.
    """
    layers_match(manifest, config, "image config")
    layers = manifest.get("layers") or []
    ids = chain_ids(diff_ids(config))
    parent = ""
    for i, (layer, diff_id, chain_id) in enumerate(zip(layers, diff_ids(config), ids)):
        if wait_for_layer:
            wait_for_layer(i)
        if snapshots.stat_snapshot(conn, snapshotter, chain_id) is None:
            _apply_one(conn, layer, diff_id, chain_id, parent, snapshotter, lease)
        content.update_labels(conn, layer["digest"], {UNCOMPRESSED_LABEL: diff_id})
        parent = chain_id
    if ids:
        content.update_labels(
            conn, config_descriptor["digest"], {snapshot_gc_label(snapshotter): ids[-1]}
        )
    return ids[-1] if ids else ""


def _apply_one(
    conn: Connection,
    layer: Mapping[str, Any],
    diff_id: str,
    chain_id: str,
    parent: str,
    snapshotter: str,
    lease: Optional[LeaseRef],
) -> None:
    key = f"extract-{time.time_ns()}-{secrets.token_hex(4)} {chain_id}"
    labels = {SNAPSHOT_REF_LABEL: chain_id}
    try:
        mounts: List[Dict[str, Any]] = orphan_snapshots.prepare(
            conn, snapshotter, key, parent, labels, lease=lease
        )
    except AlreadyExists:
        return  # another unpack of the same layer is under way or done
    try:
        applied = diff.apply_layer(conn, to_api(layer), mounts)
        if applied["digest"] != diff_id:
            raise InvalidInput(
                f"layer {layer['digest']} unpacks to {applied['digest']}, "
                f"but the image config says {diff_id}"
            )
        try:
            snapshots.commit(conn, snapshotter, chain_id, key, labels, lease=lease)
        except AlreadyExists:
            pass  # a concurrent unpack committed the same chain ID first
    finally:
        snapshots.remove(conn, snapshotter, key)

"""diff.v1.Diff: apply a layer onto mounts (unpacking an image into a snapshot)."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping

from ..transport.connection import Connection, Method
from ..wire.schema import STRING, Field, MapOf, Message
from ..wire.wellknown import ANY
from .types import DESCRIPTOR, MOUNT

PROTO = "containerd/containerd api/services/diff/v1/diff.proto"
_PKG = "containerd.services.diff.v1."

APPLY_REQUEST = Message(
    _PKG + "ApplyRequest",
    PROTO,
    [
        Field(1, "diff", DESCRIPTOR),
        Field(2, "mounts", MOUNT, repeated=True),
        Field(3, "payloads", MapOf(STRING, ANY)),
    ],
)
APPLY_RESPONSE = Message(_PKG + "ApplyResponse", PROTO, [Field(1, "applied", DESCRIPTOR)])

APPLY = Method("/containerd.services.diff.v1.Diff/Apply", APPLY_REQUEST, APPLY_RESPONSE)


def apply_layer(
    conn: Connection,
    layer: Mapping[str, Any],
    mounts: List[Dict[str, Any]],
    timeout: float = 600,
) -> Dict[str, Any]:
    """Extract the (compressed) layer blob onto the mounts; returns the applied descriptor
    whose digest is the uncompressed diff ID."""
    descriptor = {k: layer[k] for k in ("media_type", "digest", "size") if k in layer}
    return conn.call(APPLY, {"diff": descriptor, "mounts": mounts}, timeout=timeout)["applied"]

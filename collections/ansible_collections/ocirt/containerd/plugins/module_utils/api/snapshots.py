"""snapshots.v1.Snapshots: the unpacked filesystem layers of each snapshotter."""

from __future__ import annotations

from typing import Any, Dict, Iterator, Sequence

from ..transport.connection import SERVER_STREAM, Connection, Method
from ..wire.schema import ENUM, STRING, Field, MapOf, Message
from ..wire.wellknown import TIMESTAMP

PROTO = "containerd/containerd api/services/snapshots/v1/snapshots.proto"
_PKG = "containerd.services.snapshots.v1."

KIND_VIEW, KIND_ACTIVE, KIND_COMMITTED = 1, 2, 3

INFO = Message(
    _PKG + "Info",
    PROTO,
    [
        Field(1, "name", STRING),
        Field(2, "parent", STRING),
        Field(3, "kind", ENUM),
        Field(4, "created_at", TIMESTAMP),
        Field(5, "updated_at", TIMESTAMP),
        Field(6, "labels", MapOf(STRING, STRING)),
    ],
)
LIST_REQUEST = Message(
    _PKG + "ListSnapshotsRequest",
    PROTO,
    [Field(1, "snapshotter", STRING), Field(2, "filters", STRING, repeated=True)],
)
LIST_RESPONSE = Message(
    _PKG + "ListSnapshotsResponse", PROTO, [Field(1, "info", INFO, repeated=True)]
)

_SERVICE = "/containerd.services.snapshots.v1.Snapshots/"
LIST = Method(_SERVICE + "List", LIST_REQUEST, LIST_RESPONSE, SERVER_STREAM)


def iter_snapshots(
    conn: Connection, snapshotter: str, filters: Sequence[str] = ()
) -> Iterator[Dict[str, Any]]:
    for batch in conn.stream(LIST, {"snapshotter": snapshotter, "filters": list(filters)}):
        yield from batch["info"]

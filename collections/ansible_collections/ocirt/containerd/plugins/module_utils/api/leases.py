"""leases.v1.Leases: references that keep content and snapshots from garbage collection."""

from __future__ import annotations

from typing import Any, Dict, List, Sequence

from ..transport.connection import Connection, Method
from ..wire.schema import STRING, Field, MapOf, Message
from ..wire.wellknown import TIMESTAMP

PROTO = "containerd/containerd api/services/leases/v1/leases.proto"
_PKG = "containerd.services.leases.v1."

LEASE = Message(
    _PKG + "Lease",
    PROTO,
    [
        Field(1, "id", STRING),
        Field(2, "created_at", TIMESTAMP),
        Field(3, "labels", MapOf(STRING, STRING)),
    ],
)
LIST_REQUEST = Message(_PKG + "ListRequest", PROTO, [Field(1, "filters", STRING, repeated=True)])
LIST_RESPONSE = Message(_PKG + "ListResponse", PROTO, [Field(1, "leases", LEASE, repeated=True)])

_SERVICE = "/containerd.services.leases.v1.Leases/"
LIST = Method(_SERVICE + "List", LIST_REQUEST, LIST_RESPONSE)


def list_leases(conn: Connection, filters: Sequence[str] = ()) -> List[Dict[str, Any]]:
    return conn.call(LIST, {"filters": list(filters)})["leases"]

"""containers.v1.Containers: container metadata records (not their running tasks)."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from ..transport.connection import Connection, Method
from ..wire.schema import STRING, Field, MapOf, Message
from ..wire.wellknown import ANY, EMPTY, FIELD_MASK, TIMESTAMP

PROTO = "containerd/containerd api/services/containers/v1/containers.proto"
_PKG = "containerd.services.containers.v1."

RUNTIME = Message(
    _PKG + "Container.Runtime", PROTO, [Field(1, "name", STRING), Field(2, "options", ANY)]
)
CONTAINER = Message(
    _PKG + "Container",
    PROTO,
    [
        Field(1, "id", STRING),
        Field(2, "labels", MapOf(STRING, STRING)),
        Field(3, "image", STRING),
        Field(4, "runtime", RUNTIME),
        Field(5, "spec", ANY),
        Field(6, "snapshotter", STRING),
        Field(7, "snapshot_key", STRING),
        Field(8, "created_at", TIMESTAMP),
        Field(9, "updated_at", TIMESTAMP),
        Field(10, "extensions", MapOf(STRING, ANY)),
        Field(11, "sandbox", STRING),  # 1.7+
    ],
)
GET_REQUEST = Message(_PKG + "GetContainerRequest", PROTO, [Field(1, "id", STRING)])
GET_RESPONSE = Message(_PKG + "GetContainerResponse", PROTO, [Field(1, "container", CONTAINER)])
LIST_REQUEST = Message(
    _PKG + "ListContainersRequest", PROTO, [Field(1, "filters", STRING, repeated=True)]
)
LIST_RESPONSE = Message(
    _PKG + "ListContainersResponse", PROTO, [Field(1, "containers", CONTAINER, repeated=True)]
)
CREATE_REQUEST = Message(_PKG + "CreateContainerRequest", PROTO, [Field(1, "container", CONTAINER)])
CREATE_RESPONSE = Message(
    _PKG + "CreateContainerResponse", PROTO, [Field(1, "container", CONTAINER)]
)
UPDATE_REQUEST = Message(
    _PKG + "UpdateContainerRequest",
    PROTO,
    [Field(1, "container", CONTAINER), Field(2, "update_mask", FIELD_MASK)],
)
UPDATE_RESPONSE = Message(
    _PKG + "UpdateContainerResponse", PROTO, [Field(1, "container", CONTAINER)]
)
DELETE_REQUEST = Message(_PKG + "DeleteContainerRequest", PROTO, [Field(1, "id", STRING)])

_SERVICE = "/containerd.services.containers.v1.Containers/"
GET = Method(_SERVICE + "Get", GET_REQUEST, GET_RESPONSE)
LIST = Method(_SERVICE + "List", LIST_REQUEST, LIST_RESPONSE)
CREATE = Method(_SERVICE + "Create", CREATE_REQUEST, CREATE_RESPONSE)
UPDATE = Method(_SERVICE + "Update", UPDATE_REQUEST, UPDATE_RESPONSE)
DELETE = Method(_SERVICE + "Delete", DELETE_REQUEST, EMPTY)


def list_containers(conn: Connection, filters: Sequence[str] = ()) -> List[Dict[str, Any]]:
    """Container records in the connection's namespace."""
    return conn.call(LIST, {"filters": list(filters)})["containers"]


def update_labels(
    conn: Connection, container_id: str, changes: Mapping[str, Optional[str]]
) -> None:
    """Set labels (None removes one) in one Update; the other labels stay as they are."""
    if not changes:
        return
    kept = {k: v for k, v in changes.items() if v is not None}
    request = {
        "container": {"id": container_id, "labels": kept},
        "update_mask": {"paths": [f"labels.{k}" for k in sorted(changes)]},
    }
    conn.call(UPDATE, request)

"""containers.v1.Containers: container metadata records (not their running tasks)."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence

from ..transport.connection import Connection, Service
from ..wire.schema import STRING, Field, MapOf, Proto
from ..wire.wellknown import ANY, EMPTY, FIELD_MASK, TIMESTAMP

PROTO = "containerd/containerd api/services/containers/v1/containers.proto"
_FILE = Proto(PROTO, "containerd.services.containers.v1")

RUNTIME = _FILE.message("Container.Runtime", Field(1, "name", STRING), Field(2, "options", ANY))
CONTAINER = _FILE.message(
    "Container",
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
)
_ID = Field(1, "id", STRING)
_CONTAINER = Field(1, "container", CONTAINER)
GET_REQUEST = _FILE.message("GetContainerRequest", _ID)
GET_RESPONSE = _FILE.message("GetContainerResponse", _CONTAINER)
LIST_REQUEST = _FILE.message("ListContainersRequest", Field(1, "filters", STRING, repeated=True))
LIST_RESPONSE = _FILE.message(
    "ListContainersResponse", Field(1, "containers", CONTAINER, repeated=True)
)
CREATE_REQUEST = _FILE.message("CreateContainerRequest", _CONTAINER)
CREATE_RESPONSE = _FILE.message("CreateContainerResponse", _CONTAINER)
UPDATE_REQUEST = _FILE.message(
    "UpdateContainerRequest", _CONTAINER, Field(2, "update_mask", FIELD_MASK)
)
UPDATE_RESPONSE = _FILE.message("UpdateContainerResponse", _CONTAINER)
DELETE_REQUEST = _FILE.message("DeleteContainerRequest", _ID)

_SERVICE = Service("containerd.services.containers.v1.Containers")
GET = _SERVICE.method("Get", GET_REQUEST, GET_RESPONSE)
LIST = _SERVICE.method("List", LIST_REQUEST, LIST_RESPONSE)
CREATE = _SERVICE.method("Create", CREATE_REQUEST, CREATE_RESPONSE)
UPDATE = _SERVICE.method("Update", UPDATE_REQUEST, UPDATE_RESPONSE)
DELETE = _SERVICE.method("Delete", DELETE_REQUEST, EMPTY)


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

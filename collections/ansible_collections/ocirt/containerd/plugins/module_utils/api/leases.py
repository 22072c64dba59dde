"""leases.v1.Leases: references that keep content and snapshots from garbage collection.

Everything a pull or an import writes is made under a lease (the ``containerd-lease`` header),
so an interrupted run leaves nothing that outlives the lease's expiry.
"""

from __future__ import annotations

import datetime
import secrets
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

from ..transport.connection import Connection, Method
from ..transport.errors import NotFound
from ..wire.schema import BOOL, STRING, Field, MapOf, Message
from ..wire.wellknown import EMPTY, TIMESTAMP

PROTO = "containerd/containerd api/services/leases/v1/leases.proto"
_PKG = "containerd.services.leases.v1."

EXPIRE_LABEL = "containerd.io/gc.expire"

LEASE = Message(
    _PKG + "Lease",
    PROTO,
    [
        Field(1, "id", STRING),
        Field(2, "created_at", TIMESTAMP),
        Field(3, "labels", MapOf(STRING, STRING)),
    ],
)
CREATE_REQUEST = Message(
    _PKG + "CreateRequest",
    PROTO,
    [Field(1, "id", STRING), Field(3, "labels", MapOf(STRING, STRING))],
)
CREATE_RESPONSE = Message(_PKG + "CreateResponse", PROTO, [Field(1, "lease", LEASE)])
DELETE_REQUEST = Message(
    _PKG + "DeleteRequest", PROTO, [Field(1, "id", STRING), Field(2, "sync", BOOL)]
)
LIST_REQUEST = Message(_PKG + "ListRequest", PROTO, [Field(1, "filters", STRING, repeated=True)])
LIST_RESPONSE = Message(_PKG + "ListResponse", PROTO, [Field(1, "leases", LEASE, repeated=True)])

_SERVICE = "/containerd.services.leases.v1.Leases/"
CREATE = Method(_SERVICE + "Create", CREATE_REQUEST, CREATE_RESPONSE)
DELETE = Method(_SERVICE + "Delete", DELETE_REQUEST, EMPTY)
LIST = Method(_SERVICE + "List", LIST_REQUEST, LIST_RESPONSE)


def list_leases(conn: Connection, filters: Sequence[str] = ()) -> List[Dict[str, Any]]:
    return conn.call(LIST, {"filters": list(filters)})["leases"]


def create_lease(
    conn: Connection,
    expires_in: datetime.timedelta = datetime.timedelta(hours=24),
    labels: Optional[Mapping[str, str]] = None,
    prefix: str = "ocirt",
) -> str:
    """A lease that containerd's GC drops by itself after ``expires_in``."""
    expiry = datetime.datetime.now(datetime.timezone.utc) + expires_in
    all_labels = {EXPIRE_LABEL: expiry.strftime("%Y-%m-%dT%H:%M:%SZ")}
    all_labels.update(labels or {})
    lease_id = f"{prefix}-{datetime.datetime.now().strftime('%Y%m%d%H%M%S')}-{secrets.token_hex(4)}"
    return conn.call(CREATE, {"id": lease_id, "labels": all_labels})["lease"]["id"]


def delete_lease(conn: Connection, lease_id: str, sync: bool = False) -> None:
    """Drop the lease; ``sync`` waits for the garbage collection it triggers."""
    try:
        conn.call(DELETE, {"id": lease_id, "sync": sync})
    except NotFound:
        pass


@contextmanager
def temporary_lease(conn: Connection, sync_on_failure: bool = True, **kw: Any) -> Iterator[str]:
    """A lease for the duration of a block; on failure, collect what it held at once."""
    lease_id = create_lease(conn, **kw)
    try:
        yield lease_id
    except BaseException:
        delete_lease(conn, lease_id, sync=sync_on_failure)
        raise
    delete_lease(conn, lease_id)

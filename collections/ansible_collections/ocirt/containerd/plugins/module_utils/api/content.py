"""content.v1.Content: the blobs (layers, manifests, configs) of a namespace."""

from __future__ import annotations

from typing import Any, Dict, Iterator, Sequence

from ..transport.connection import SERVER_STREAM, Connection, Method
from ..wire.schema import INT64, STRING, Field, MapOf, Message
from ..wire.wellknown import TIMESTAMP

PROTO = "containerd/containerd api/services/content/v1/content.proto"
_PKG = "containerd.services.content.v1."

INFO = Message(
    _PKG + "Info",
    PROTO,
    [
        Field(1, "digest", STRING),
        Field(2, "size", INT64),
        Field(3, "created_at", TIMESTAMP),
        Field(4, "updated_at", TIMESTAMP),
        Field(5, "labels", MapOf(STRING, STRING)),
    ],
)
LIST_REQUEST = Message(
    _PKG + "ListContentRequest", PROTO, [Field(1, "filters", STRING, repeated=True)]
)
LIST_RESPONSE = Message(
    _PKG + "ListContentResponse", PROTO, [Field(1, "info", INFO, repeated=True)]
)

_SERVICE = "/containerd.services.content.v1.Content/"
LIST = Method(_SERVICE + "List", LIST_REQUEST, LIST_RESPONSE, SERVER_STREAM)


def iter_content(conn: Connection, filters: Sequence[str] = ()) -> Iterator[Dict[str, Any]]:
    """Info of every blob in the connection's namespace, streamed in batches."""
    for batch in conn.stream(LIST, {"filters": list(filters)}):
        yield from batch["info"]

"""content.v1.Content: the blobs (layers, manifests, configs) of a namespace."""

from __future__ import annotations

import hashlib
import queue
from typing import Any, Dict, Iterator, Mapping, Optional, Sequence

from ..transport.connection import BIDI_STREAM, SERVER_STREAM, Connection, Method
from ..transport.errors import AlreadyExists, InvalidInput, NotFound
from ..wire.schema import BYTES, ENUM, INT64, STRING, Field, MapOf, Message
from ..wire.wellknown import EMPTY, FIELD_MASK, TIMESTAMP

PROTO = "containerd/containerd api/services/content/v1/content.proto"
_PKG = "containerd.services.content.v1."

CHUNK_SIZE = 1024 * 1024  # what the Go client sends per WRITE, well under the 16 MiB limit

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
INFO_REQUEST = Message(_PKG + "InfoRequest", PROTO, [Field(1, "digest", STRING)])
INFO_RESPONSE = Message(_PKG + "InfoResponse", PROTO, [Field(1, "info", INFO)])
UPDATE_REQUEST = Message(
    _PKG + "UpdateRequest", PROTO, [Field(1, "info", INFO), Field(2, "update_mask", FIELD_MASK)]
)
UPDATE_RESPONSE = Message(_PKG + "UpdateResponse", PROTO, [Field(1, "info", INFO)])
LIST_REQUEST = Message(
    _PKG + "ListContentRequest", PROTO, [Field(1, "filters", STRING, repeated=True)]
)
LIST_RESPONSE = Message(
    _PKG + "ListContentResponse", PROTO, [Field(1, "info", INFO, repeated=True)]
)
DELETE_REQUEST = Message(_PKG + "DeleteContentRequest", PROTO, [Field(1, "digest", STRING)])
READ_REQUEST = Message(
    _PKG + "ReadContentRequest",
    PROTO,
    [Field(1, "digest", STRING), Field(2, "offset", INT64), Field(3, "size", INT64)],
)
READ_RESPONSE = Message(
    _PKG + "ReadContentResponse", PROTO, [Field(1, "offset", INT64), Field(2, "data", BYTES)]
)

# WriteAction
STAT, WRITE, COMMIT = 0, 1, 2

WRITE_REQUEST = Message(
    _PKG + "WriteContentRequest",
    PROTO,
    [
        Field(1, "action", ENUM),
        Field(2, "ref", STRING),
        Field(3, "total", INT64),
        Field(4, "expected", STRING),
        Field(5, "offset", INT64),
        Field(6, "data", BYTES),
        Field(7, "labels", MapOf(STRING, STRING)),
    ],
)
WRITE_RESPONSE = Message(
    _PKG + "WriteContentResponse",
    PROTO,
    [
        Field(1, "action", ENUM),
        Field(2, "started_at", TIMESTAMP),
        Field(3, "updated_at", TIMESTAMP),
        Field(4, "offset", INT64),
        Field(5, "total", INT64),
        Field(6, "digest", STRING),
    ],
)
ABORT_REQUEST = Message(_PKG + "AbortRequest", PROTO, [Field(1, "ref", STRING)])

_SERVICE = "/containerd.services.content.v1.Content/"
INFO_METHOD = Method(_SERVICE + "Info", INFO_REQUEST, INFO_RESPONSE)
UPDATE = Method(_SERVICE + "Update", UPDATE_REQUEST, UPDATE_RESPONSE)
LIST = Method(_SERVICE + "List", LIST_REQUEST, LIST_RESPONSE, SERVER_STREAM)
DELETE = Method(_SERVICE + "Delete", DELETE_REQUEST, EMPTY)
READ = Method(_SERVICE + "Read", READ_REQUEST, READ_RESPONSE, SERVER_STREAM)
WRITE_METHOD = Method(_SERVICE + "Write", WRITE_REQUEST, WRITE_RESPONSE, BIDI_STREAM)
ABORT = Method(_SERVICE + "Abort", ABORT_REQUEST, EMPTY)


def iter_content(conn: Connection, filters: Sequence[str] = ()) -> Iterator[Dict[str, Any]]:
    """Info of every blob in the connection's namespace, streamed in batches."""
    for batch in conn.stream(LIST, {"filters": list(filters)}):
        yield from batch["info"]


def content_info(conn: Connection, digest: str) -> Optional[Dict[str, Any]]:
    """The blob's info, or None if the namespace does not have it."""
    try:
        return conn.call(INFO_METHOD, {"digest": digest})["info"]
    except NotFound:
        return None


def read_blob(conn: Connection, digest: str) -> bytes:
    return b"".join(chunk["data"] for chunk in conn.stream(READ, {"digest": digest}))


def write_blob(
    conn: Connection,
    data: bytes,
    ref: str,
    labels: Optional[Mapping[str, str]] = None,
    lease: Optional[str] = None,
) -> str:
    """Ingest ``data`` through Content.Write and return its digest.

    STAT first: an earlier interrupted write under the same ref resumes from the offset the
    daemon already holds. A blob that is already present counts as written.
    """
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    total = len(data)
    outbox: queue.Queue[Optional[Dict[str, Any]]] = queue.Queue()

    def requests() -> Iterator[Dict[str, Any]]:
        while True:
            item = outbox.get()
            if item is None:
                return
            yield item

    outbox.put({"action": STAT, "ref": ref, "total": total, "expected": digest})
    replies = conn.bidi(WRITE_METHOD, requests(), lease=lease)
    try:
        status = next(replies)
        offset = status["offset"] if 0 < status["offset"] <= total else 0
        for start in range(offset, total, CHUNK_SIZE):
            outbox.put({"action": WRITE, "ref": ref, "offset": start,
                        "data": data[start : start + CHUNK_SIZE]})
        outbox.put({"action": COMMIT, "ref": ref, "total": total, "expected": digest,
                    "offset": total, "labels": dict(labels or {})})
        outbox.put(None)
        committed = ""
        for reply in replies:  # WRITE acks, then the commit answer (sent twice)
            if reply["action"] == COMMIT and reply["digest"]:
                committed = reply["digest"]
    except AlreadyExists:
        return digest
    finally:
        outbox.put(None)
    if committed and committed != digest:
        raise InvalidInput(f"containerd committed {committed}, expected {digest}")
    return digest

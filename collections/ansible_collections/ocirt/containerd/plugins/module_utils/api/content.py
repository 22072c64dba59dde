"""content.v1.Content: the blobs (layers, manifests, configs) of a namespace."""

from __future__ import annotations

import hashlib
import queue
import threading
import time
from typing import Any, Callable, Dict, Iterable, Iterator, Mapping, Optional, Sequence

from ..common.errors import AlreadyExists, InvalidInput, OcirtError, Timeout
from ..transport.connection import (
    BIDI_STREAM,
    SERVER_STREAM,
    Connection,
    LeaseRef,
    Method,
    lease_id,
)
from ..wire.schema import BYTES, ENUM, INT64, STRING, Field, MapOf, Message
from ..wire.wellknown import EMPTY, FIELD_MASK, TIMESTAMP
from .calls import call_if_found, call_or_none

PROTO = "containerd/containerd api/services/content/v1/content.proto"
_PKG = "containerd.services.content.v1."

CHUNK_SIZE = 1024 * 1024  # what the Go client sends per WRITE, well under the 16 MiB limit
WRITE_WINDOW = 4  # chunks queued ahead of gRPC at most

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
    return call_or_none(conn, INFO_METHOD, {"digest": digest}, "info")


def read_blob(conn: Connection, digest: str) -> bytes:
    return b"".join(chunk["data"] for chunk in conn.stream(READ, {"digest": digest}))


def update_labels(
    conn: Connection, digest: str, labels: Mapping[str, Optional[str]]
) -> Dict[str, Any]:
    """Set labels on a blob (None removes one); other labels stay."""
    kept = {k: v for k, v in labels.items() if v is not None}
    request = {
        "info": {"digest": digest, "labels": kept},
        "update_mask": {"paths": [f"labels.{k}" for k in sorted(labels)]},
    }
    return conn.call(UPDATE, request)["info"]


def delete_blob(conn: Connection, digest: str) -> None:
    call_if_found(conn, DELETE, {"digest": digest})


def abort_ingest(conn: Connection, ref: str) -> None:
    call_if_found(conn, ABORT, {"ref": ref})


class WriteCancelled(OcirtError):
    """The write was stopped on purpose (another part of the same operation failed)."""


class _WriteStream:
    """One Content.Write call: a bounded window of requests ahead of gRPC, and its replies.

    Every wait is bounded: by the connection's timeout for each answer or for room to send,
    at once when the call ends (grpc ends it when containerd's socket closes), and by the
    ``cancelled`` event of the operation.
    """

    def __init__(
        self,
        conn: Connection,
        ref: str,
        first: Dict[str, Any],
        lease: Optional[LeaseRef],
        cancelled: Optional[threading.Event],
    ) -> None:
        self.conn = conn
        self.ref = ref
        self.cancelled = cancelled
        self.lease = lease_id(lease)
        self.closed = False
        # bounded: a fast registry must not pile a whole layer up in memory ahead of gRPC
        self.outbox: queue.Queue = queue.Queue(maxsize=WRITE_WINDOW)
        self.outbox.put(first)
        self.replies = conn.bidi(WRITE_METHOD, self._requests(), lease=self.lease)

    def _requests(self) -> Iterator[Dict[str, Any]]:
        while not self.closed:
            try:
                item = self.outbox.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is None:
                return
            yield item

    def _check(self) -> None:
        if self.cancelled is not None and self.cancelled.is_set():
            raise WriteCancelled(f"the write of {self.ref} was cancelled")
        if self.replies.ended():
            for _reply in self.replies:  # raises the error that ended the call
                pass
            raise OcirtError(f"containerd ended the write of {self.ref} before its commit")

    def _put(self, item: Optional[Dict[str, Any]], deadline: float) -> bool:
        """Queue ``item``; False while the window is full, Timeout once ``deadline`` passed."""
        try:
            self.outbox.put(item, timeout=0.2)
            return True
        except queue.Full:
            if time.monotonic() < deadline:
                return False
        self.replies.cancel()
        raise Timeout(
            f"containerd on {self.conn.address} took no data for {self.ref} in "
            f"{self.conn.timeout:g} s: is it overloaded or hung?"
        )

    def send(self, item: Dict[str, Any]) -> None:
        deadline = time.monotonic() + self.conn.timeout
        while True:
            self._check()
            if self._put(item, deadline):
                return

    def finish(self) -> None:
        """End the requests and read the replies to the end (the commit answer, twice)."""
        deadline = time.monotonic() + self.conn.timeout
        while not self.replies.ended() and not self._put(None, deadline):
            pass
        while True:
            try:
                self.replies.next_within()
            except StopIteration:
                return

    def close(self) -> None:
        self.closed = True
        if not self.replies.ended():
            self.replies.cancel()  # containerd keeps what it has under the ref, for a resume


def write_content(
    conn: Connection,
    open_at: Callable[[int], Iterable[bytes]],
    total: int,
    expected: str,
    ref: str,
    labels: Optional[Mapping[str, str]] = None,
    lease: Optional[LeaseRef] = None,
    progress: Optional[Callable[[int], None]] = None,
    cancelled: Optional[threading.Event] = None,
) -> bool:
    """Ingest a blob through Content.Write; returns False if it was already present.

    STAT comes first: when an earlier, interrupted write under the same ``ref`` left data
    behind, the daemon reports its offset and ``open_at(offset)`` is asked only for the rest.
    containerd checks ``expected`` (digest) and ``total`` (size) itself at COMMIT, so a blob
    that does not match is refused and never becomes content. When a renewed ``lease``
    changes, the stream is ended and resumed under the new one.
    """
    stat = {"action": STAT, "ref": ref, "total": total, "expected": expected}
    stream = _WriteStream(conn, ref, stat, lease, cancelled)
    try:
        status = stream.replies.next_within()
        offset = status["offset"] if 0 < status["offset"] <= total else 0
        if progress and offset:
            progress(offset)
        for chunk in open_at(offset) if offset < total else ():
            for start in range(0, len(chunk), CHUNK_SIZE):
                if stream.lease != lease_id(lease):
                    stream = _resumed(stream, stat, offset, lease, cancelled)
                piece = chunk[start : start + CHUNK_SIZE]
                stream.send({"action": WRITE, "ref": ref, "offset": offset, "data": piece})
                offset += len(piece)
                if progress:
                    progress(len(piece))
        if offset != total:
            raise InvalidInput(f"{expected}: got {offset} bytes, the descriptor says {total}")
        commit = {"action": COMMIT, "ref": ref, "total": total, "expected": expected}
        stream.send({**commit, "offset": offset, "labels": dict(labels or {})})
        stream.finish()
    except AlreadyExists:
        return False
    finally:
        stream.close()
    return True


def _resumed(
    stream: _WriteStream,
    stat: Dict[str, Any],
    offset: int,
    lease: Optional[LeaseRef],
    cancelled: Optional[threading.Event],
) -> _WriteStream:
    """End ``stream`` and go on from ``offset`` in a new one that carries the current lease."""
    stream.finish()
    stream.close()
    fresh = _WriteStream(stream.conn, stream.ref, stat, lease, cancelled)
    held = fresh.replies.next_within()["offset"]
    if held != offset:
        fresh.close()
        raise OcirtError(
            f"containerd holds {held} bytes of {stream.ref} after a lease renewal, "
            f"ocirt sent {offset}: run the operation again to resume"
        )
    return fresh


def write_blob(
    conn: Connection,
    data: bytes,
    ref: str,
    labels: Optional[Mapping[str, str]] = None,
    lease: Optional[LeaseRef] = None,
) -> str:
    """Ingest ``data`` and return its digest; a blob already present counts as written."""
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    write_content(conn, lambda offset: [data[offset:]], len(data), digest, ref, labels, lease)
    return digest

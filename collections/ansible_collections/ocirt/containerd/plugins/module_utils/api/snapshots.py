"""snapshots.v1.Snapshots: the unpacked filesystem layers of each snapshotter."""

from __future__ import annotations

from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence

from ..transport.connection import SERVER_STREAM, Connection, LeaseRef, Method
from ..wire.schema import ENUM, INT64, STRING, Field, MapOf, Message
from ..wire.wellknown import EMPTY, FIELD_MASK, TIMESTAMP
from .calls import call_if_found, call_or_none
from .types import MOUNT

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
PREPARE_REQUEST = Message(
    _PKG + "PrepareSnapshotRequest",
    PROTO,
    [
        Field(1, "snapshotter", STRING),
        Field(2, "key", STRING),
        Field(3, "parent", STRING),
        Field(4, "labels", MapOf(STRING, STRING)),
    ],
)
MOUNTS_RESPONSE = Message(
    _PKG + "PrepareSnapshotResponse", PROTO, [Field(1, "mounts", MOUNT, repeated=True)]
)
KEY_REQUEST = Message(
    _PKG + "StatSnapshotRequest", PROTO, [Field(1, "snapshotter", STRING), Field(2, "key", STRING)]
)
STAT_RESPONSE = Message(_PKG + "StatSnapshotResponse", PROTO, [Field(1, "info", INFO)])
COMMIT_REQUEST = Message(
    _PKG + "CommitSnapshotRequest",
    PROTO,
    [
        Field(1, "snapshotter", STRING),
        Field(2, "name", STRING),
        Field(3, "key", STRING),
        Field(4, "labels", MapOf(STRING, STRING)),
    ],
)
UPDATE_REQUEST = Message(
    _PKG + "UpdateSnapshotRequest",
    PROTO,
    [Field(1, "snapshotter", STRING), Field(2, "info", INFO), Field(3, "update_mask", FIELD_MASK)],
)
USAGE_RESPONSE = Message(
    _PKG + "UsageResponse", PROTO, [Field(1, "size", INT64), Field(2, "inodes", INT64)]
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
PREPARE = Method(_SERVICE + "Prepare", PREPARE_REQUEST, MOUNTS_RESPONSE)
VIEW = Method(_SERVICE + "View", PREPARE_REQUEST, MOUNTS_RESPONSE)
MOUNTS = Method(_SERVICE + "Mounts", KEY_REQUEST, MOUNTS_RESPONSE)
COMMIT = Method(_SERVICE + "Commit", COMMIT_REQUEST, EMPTY)
REMOVE = Method(_SERVICE + "Remove", KEY_REQUEST, EMPTY)
STAT = Method(_SERVICE + "Stat", KEY_REQUEST, STAT_RESPONSE)
USAGE = Method(_SERVICE + "Usage", KEY_REQUEST, USAGE_RESPONSE)
LIST = Method(_SERVICE + "List", LIST_REQUEST, LIST_RESPONSE, SERVER_STREAM)


def iter_snapshots(
    conn: Connection, snapshotter: str, filters: Sequence[str] = ()
) -> Iterator[Dict[str, Any]]:
    for batch in conn.stream(LIST, {"snapshotter": snapshotter, "filters": list(filters)}):
        yield from batch["info"]


def stat_snapshot(conn: Connection, snapshotter: str, key: str) -> Optional[Dict[str, Any]]:
    """The snapshot's info, or None if it does not exist."""
    return call_or_none(conn, STAT, {"snapshotter": snapshotter, "key": key}, "info")


def prepare(
    conn: Connection,
    snapshotter: str,
    key: str,
    parent: str = "",
    labels: Optional[Mapping[str, str]] = None,
    lease: Optional[LeaseRef] = None,
) -> List[Dict[str, Any]]:
    """An active snapshot on top of ``parent``; returns the mounts that assemble it."""
    request = {
        "snapshotter": snapshotter,
        "key": key,
        "parent": parent,
        "labels": dict(labels or {}),
    }
    return conn.call(PREPARE, request, lease=lease)["mounts"]


def mounts(conn: Connection, snapshotter: str, key: str) -> List[Dict[str, Any]]:
    return conn.call(MOUNTS, {"snapshotter": snapshotter, "key": key})["mounts"]


def commit(
    conn: Connection,
    snapshotter: str,
    name: str,
    key: str,
    labels: Optional[Mapping[str, str]] = None,
    lease: Optional[LeaseRef] = None,
) -> None:
    request = {"snapshotter": snapshotter, "name": name, "key": key, "labels": dict(labels or {})}
    conn.call(COMMIT, request, lease=lease)


def remove(conn: Connection, snapshotter: str, key: str) -> None:
    call_if_found(conn, REMOVE, {"snapshotter": snapshotter, "key": key})


def usage(conn: Connection, snapshotter: str, key: str) -> Dict[str, int]:
    """Disk space of the snapshot itself (not its parents): {'size', 'inodes'}."""
    return conn.call(USAGE, {"snapshotter": snapshotter, "key": key})

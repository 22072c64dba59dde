"""A container's rootfs snapshot, and who is creating it, so that one abandoned half-way is cleared.

create_container prepares the snapshot (key: the container id) under a temporary lease and
creates the record after it. A create cut short in between (containerd or the ocirt process
killed) leaves the snapshot and its lease, and every later create of that name would fail
with AlreadyExists. The snapshot is therefore labelled with its creator (pid and start time
on this machine, and the lease): a later create removes it, and the lease, once that
process is gone, and still refuses while it runs (two runs creating the same container).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from ..api import leases, snapshots
from ..common import procfs
from ..common.errors import AlreadyExists
from ..images import orphan_snapshots
from ..transport.connection import Connection
from . import labels as L


def claim(lease: str) -> Dict[str, str]:
    """The label that names this process (procfs.owner_identity) and its lease as the
    snapshot's creator."""
    return {L.CREATOR: f"{procfs.owner_identity()}|{lease}"}


def clear_abandoned(conn: Connection, snapshotter: str, key: str) -> Optional[str]:
    """Remove the snapshot ``key`` if its creator is gone (None: prepare it again), else
    say why it stays."""
    info = snapshots.stat_snapshot(conn, snapshotter, key)
    if info is None:
        return None
    owner, _, lease = ((info.get("labels") or {}).get(L.CREATOR) or "").partition("|")
    if not lease:
        return "left over by another client?"
    if not procfs.owner_gone(owner):
        pid = owner.split()[2] if len(owner.split()) == 4 else owner
        return f"being created by process {pid} right now"
    snapshots.remove(conn, snapshotter, key)
    leases.delete_lease(conn, lease)
    return None


def prepare(
    conn: Connection, snapshotter: str, container_id: str, parent: str, lease: str
) -> List[Dict[str, Any]]:
    """The container's active snapshot on ``parent`` (its mounts), claimed by this process,
    clearing one an interrupted create left behind."""
    labels = claim(lease)
    try:
        return orphan_snapshots.prepare(conn, snapshotter, container_id, parent, labels, lease)
    except AlreadyExists:
        why = clear_abandoned(conn, snapshotter, container_id)
        if why:
            raise AlreadyExists(
                f"a {snapshotter} snapshot {container_id!r} already exists in "
                f"{conn.namespace or 'default'!r} ({why}): remove it or pick another name"
            ) from None
    return orphan_snapshots.prepare(conn, snapshotter, container_id, parent, labels, lease)

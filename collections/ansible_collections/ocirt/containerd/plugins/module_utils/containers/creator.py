"""Who is creating a container's rootfs snapshot, so that one abandoned half-way is cleared.

create_container prepares the snapshot (key: the container id) under a temporary lease and
creates the record after it. A create cut short in between (containerd or the ocirt process
killed) leaves the snapshot and its lease, and every later create of that name would fail
with AlreadyExists. The snapshot is therefore labelled with its creator (pid and start time
on this machine, and the lease): a later create removes it, and the lease, once that
process is gone, and still refuses while it runs (two runs creating the same container).
"""

from __future__ import annotations

import os
from typing import Dict, Optional

from ..api import leases, snapshots
from ..transport.connection import Connection
from . import labels as L


def _start_ticks(pid: int) -> Optional[str]:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def claim(lease: str) -> Dict[str, str]:
    """The label that names this process as the snapshot's creator."""
    pid = os.getpid()
    return {L.CREATOR: f"{pid}:{_start_ticks(pid)}:{lease}"}


def clear_abandoned(conn: Connection, snapshotter: str, key: str) -> Optional[str]:
    """Remove the snapshot ``key`` if its creator is gone (None: prepare it again), else
    say why it stays."""
    info = snapshots.stat_snapshot(conn, snapshotter, key)
    if info is None:
        return None
    pid, _, rest = ((info.get("labels") or {}).get(L.CREATOR) or "").partition(":")
    ticks, _, lease = rest.partition(":")
    if not pid.isdigit():
        return "left over by another client?"
    if _start_ticks(int(pid)) == ticks:
        return f"being created by process {pid} right now"
    snapshots.remove(conn, snapshotter, key)
    leases.delete_lease(conn, lease)
    return None

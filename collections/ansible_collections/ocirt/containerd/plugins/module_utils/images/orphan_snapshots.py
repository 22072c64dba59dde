"""Prepare a snapshot over the directory a killed containerd left under the ID it hands out.

containerd's overlayfs snapshotter prepares a snapshot by renaming a temporary directory to
``snapshots/<ID>`` inside a metadata transaction that it commits after. When containerd dies
between the two, the directory stays while the ID is not recorded, and the next Prepare is
handed the same ID: it fails with "failed to rename ... snapshots/<ID>: file exists", and
containerd removes the leftover as it cleans up that failed attempt (1.6, 1.7 and 2.1 alike).
So after a crash in the middle of an unpack, the first Prepare fails and the same Prepare
again succeeds; a pull or a create that gave up on the first would fail once more per
leftover before converging. Each leftover costs one retry here instead.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from ..api import snapshots
from ..common.errors import RemoteError
from ..transport.connection import Connection, LeaseRef

MAX_LEFTOVERS = 8  # leftovers one Prepare steps over: one per crash in the middle of a Prepare


def is_leftover_collision(error: RemoteError) -> bool:
    """Whether a Prepare failed on a directory an interrupted Prepare left behind."""
    text = str(error)
    return "failed to rename" in text and "/snapshots/" in text and "file exists" in text


def prepare(
    conn: Connection,
    snapshotter: str,
    key: str,
    parent: str = "",
    labels: Optional[Mapping[str, str]] = None,
    lease: Optional[LeaseRef] = None,
) -> List[Dict[str, Any]]:
    """``snapshots.prepare``, stepping over leftovers of a killed containerd."""
    for _ in range(MAX_LEFTOVERS):
        try:
            return snapshots.prepare(conn, snapshotter, key, parent, labels, lease=lease)
        except RemoteError as exc:
            if not is_leftover_collision(exc):
                raise
    return snapshots.prepare(conn, snapshotter, key, parent, labels, lease=lease)

"""One task creation per container at a time, across ocirt processes.

Two clients creating the same container's task at once break each other inside containerd
(seen with 2.1, two playbooks converging one container set: the second Create's clean-up
unmounts the rootfs the first one's process starts from, which then finds no executable,
and deletes the first one's task). containerd offers no lock, but creating a lease is atomic
and refuses an id that is taken: the lease ``ocirt-start-<container>`` is the claim. It holds
no resources, so it keeps nothing from the garbage collector, and it expires by itself.

A claim whose owner process is gone (killed mid-start) is taken over at once; a live one is
waited for, within CLAIM_WAIT, after which the caller looks again at the task: the other
client has usually started it. A process's first start in a namespace drops the leases of
single steps whose owner is gone (api/leases.drop_dead_step_leases): a claim, or a create's
snapshot lease, that containerd's death kept its owner from dropping, which the next run
may never touch again (the container found running, or created) and which would block
``namespace rm`` until it expires.
"""

from __future__ import annotations

import datetime
import hashlib
import time
from contextlib import contextmanager
from typing import Iterator, Set, Tuple

from ..api import leases
from ..common.errors import AlreadyExists, FailedPrecondition
from ..transport.connection import Connection

#: How long a start waits for another client's start of the same container (a task create
#: retries for task_recovery.RECOVERY_TIMEOUT at most, plus the start and the labels).
CLAIM_WAIT = 90.0
#: containerd's GC drops a claim its owner left (the owner's death is noticed sooner).
CLAIM_TTL = datetime.timedelta(minutes=5)
_POLL = 0.1
_MAX_ID = 76  # containerd's identifier limit
_PREFIX = "ocirt-start-"


def claim_id(container_id: str) -> str:
    """The claim's lease id: readable while it fits an identifier, else a digest."""
    lease_id = f"{_PREFIX}{container_id}"
    if len(lease_id) <= _MAX_ID:
        return lease_id
    return _PREFIX + hashlib.sha256(container_id.encode()).hexdigest()[:32]


#: (address, namespace) already swept by this process: a set of 200 starts lists once
_SWEPT: Set[Tuple[str, str]] = set()


def _sweep_once(conn: Connection) -> None:
    """leases.drop_dead_step_leases, the first time this process starts a container in
    the connection's namespace (a dead claim of the container itself is taken over in
    _try_claim whenever it is met)."""
    key = (conn.address, conn.namespace or "")
    if key not in _SWEPT:
        leases.drop_dead_step_leases(conn)
        _SWEPT.add(key)


def _try_claim(conn: Connection, lease_id: str, container_id: str) -> bool:
    """Whether this process now holds the claim (a dead owner's claim is dropped first)."""
    try:
        leases.create_lease(
            conn, CLAIM_TTL, {leases.PURPOSE_LABEL: f"start {container_id}"}, lease_id=lease_id
        )
        return True
    except AlreadyExists:
        pass
    held = leases.get_lease(conn, lease_id)
    if held is None:  # released in between
        return False
    if leases.owner_gone(held):
        leases.delete_lease(conn, lease_id)
    return False


@contextmanager
def start_claim(conn: Connection, container_id: str) -> Iterator[None]:
    """Hold the claim on starting ``container_id`` for the block, waiting for another
    client's claim to end first (FailedPrecondition after CLAIM_WAIT)."""
    lease_id = claim_id(container_id)
    _sweep_once(conn)
    deadline = time.monotonic() + CLAIM_WAIT
    while not _try_claim(conn, lease_id, container_id):
        if time.monotonic() > deadline:
            raise FailedPrecondition(
                f"container {container_id!r} is being started by another client (its lease "
                f"{lease_id} has been held for over {CLAIM_WAIT:.0f} s): run again once it is done"
            )
        time.sleep(_POLL)
    try:
        yield
    finally:
        leases.drop_quietly(conn, lease_id, sync=False)  # else it expires by itself

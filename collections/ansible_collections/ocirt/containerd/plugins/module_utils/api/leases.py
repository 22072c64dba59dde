"""leases.v1.Leases: references that keep content and snapshots from garbage collection.

Everything a pull or an import writes is made under a lease (the ``containerd-lease`` header),
so an interrupted run leaves nothing that outlives the lease's expiry. The API has no way to
change a lease's labels, so a long operation renews its lease by handing over: a fresh lease
with a later expiry takes a reference to everything the older ones hold (AddResource), then
the older ones are dropped. Every ocirt lease names its owner process, so the next ocirt run
can take over (and then drop) the leases of a run that was killed, instead of leaving them to
block ``namespace rm`` until they expire.
"""

from __future__ import annotations

import datetime
import secrets
import threading
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Set

from ..common import procfs
from ..common.errors import OcirtError
from ..transport.connection import Connection, Method
from ..wire.schema import BOOL, STRING, Field, MapOf, Message
from ..wire.wellknown import EMPTY, TIMESTAMP
from .calls import call_if_found, call_or_none

PROTO = "containerd/containerd api/services/leases/v1/leases.proto"
_PKG = "containerd.services.leases.v1."

EXPIRE_LABEL = "containerd.io/gc.expire"
OWNER_LABEL = "ocirt.owner"  # the process using it (see procfs.owner_identity)
PURPOSE_LABEL = "ocirt.purpose"  # what the lease is for, for people reading `ctr leases ls`
#: an operation's lease a later run takes over to resume it (a pull, an import)
RESUMABLE_LABEL = "ocirt.resumable"

#: An interrupted run's lease is gone this long after its last renewal at most (containerd's
#: own client takes 24 h and never renews); the next ocirt run drops it even sooner.
LEASE_TTL = datetime.timedelta(minutes=10)
RENEW_EVERY = LEASE_TTL / 5

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
RESOURCE = Message(_PKG + "Resource", PROTO, [Field(1, "id", STRING), Field(2, "type", STRING)])
ADD_RESOURCE_REQUEST = Message(
    _PKG + "AddResourceRequest", PROTO, [Field(1, "id", STRING), Field(2, "resource", RESOURCE)]
)
LIST_RESOURCES_REQUEST = Message(_PKG + "ListResourcesRequest", PROTO, [Field(1, "id", STRING)])
LIST_RESOURCES_RESPONSE = Message(
    _PKG + "ListResourcesResponse", PROTO, [Field(1, "resources", RESOURCE, repeated=True)]
)

_SERVICE = "/containerd.services.leases.v1.Leases/"
CREATE = Method(_SERVICE + "Create", CREATE_REQUEST, CREATE_RESPONSE)
DELETE = Method(_SERVICE + "Delete", DELETE_REQUEST, EMPTY)
LIST = Method(_SERVICE + "List", LIST_REQUEST, LIST_RESPONSE)
ADD_RESOURCE = Method(_SERVICE + "AddResource", ADD_RESOURCE_REQUEST, EMPTY)
LIST_RESOURCES = Method(_SERVICE + "ListResources", LIST_RESOURCES_REQUEST, LIST_RESOURCES_RESPONSE)


def owner_gone(lease: Mapping[str, Any]) -> bool:
    """Whether the ocirt process that made ``lease`` is gone (False for a lease that is not
    ocirt's: it names no owner)."""
    owner = (lease.get("labels") or {}).get(OWNER_LABEL)
    return owner is not None and procfs.owner_gone(owner)


def list_leases(conn: Connection, filters: Sequence[str] = ()) -> List[Dict[str, Any]]:
    return conn.call(LIST, {"filters": list(filters)})["leases"]


def create_lease(
    conn: Connection,
    expires_in: datetime.timedelta = LEASE_TTL,
    labels: Optional[Mapping[str, str]] = None,
    prefix: str = "ocirt",
    lease_id: str = "",
) -> str:
    """A lease that containerd's GC drops by itself after ``expires_in``, labelled as ours.

    ``lease_id`` names it (AlreadyExists if taken: a lease is then a claim, see
    containers/start_claim.py); by default a fresh id from ``prefix``.
    """
    expiry = datetime.datetime.now(datetime.timezone.utc) + expires_in
    all_labels = {
        EXPIRE_LABEL: expiry.strftime("%Y-%m-%dT%H:%M:%SZ"),
        OWNER_LABEL: procfs.owner_identity(),
    }
    all_labels.update(labels or {})
    if not lease_id:
        stamp = datetime.datetime.now().strftime("%Y%m%d%H%M%S")
        lease_id = f"{prefix}-{stamp}-{secrets.token_hex(4)}"
    return conn.call(CREATE, {"id": lease_id, "labels": all_labels})["lease"]["id"]


def get_lease(conn: Connection, lease_id: str) -> Optional[Dict[str, Any]]:
    """The lease ``lease_id``, or None."""
    found = list_leases(conn, [f'id=="{lease_id}"'])
    return found[0] if found else None


def delete_lease(conn: Connection, lease_id: str, sync: bool = False) -> None:
    """Drop the lease; ``sync`` waits for the garbage collection it triggers."""
    call_if_found(conn, DELETE, {"id": lease_id, "sync": sync})


def copy_resources(conn: Connection, source: str, target: str) -> None:
    """Make ``target`` reference everything ``source`` references (content, ingests, snapshots)."""
    held = call_or_none(conn, LIST_RESOURCES, {"id": source}, "resources")
    for resource in held or []:
        conn.call(ADD_RESOURCE, {"id": target, "resource": resource})


#: Leases this process stopped renewing after containerd went away mid-operation (the
#: owner is alive, so the label alone would not show them as stale).
_ABANDONED: Set[str] = set()


def adopt_stale_leases(conn: Connection, into: str) -> List[str]:
    """Take over the leases of ocirt runs that died (killed, or their machine rebooted) and
    those an earlier operation of this process abandoned.

    What such a run wrote moves to the lease ``into``, so a run that resumes the same pull
    reuses it, and goes when ``into`` is dropped if nothing else uses it. Returns the ids
    dropped.
    """
    dropped = []
    for lease in list_leases(conn):
        stale = lease["id"] in _ABANDONED or owner_gone(lease)
        if lease["id"] == into or not stale:
            continue
        copy_resources(conn, lease["id"], into)
        delete_lease(conn, lease["id"])
        _ABANDONED.discard(lease["id"])
        dropped.append(lease["id"])
    return dropped


def drop_dead_step_leases(conn: Connection) -> List[str]:
    """Drop the ocirt leases of processes that are gone, but for those a later run resumes
    (RESUMABLE_LABEL: adopt_stale_leases takes them over); the ids dropped.

    What is left are the leases of single steps: a container's snapshot until its record
    exists, a start claim. containerd killed during such a step leaves its lease (the
    owner could not drop it), and the next run may find nothing to redo there; dropped, the
    garbage collector takes what nothing else references, and ``namespace rm`` works again.
    """
    dropped = []
    for lease in list_leases(conn):
        if RESUMABLE_LABEL in (lease.get("labels") or {}) or not owner_gone(lease):
            continue
        delete_lease(conn, lease["id"])
        dropped.append(lease["id"])
    return dropped


def drop_quietly(conn: Connection, lease_id: str, sync: bool) -> None:
    """Cleanup on a failure path: the first error is the one to report, not this one."""
    try:
        delete_lease(conn, lease_id, sync=sync)
    except OcirtError:
        pass


@contextmanager
def temporary_lease(conn: Connection, sync_on_failure: bool = True, **kw: Any) -> Iterator[str]:
    """A lease for the duration of a block; on failure, collect what it held at once."""
    lease_id = create_lease(conn, **kw)
    try:
        yield lease_id
    except BaseException:
        drop_quietly(conn, lease_id, sync_on_failure)
        raise
    delete_lease(conn, lease_id)


class OperationLease:
    """The lease of one long operation (a pull, an import), renewed while it runs.

    ``current()`` is the lease a request should carry now; the connection asks for it each
    time it sends one, so long operations pass this object where a lease id is expected.
    A renewal creates a fresh lease, copies into it what every lease of the operation holds,
    and drops the ones older than the previous: a request started just before a renewal
    still finds its lease (content writes re-open their stream when the lease changes).
    """

    def __init__(
        self,
        conn: Connection,
        purpose: str = "",
        expires_in: datetime.timedelta = LEASE_TTL,
        renew_every: datetime.timedelta = RENEW_EVERY,
    ) -> None:
        self.conn = conn
        self.labels = {RESUMABLE_LABEL: "true"}
        if purpose:
            self.labels[PURPOSE_LABEL] = purpose[:200]
        self.expires_in = expires_in
        self.renew_every = renew_every.total_seconds()
        self.ids: List[str] = [create_lease(conn, expires_in, self.labels)]
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._renewer = threading.Thread(target=self._renew_loop, daemon=True, name="lease-renew")
        self._renewer.start()

    def current(self) -> str:
        return self.ids[-1]

    def renew(self) -> str:
        """Hand over to a fresh lease; an older one goes only once the fresh one holds all
        it held (a failure half-way keeps them all, and the next renewal tries again)."""
        with self._lock:
            if self._stopped.is_set():  # released meanwhile: a new lease would leak
                return self.current()
            fresh = create_lease(self.conn, self.expires_in, self.labels)
            self.ids.append(fresh)
            for old in self.ids[:-1]:
                copy_resources(self.conn, old, fresh)
            for old in self.ids[:-2]:
                delete_lease(self.conn, old)
            self.ids = self.ids[-2:]
        return fresh

    def _renew_loop(self) -> None:
        while not self._stopped.wait(self.renew_every):
            try:
                self.renew()
            except OcirtError:
                pass  # containerd is away: the operation itself reports it; retry next time

    def release(self, sync: bool = False) -> None:
        """Stop renewing and drop every lease of the operation."""
        self._stopped.set()
        with self._lock:
            for lease_id in self.ids:
                delete_lease(self.conn, lease_id, sync=sync)

    def release_after_failure(self) -> None:
        """Drop the leases and wait for the GC they trigger; errors give way to the first."""
        self._stopped.set()
        with self._lock:
            for lease_id in self.ids:
                drop_quietly(self.conn, lease_id, sync=True)

    def abandon(self) -> None:
        """Stop renewing and keep the leases: they expire, or the next run takes them over."""
        self._stopped.set()
        _ABANDONED.update(self.ids)


@contextmanager
def operation_lease(
    conn: Connection, purpose: str, keep_on: tuple = ()
) -> Iterator[OperationLease]:
    """An ``OperationLease`` for a block that first takes over the leases of dead ocirt runs.

    On success the leases are dropped (the result is referenced by then). On an error of a
    type in ``keep_on`` (containerd went away) and on an interruption (Ctrl-C), they are kept
    for the next run to resume from; on any other error they are dropped synchronously, so
    containerd's GC takes back at once what the operation wrote.
    """
    lease = OperationLease(conn, purpose)
    try:
        adopt_stale_leases(conn, lease.current())
        yield lease
    except BaseException as exc:
        if isinstance(exc, Exception) and not isinstance(exc, keep_on):
            lease.release_after_failure()
        else:
            lease.abandon()
        raise
    lease.release()

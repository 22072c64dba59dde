"""events.v1.Events: what containerd publishes as it happens (Subscribe), and the payloads.

Subscribe is not namespaced: it delivers the events of every namespace, unless a filter
(``namespace==<ns>``) says otherwise. Filters use containerd's filter syntax on the fields
``namespace``, ``topic`` and ``event.<field>`` (string fields only); several filters are
OR-ed, the comma-separated terms of one are AND-ed. There is no replay: only what happens
while subscribed is delivered, so a watcher subscribes first and then lists what exists.

The payload is an Any keyed by the proto full name (typeurl): ``containerd.events.TaskExit``
and so on, but ``containerd.services.images.v1.ImageCreate`` for images (api/events/image.proto
declares that package). Known payloads are decoded; others keep their raw bytes.
"""

from __future__ import annotations

import datetime
import itertools
import re
import threading
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from ..common.errors import DaemonUnavailable, InvalidInput, OcirtError
from ..transport.connection import PROBE_EVERY, SERVER_STREAM, Connection, Service
from ..wire.schema import INT64, STRING, UINT32, Field, MapOf, Message, Proto
from ..wire.wellknown import ANY, TIMESTAMP
from .tasks import _stdio
from .types import MOUNT

PROTO = "containerd/containerd api/services/events/v1/events.proto"
_FILE = Proto(PROTO, "containerd.services.events.v1")

#: containerd.services.events.v1.Envelope (1.x); containerd.types.Envelope
#: (api/types/event.proto) in 2.x, with the same fields.
#: namespace and topic: what filters see of an envelope besides ``event.<field>``
_ROUTING = [Field(2, "namespace", STRING), Field(3, "topic", STRING)]
ENVELOPE = _FILE.message(
    "Envelope", Field(1, "timestamp", TIMESTAMP), *_ROUTING, Field(4, "event", ANY)
)
SUBSCRIBE_REQUEST = _FILE.message("SubscribeRequest", Field(1, "filters", STRING, repeated=True))
SUBSCRIBE = Service("containerd.services.events.v1.Events").method(
    "Subscribe", SUBSCRIBE_REQUEST, ENVELOPE, SERVER_STREAM
)


def _events_proto(file: str, package: str = "containerd.events") -> Proto:
    return Proto(f"containerd/containerd api/events/{file}", package)


_TASK = _events_proto("task.proto")
_CID = Field(1, "container_id", STRING)
TASK_IO = _TASK.message("TaskIO", *_stdio(1))  # the four stdio fields of a task request


def _ended(first: int) -> List[Field]:
    """pid, exit_status and exited_at, numbered from ``first``: a process's end as the
    exit and delete events tell it."""
    pid, status = Field(first, "pid", UINT32), Field(first + 1, "exit_status", UINT32)
    return [pid, status, Field(first + 2, "exited_at", TIMESTAMP)]


#: TaskCreate's bundle directory and root filesystem; then the checkpoint and pid
_WHERE = [Field(2, "bundle", STRING), Field(3, "rootfs", MOUNT, repeated=True)]
_FROM_AND_PID = [Field(5, "checkpoint", STRING), Field(6, "pid", UINT32)]
_TASK_EVENTS = [
    _TASK.message("TaskCreate", _CID, *_WHERE, Field(4, "io", TASK_IO), *_FROM_AND_PID),
    _TASK.message("TaskStart", _CID, Field(2, "pid", UINT32)),
    _TASK.message("TaskDelete", _CID, *_ended(2), Field(5, "id", STRING)),
    # id: the container id for the init process, the exec id for an exec
    _TASK.message("TaskExit", _CID, Field(2, "id", STRING), *_ended(3)),
    _TASK.message("TaskOOM", _CID),
    _TASK.message("TaskExecAdded", _CID, Field(2, "exec_id", STRING)),
    _TASK.message("TaskExecStarted", _CID, Field(2, "exec_id", STRING), Field(3, "pid", UINT32)),
    _TASK.message("TaskPaused", _CID),
    _TASK.message("TaskResumed", _CID),
    _TASK.message("TaskCheckpointed", _CID, Field(2, "checkpoint", STRING)),
]

_CONTAINER = _events_proto("container.proto")
_ID = Field(1, "id", STRING)
_LABELS = Field(2, "labels", MapOf(STRING, STRING))
_CONTAINER_EVENTS = [
    _CONTAINER.message(
        "ContainerCreate",
        _ID,
        Field(2, "image", STRING),
        Field(
            3,
            "runtime",
            _CONTAINER.message(
                "ContainerCreate.Runtime", Field(1, "name", STRING), Field(2, "options", ANY)
            ),
        ),
    ),
    _CONTAINER.message(
        "ContainerUpdate",
        _ID,
        Field(2, "image", STRING),
        Field(3, "labels", MapOf(STRING, STRING)),
        Field(4, "snapshot_key", STRING),
    ),
    _CONTAINER.message("ContainerDelete", _ID),
]

_IMAGE = _events_proto("image.proto", "containerd.services.images.v1")
_NAMESPACE = _events_proto("namespace.proto")
_NAME = Field(1, "name", STRING)
_NAMED_EVENTS = [
    _IMAGE.message("ImageCreate", _NAME, _LABELS),
    _IMAGE.message("ImageUpdate", _NAME, _LABELS),
    _IMAGE.message("ImageDelete", _NAME),
    _NAMESPACE.message("NamespaceCreate", _NAME, _LABELS),
    _NAMESPACE.message("NamespaceUpdate", _NAME, _LABELS),
    _NAMESPACE.message("NamespaceDelete", _NAME),
]

_SNAPSHOT = _events_proto("snapshot.proto")
_KEY = Field(1, "key", STRING)
_SNAPSHOTTER = Field(5, "snapshotter", STRING)  # 1.7+
_CONTENT = _events_proto("content.proto")
_DIGEST = Field(1, "digest", STRING)
_STORE_EVENTS = [
    _SNAPSHOT.message("SnapshotPrepare", _KEY, Field(2, "parent", STRING), _SNAPSHOTTER),
    _SNAPSHOT.message("SnapshotCommit", _KEY, Field(2, "name", STRING), _SNAPSHOTTER),
    _SNAPSHOT.message("SnapshotRemove", _KEY, _SNAPSHOTTER),
    _CONTENT.message("ContentDelete", _DIGEST),
    _CONTENT.message("ContentCreate", _DIGEST, Field(2, "size", INT64)),  # 2.x
]

#: The payloads decoded, by the proto full name their Any's type URL ends in.
PAYLOADS: Dict[str, Message] = {
    m.full_name: m for m in [*_TASK_EVENTS, *_CONTAINER_EVENTS, *_NAMED_EVENTS, *_STORE_EVENTS]
}


@dataclass
class Event:
    """One envelope: when, in which namespace, what (topic), and the payload.

    ``payload`` is the decoded message (every field present), None for a type this library
    does not know; ``raw`` is the payload's bytes either way.
    """

    timestamp: Optional[datetime.datetime]
    namespace: str
    topic: str
    type_url: str
    payload: Optional[Dict[str, Any]]
    raw: bytes


def decode_envelope(envelope: Dict[str, Any]) -> Event:
    """The Event of a decoded Envelope, its payload decoded when its type is known."""
    any_value = envelope["event"] or {"type_url": "", "value": b""}
    url = any_value["type_url"]
    schema = PAYLOADS.get(url.rsplit("/", 1)[-1])
    return Event(
        timestamp=envelope["timestamp"],
        namespace=envelope["namespace"],
        topic=envelope["topic"],
        type_url=url,
        payload=schema.decode(any_value["value"]) if schema is not None else None,
        raw=any_value["value"],
    )


class Subscription:
    """Events as containerd publishes them, until ``close()`` (or the end of a ``with``).

    Iterating blocks until the next event; Ctrl-C interrupts the wait at once (grpc waits
    in short slices), and a daemon that dies ends it with the error every call gives then:
    a watcher looks at the socket every PROBE_EVERY s in case grpc has not noticed.
    """

    def __init__(self, conn: Connection, filters: Sequence[str] = ()) -> None:
        self.filters = list(filters)
        self._address = conn.address
        self._stream = conn.open_stream(SUBSCRIBE, {"filters": self.filters}, namespace=None)
        self._closed = threading.Event()
        watcher = threading.Thread(target=self._watch, daemon=True, name="ocirt-events-watch")
        watcher.start()

    def _watch(self) -> None:
        while not self._closed.wait(PROBE_EVERY):
            if self._stream.ended():
                return

    def __iter__(self) -> Iterator[Event]:
        try:
            for envelope in self._stream:
                yield decode_envelope(envelope)
        except OcirtError:
            if self._closed.is_set():  # closed by another thread: the end it asked for
                return
            raise
        if not self._closed.is_set():  # containerd ends its streams only when it stops
            raise DaemonUnavailable(
                f"containerd on {self._address} ended the event stream: did it stop or restart?"
            )

    def close(self) -> None:
        self._closed.set()
        self._stream.cancel()

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def subscribe(conn: Connection, filters: Sequence[str] = ()) -> Subscription:
    """Subscribe now (before listing anything whose changes should not be missed)."""
    return Subscription(conn, filters)


# -- filters -----------------------------------------------------------------------------

#: docker-like ``key=value`` terms, each standing for containerd terms that are OR-ed: a
#: container's task events name it in container_id, its record events in id.
SHORTCUTS: Dict[str, Tuple[str, ...]] = {
    "container": ("event.container_id=={}", 'topic~="^/containers/",event.id=={}'),
    "image": ('topic~="^/images/",event.name=={}', "event.image=={}"),
    "type": ('topic~="^/{}/"',),
    "event": ('topic~="/{}$"',),
}
#: type=VALUE: the topic family it selects (containerd's snapshot topics are singular).
TYPES = {
    "task": "tasks",
    "container": "containers",
    "image": "images",
    "namespace": "namespaces",
    "snapshot": "snapshot",
    "content": "content",
}
_SHORTCUT = re.compile(r"^([a-z]+)=([^=~].*)$")
_TERMS = re.compile(r'(?:[^,"]|"(?:\\.|[^"\\])*")+')


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _shortcut_value(key: str, value: str) -> str:
    if key == "type":
        if value not in TYPES:
            raise InvalidInput(f"filter type={value}: type is one of {', '.join(TYPES)}")
        return TYPES[value]
    if key == "event":
        if not re.fullmatch(r"[a-z-]+", value):
            raise InvalidInput(f"filter event={value}: an event is a word such as create, exit")
        return value
    return _quoted(value)


def _expand(term: str) -> Tuple[str, ...]:
    """The containerd terms (OR-ed) of one term: itself, or a shortcut's expansion."""
    match = _SHORTCUT.match(term.strip())
    if match is None:
        return (term.strip(),)
    key, value = match.groups()
    if key not in SHORTCUTS:
        raise InvalidInput(
            f"filter {term!r}: {key}= is not a shortcut ({', '.join(k + '=' for k in SHORTCUTS)}); "
            'containerd filters compare with ==, != or ~= (topic=="/tasks/exit")'
        )
    filled = _shortcut_value(key, value)
    return tuple(alt.format(filled) for alt in SHORTCUTS[key])


def event_filters(namespace: Optional[str], filters: Sequence[str] = ()) -> List[str]:
    """Subscribe's filters for ``filters`` (containerd's syntax, or the shortcuts) within
    ``namespace`` (None: every namespace).

    Several filters are OR-ed and a filter's comma-separated terms AND-ed, as containerd
    does; a shortcut standing for several alternatives multiplies the filter out.
    """
    alternatives: List[str] = []
    for text in filters:
        terms = [_expand(t) for t in _TERMS.findall(text) if t.strip()]
        alternatives.extend(",".join(choice) for choice in itertools.product(*terms))
    if not namespace:
        return alternatives
    scope = f"namespace=={_quoted(namespace)}"
    return [f"{scope},{alt}" if alt else scope for alt in alternatives or [""]]

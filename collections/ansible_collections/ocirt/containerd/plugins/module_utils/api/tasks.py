"""tasks.v1.Tasks: the running (or exited) processes of containers, and exec'd processes.

A task is what the shim runs for a container record; it outlives the daemon (the shim keeps
it) and is only gone after Delete, which is also what reports an exited task's status.
"""

from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ..common.errors import NotFound
from ..transport.connection import Connection, Method, PendingCall
from ..wire.schema import BOOL, ENUM, STRING, UINT32, Field, MapOf, Message
from ..wire.wellknown import ANY, EMPTY, TIMESTAMP
from .types import DESCRIPTOR, MOUNT

PROTO = "containerd/containerd api/services/tasks/v1/tasks.proto"
TASK_PROTO = "containerd/containerd api/types/task/task.proto"
METRICS_PROTO = "containerd/containerd api/types/metrics.proto"
_PKG = "containerd.services.tasks.v1."

# containerd.v1.types.Status
STATUS_UNKNOWN, STATUS_CREATED, STATUS_RUNNING, STATUS_STOPPED = 0, 1, 2, 3
STATUS_PAUSED, STATUS_PAUSING = 4, 5
STATUS_NAMES = {
    STATUS_UNKNOWN: "unknown",
    STATUS_CREATED: "created",
    STATUS_RUNNING: "running",
    STATUS_STOPPED: "stopped",
    STATUS_PAUSED: "paused",
    STATUS_PAUSING: "pausing",
}

#: Any type URL of OCI runtime-spec JSON payloads (Process for Exec, LinuxResources for Update).
OCI_PROCESS_URL = "types.containerd.io/opencontainers/runtime-spec/1/Process"
OCI_RESOURCES_URL = "types.containerd.io/opencontainers/runtime-spec/1/LinuxResources"


def _stdio(first: int) -> List[Field]:
    """stdin, stdout, stderr (FIFO paths or URIs) and terminal, numbered from ``first``: the
    same four fields in the same order in Process, CreateTaskRequest and ExecProcessRequest."""
    paths = [Field(first + i, name, STRING) for i, name in enumerate(("stdin", "stdout", "stderr"))]
    return [*paths, Field(first + 3, "terminal", BOOL)]


def _exit(first: int) -> List[Field]:
    """exit_status and exited_at, numbered from ``first``: how Process, DeleteResponse and
    WaitResponse say a process ended."""
    return [Field(first, "exit_status", UINT32), Field(first + 1, "exited_at", TIMESTAMP)]


def _process_id() -> List[Field]:
    """container_id = 1 and exec_id = 2 (empty: the task's init process): the process a
    Start, Get, Wait, Kill, CloseIO or DeleteProcess request is about."""
    return [Field(1, "container_id", STRING), Field(2, "exec_id", STRING)]


PROCESS = Message(
    "containerd.v1.types.Process",
    TASK_PROTO,
    [
        Field(1, "container_id", STRING),
        Field(2, "id", STRING),
        Field(3, "pid", UINT32),
        Field(4, "status", ENUM),
        *_stdio(5),
        *_exit(9),
    ],
)
PROCESS_INFO = Message(
    "containerd.v1.types.ProcessInfo", TASK_PROTO, [Field(1, "pid", UINT32), Field(2, "info", ANY)]
)
METRIC = Message(
    "containerd.types.Metric",
    METRICS_PROTO,
    [Field(1, "timestamp", TIMESTAMP), Field(2, "id", STRING), Field(3, "data", ANY)],
)

CREATE_REQUEST = Message(
    _PKG + "CreateTaskRequest",
    PROTO,
    [
        Field(1, "container_id", STRING),
        Field(3, "rootfs", MOUNT, repeated=True),
        *_stdio(4),
        Field(8, "checkpoint", DESCRIPTOR),
        Field(9, "options", ANY),
        Field(10, "runtime_path", STRING),
    ],
)
CREATE_RESPONSE = Message(
    _PKG + "CreateTaskResponse", PROTO, [Field(1, "container_id", STRING), Field(2, "pid", UINT32)]
)
#: StartRequest, and as the same two fields GetRequest, WaitRequest, DeleteProcessRequest.
PROCESS_REQUEST = Message(_PKG + "StartRequest", PROTO, _process_id())
#: DeleteTaskRequest, and as the same one field PauseTaskRequest, ResumeTaskRequest and
#: ListPidsRequest.
CONTAINER_REQUEST = Message(_PKG + "DeleteTaskRequest", PROTO, [Field(1, "container_id", STRING)])
START_RESPONSE = Message(_PKG + "StartResponse", PROTO, [Field(1, "pid", UINT32)])
DELETE_RESPONSE = Message(
    _PKG + "DeleteResponse", PROTO, [Field(1, "id", STRING), Field(2, "pid", UINT32), *_exit(3)]
)
GET_RESPONSE = Message(_PKG + "GetResponse", PROTO, [Field(1, "process", PROCESS)])
LIST_REQUEST = Message(_PKG + "ListTasksRequest", PROTO, [Field(1, "filter", STRING)])
LIST_RESPONSE = Message(
    _PKG + "ListTasksResponse", PROTO, [Field(1, "tasks", PROCESS, repeated=True)]
)
KILL_REQUEST = Message(
    _PKG + "KillRequest", PROTO, [*_process_id(), Field(3, "signal", UINT32), Field(4, "all", BOOL)]
)
EXEC_REQUEST = Message(
    _PKG + "ExecProcessRequest",
    PROTO,
    [
        Field(1, "container_id", STRING),
        *_stdio(2),
        Field(6, "spec", ANY),
        Field(7, "exec_id", STRING),
    ],
)
CLOSE_IO_REQUEST = Message(
    _PKG + "CloseIORequest", PROTO, [*_process_id(), Field(3, "stdin", BOOL)]
)
#: ResizePtyRequest (1.6 and 2.1 alike): the console size of a terminal process.
RESIZE_PTY_REQUEST = Message(
    _PKG + "ResizePtyRequest",
    PROTO,
    [*_process_id(), Field(3, "width", UINT32), Field(4, "height", UINT32)],
)
LIST_PIDS_RESPONSE = Message(
    _PKG + "ListPidsResponse", PROTO, [Field(1, "processes", PROCESS_INFO, repeated=True)]
)
UPDATE_REQUEST = Message(
    _PKG + "UpdateTaskRequest",
    PROTO,
    [
        Field(1, "container_id", STRING),
        Field(2, "resources", ANY),
        Field(3, "annotations", MapOf(STRING, STRING)),
    ],
)
METRICS_REQUEST = Message(
    _PKG + "MetricsRequest", PROTO, [Field(1, "filters", STRING, repeated=True)]
)
METRICS_RESPONSE = Message(
    _PKG + "MetricsResponse", PROTO, [Field(1, "metrics", METRIC, repeated=True)]
)
WAIT_RESPONSE = Message(_PKG + "WaitResponse", PROTO, _exit(1))

_SERVICE = "/containerd.services.tasks.v1.Tasks/"
CREATE = Method(_SERVICE + "Create", CREATE_REQUEST, CREATE_RESPONSE)
START = Method(_SERVICE + "Start", PROCESS_REQUEST, START_RESPONSE)
DELETE = Method(_SERVICE + "Delete", CONTAINER_REQUEST, DELETE_RESPONSE)
DELETE_PROCESS = Method(_SERVICE + "DeleteProcess", PROCESS_REQUEST, DELETE_RESPONSE)
GET = Method(_SERVICE + "Get", PROCESS_REQUEST, GET_RESPONSE)
LIST = Method(_SERVICE + "List", LIST_REQUEST, LIST_RESPONSE)
KILL = Method(_SERVICE + "Kill", KILL_REQUEST, EMPTY)
EXEC = Method(_SERVICE + "Exec", EXEC_REQUEST, EMPTY)
CLOSE_IO = Method(_SERVICE + "CloseIO", CLOSE_IO_REQUEST, EMPTY)
RESIZE_PTY = Method(_SERVICE + "ResizePty", RESIZE_PTY_REQUEST, EMPTY)
PAUSE = Method(_SERVICE + "Pause", CONTAINER_REQUEST, EMPTY)
RESUME = Method(_SERVICE + "Resume", CONTAINER_REQUEST, EMPTY)
LIST_PIDS = Method(_SERVICE + "ListPids", CONTAINER_REQUEST, LIST_PIDS_RESPONSE)
UPDATE = Method(_SERVICE + "Update", UPDATE_REQUEST, EMPTY)
METRICS = Method(_SERVICE + "Metrics", METRICS_REQUEST, METRICS_RESPONSE)
WAIT = Method(_SERVICE + "Wait", PROCESS_REQUEST, WAIT_RESPONSE)

#: Calls that wait on a shim (create mounts the rootfs and runs runc) get more time.
SHIM_TIMEOUT = 60.0


def create_task(
    conn: Connection,
    container_id: str,
    rootfs: Sequence[Mapping[str, Any]],
    stdout: str = "",
    stderr: str = "",
    stdin: str = "",
    terminal: bool = False,
    options: Optional[Mapping[str, Any]] = None,
) -> int:
    """Create the task (the shim starts, runc creates the container); returns its pid."""
    request = {
        "container_id": container_id,
        "rootfs": [dict(m) for m in rootfs],
        "stdin": stdin,
        "stdout": stdout,
        "stderr": stderr,
        "terminal": terminal,
        "options": dict(options) if options else None,
    }
    return conn.call(CREATE, request, timeout=SHIM_TIMEOUT)["pid"]


def start(conn: Connection, container_id: str, exec_id: str = "") -> int:
    request = {"container_id": container_id, "exec_id": exec_id}
    return conn.call(START, request, timeout=SHIM_TIMEOUT)["pid"]


def delete_task(conn: Connection, container_id: str) -> Optional[Dict[str, Any]]:
    """Delete an exited (or created) task: {'id', 'pid', 'exit_status', 'exited_at'}; None
    if there is no task."""
    try:
        return conn.call(DELETE, {"container_id": container_id}, timeout=SHIM_TIMEOUT)
    except NotFound:
        return None


def delete_process(conn: Connection, container_id: str, exec_id: str) -> Optional[Dict[str, Any]]:
    try:
        return conn.call(DELETE_PROCESS, {"container_id": container_id, "exec_id": exec_id})
    except NotFound:
        return None


def get_process(conn: Connection, container_id: str, exec_id: str = "") -> Optional[Dict[str, Any]]:
    """The task (or exec process) as a Process dict, or None if it does not exist."""
    try:
        return conn.call(GET, {"container_id": container_id, "exec_id": exec_id})["process"]
    except NotFound:
        return None


def list_tasks(conn: Connection, filter: str = "") -> List[Dict[str, Any]]:
    """Every task of the namespace in one call (Process dicts; ``id`` is the container id)."""
    return conn.call(LIST, {"filter": filter})["tasks"]


def kill(
    conn: Connection, container_id: str, signal: int, exec_id: str = "", all: bool = False
) -> None:
    """Send a signal; ``all`` signals every process of the container (needed for SIGKILL
    when the init process ignores signals or has children in the same cgroup)."""
    request = {"container_id": container_id, "exec_id": exec_id, "signal": signal, "all": all}
    conn.call(KILL, request)


def exec_process(
    conn: Connection,
    container_id: str,
    exec_id: str,
    process_spec: Mapping[str, Any],
    stdout: str = "",
    stderr: str = "",
    stdin: str = "",
    terminal: bool = False,
) -> None:
    """Register an extra process (OCI Process JSON) in a running task; Start runs it."""
    spec = {
        "type_url": OCI_PROCESS_URL,
        "value": json.dumps(dict(process_spec), separators=(",", ":")).encode(),
    }
    request = {
        "container_id": container_id,
        "exec_id": exec_id,
        "stdin": stdin,
        "stdout": stdout,
        "stderr": stderr,
        "terminal": terminal,
        "spec": spec,
    }
    conn.call(EXEC, request, timeout=SHIM_TIMEOUT)


def close_io(conn: Connection, container_id: str, exec_id: str = "", stdin: bool = True) -> None:
    """Close the shim's own writer on the process's stdin FIFO: only then does the process
    see end of input once the client's writer is closed too (the shim keeps one open so a
    client can attach again)."""
    conn.call(CLOSE_IO, {"container_id": container_id, "exec_id": exec_id, "stdin": stdin})


def resize_pty(
    conn: Connection, container_id: str, width: int, height: int, exec_id: str = ""
) -> None:
    """Set the console size of a terminal process (columns, lines), as the shim's
    ``console.Resize`` does; the process gets SIGWINCH from its pty."""
    request = {"container_id": container_id, "exec_id": exec_id, "width": width, "height": height}
    conn.call(RESIZE_PTY, request)


def pause(conn: Connection, container_id: str) -> None:
    conn.call(PAUSE, {"container_id": container_id})


def resume(conn: Connection, container_id: str) -> None:
    conn.call(RESUME, {"container_id": container_id})


def list_pids(conn: Connection, container_id: str) -> List[int]:
    return [p["pid"] for p in conn.call(LIST_PIDS, {"container_id": container_id})["processes"]]


def update_resources(
    conn: Connection,
    container_id: str,
    resources: Optional[Mapping[str, Any]] = None,
    annotations: Optional[Mapping[str, str]] = None,
) -> None:
    """Change a running task's cgroup limits (OCI LinuxResources JSON)."""
    request: Dict[str, Any] = {
        "container_id": container_id,
        "annotations": dict(annotations or {}),
    }
    if resources is not None:
        request["resources"] = {
            "type_url": OCI_RESOURCES_URL,
            "value": json.dumps(dict(resources), separators=(",", ":")).encode(),
        }
    conn.call(UPDATE, request)


def metrics(conn: Connection, filters: Sequence[str] = ()) -> List[Dict[str, Any]]:
    """Raw metrics ({'timestamp', 'id', 'data': Any}); filters like ``id==<container>`` are
    OR-ed, so one call serves many containers."""
    return conn.call(METRICS, {"filters": list(filters)})["metrics"]


def wait(
    conn: Connection, container_id: str, exec_id: str = "", timeout: Optional[float] = None
) -> PendingCall:
    """Register a Wait and return at once; ``.result(t)`` gives {'exit_status', 'exited_at'}.

    The call has no deadline of its own (``timeout=None``): it lasts as long as the process.
    Register it before Start so a short-lived process cannot exit unseen; ``.cancel()`` ends
    it without side effects on the task.
    """
    return conn.call_future(
        WAIT, {"container_id": container_id, "exec_id": exec_id}, timeout=timeout
    )

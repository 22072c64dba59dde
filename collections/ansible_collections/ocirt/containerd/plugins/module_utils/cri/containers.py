"""Containers of pods through the CRI: create, start, stop, remove, status, list, exec, logs.

Behaviour followed (containerd 1.6 ``pkg/cri/server/container_*.go``): CreateContainer does
not pull, the image must already be in namespace k8s.io; the log goes to
``log_directory/log_path`` of the sandbox and container configs, and is discarded without
both. StopContainer sends the image's stop signal, waits ``timeout`` seconds, then kills.
RemoveContainer force-stops a running container. ExecSync's non-zero exit is an answer, not
an error; containerd caps each of its outputs at 16 MiB.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, TypedDict

from ..common.errors import InvalidInput
from ..transport.connection import Connection
from . import runtime_service as rpc

CREATE_TIMEOUT = 120.0
GRACE = 30.0  # beyond a call's own timeout, for containerd to answer


class ExecResult(TypedDict):
    exit_code: int
    stdout: bytes
    stderr: bytes


def create_container(
    conn: Connection,
    sandbox_id: str,
    config: Mapping[str, Any],
    sandbox_config: Mapping[str, Any],
) -> str:
    """CreateContainer in a ready sandbox; the new container's id."""
    reply = conn.call(
        rpc.CREATE_CONTAINER,
        {"pod_sandbox_id": sandbox_id, "config": config, "sandbox_config": sandbox_config},
        namespace=None,
        timeout=CREATE_TIMEOUT,
    )
    return reply["container_id"]


def start_container(conn: Connection, container_id: str) -> None:
    conn.call(
        rpc.START_CONTAINER, {"container_id": container_id}, namespace=None, timeout=CREATE_TIMEOUT
    )


def stop_container(conn: Connection, container_id: str, timeout: int = 10) -> None:
    """StopContainer: the stop signal, ``timeout`` seconds of grace, then SIGKILL."""
    conn.call(
        rpc.STOP_CONTAINER,
        {"container_id": container_id, "timeout": int(timeout)},
        namespace=None,
        timeout=timeout + GRACE,
    )


def remove_container(conn: Connection, container_id: str) -> None:
    conn.call(
        rpc.REMOVE_CONTAINER, {"container_id": container_id}, namespace=None, timeout=GRACE * 2
    )


def container_status(conn: Connection, container_id: str, verbose: bool = False) -> Dict[str, Any]:
    """ContainerStatusResponse: ``status`` (state, exit_code, log_path, ...) and ``info``."""
    return conn.call(
        rpc.CONTAINER_STATUS,
        {"container_id": container_id, "verbose": verbose},
        namespace=None,
    )


def list_containers(
    conn: Connection,
    sandbox_id: str = "",
    container_id: str = "",
    labels: Optional[Mapping[str, str]] = None,
) -> List[Dict[str, Any]]:
    """ListContainers (filters are ANDed)."""
    filter_ = {
        "id": container_id,
        "pod_sandbox_id": sandbox_id,
        "label_selector": dict(labels or {}),
    }
    return conn.call(rpc.LIST_CONTAINERS, {"filter": filter_}, namespace=None)["containers"]


def exec_sync(
    conn: Connection, container_id: str, cmd: Sequence[str], timeout: int = 60
) -> ExecResult:
    """ExecSync: run ``cmd`` in the container and wait, at most ``timeout`` seconds (then
    containerd kills it and the call fails)."""
    if not cmd:
        raise InvalidInput("exec needs a command")
    if timeout <= 0:
        raise InvalidInput(f"exec timeout must be a positive number of seconds, got {timeout}")
    reply = conn.call(
        rpc.EXEC_SYNC,
        {"container_id": container_id, "cmd": list(cmd), "timeout": int(timeout)},
        namespace=None,
        timeout=timeout + GRACE,
    )
    return ExecResult(exit_code=reply["exit_code"], stdout=reply["stdout"], stderr=reply["stderr"])


def reopen_container_log(conn: Connection, container_id: str) -> None:
    """ReopenContainerLog: containerd reopens the log file (after it was rotated away)."""
    conn.call(rpc.REOPEN_CONTAINER_LOG, {"container_id": container_id}, namespace=None)

"""Pod sandboxes through the CRI: run, stop, remove, status, list.

Behaviour followed (containerd ``pkg/cri/server/sandbox_*.go`` in 1.6/1.7,
``internal/cri/server`` in 2.x): RunPodSandbox needs the sandbox ("pause") image in
namespace k8s.io under the configured name and pulls it otherwise; network mode NODE means
no network namespace and no CNI call. StopPodSandbox kills the pod's containers with no
grace period and tears the network down; RemovePodSandbox force-stops a running sandbox,
removes its containers, and succeeds for an unknown id.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from ..transport.connection import Connection
from . import runtime_service as rpc
from .container_messages import RUNNING as RUNNING_STATE
from .containers import list_containers, stop_container

RUN_TIMEOUT = 180.0  # may pull the sandbox image and run CNI
STOP_TIMEOUT = 90.0


def run_pod_sandbox(conn: Connection, config: Mapping[str, Any], runtime_handler: str = "") -> str:
    """RunPodSandbox; the new sandbox's id."""
    reply = conn.call(
        rpc.RUN_POD_SANDBOX,
        {"config": config, "runtime_handler": runtime_handler},
        namespace=None,
        timeout=RUN_TIMEOUT,
    )
    return reply["pod_sandbox_id"]


def stop_pod_sandbox(conn: Connection, sandbox_id: str) -> None:
    conn.call(
        rpc.STOP_POD_SANDBOX, {"pod_sandbox_id": sandbox_id}, namespace=None, timeout=STOP_TIMEOUT
    )


def remove_pod_sandbox(conn: Connection, sandbox_id: str) -> None:
    conn.call(
        rpc.REMOVE_POD_SANDBOX,
        {"pod_sandbox_id": sandbox_id},
        namespace=None,
        timeout=STOP_TIMEOUT,
    )


def pod_sandbox_status(conn: Connection, sandbox_id: str, verbose: bool = False) -> Dict[str, Any]:
    """PodSandboxStatusResponse: ``status`` and, with verbose, ``info['info']`` (JSON with
    the pid, the netns path in the runtime spec and the CNI result)."""
    return conn.call(
        rpc.POD_SANDBOX_STATUS,
        {"pod_sandbox_id": sandbox_id, "verbose": verbose},
        namespace=None,
    )


def list_pod_sandboxes(
    conn: Connection,
    sandbox_id: str = "",
    state: Optional[int] = None,
    labels: Optional[Mapping[str, str]] = None,
) -> List[Dict[str, Any]]:
    """ListPodSandbox (filters are ANDed): PodSandbox entries, in containerd's order."""
    filter_: Dict[str, Any] = {"id": sandbox_id, "label_selector": dict(labels or {})}
    if state is not None:
        filter_["state"] = {"state": state}
    return conn.call(rpc.LIST_POD_SANDBOX, {"filter": filter_}, namespace=None)["items"]


def stop_pod_gracefully(conn: Connection, sandbox_id: str, grace: int) -> None:
    """Each running container stopped with ``grace`` seconds (StopPodSandbox alone kills
    them at once), then the sandbox."""
    for c in list_containers(conn, sandbox_id=sandbox_id):
        if c["state"] == RUNNING_STATE:
            stop_container(conn, c["id"], grace)
    stop_pod_sandbox(conn, sandbox_id)

"""Pods as pod_info and ``ocirt pod ls|inspect`` show them: the sandbox (state, IPs,
labels) with each container's state, exit code, image, log path, and on request its
resource usage and the tail of its log (the CRI log format parsed).
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, List, Optional, TypedDict

from ..common.errors import NotFound, OcirtError
from ..cri import containers as cri_containers
from ..cri import log_format, sandboxes, stats
from ..cri.container_messages import CONTAINER_STATES
from ..cri.sandbox_messages import SANDBOX_STATES
from ..transport.connection import Connection
from . import config_hash as ch


class PodContainerReport(TypedDict, total=False):
    id: str
    name: str
    attempt: int
    state: str
    exit_code: int
    reason: str
    image: str
    image_ref: str
    created_at: Optional[str]
    started_at: Optional[str]
    finished_at: Optional[str]
    log_path: str
    labels: Dict[str, str]
    managed: bool
    stats: Optional[stats.ContainerUsage]
    log_tail: List[str]


class PodReport(TypedDict, total=False):
    id: str
    name: str
    pod_namespace: str
    uid: str
    attempt: int
    state: str
    created_at: Optional[str]
    ip: str
    additional_ips: List[str]
    network: str
    labels: Dict[str, str]
    annotations: Dict[str, str]
    runtime_handler: str
    managed: bool
    containers: List[PodContainerReport]


def _time(ns: int) -> Optional[str]:
    if not ns:
        return None
    moment = datetime.datetime.fromtimestamp(ns / 1e9, tz=datetime.timezone.utc)
    return moment.isoformat().replace("+00:00", "Z")


def _visible(annotations: Dict[str, str]) -> Dict[str, str]:
    return {k: v for k, v in annotations.items() if k not in ch.OURS}


def container_report(
    conn: Connection, container_id: str, with_stats: bool = False, log_lines: int = 0
) -> PodContainerReport:
    """One container from ContainerStatus (and ContainerStats, and its log file)."""
    st = cri_containers.container_status(conn, container_id)["status"] or {}
    meta = st.get("metadata") or {}
    report = PodContainerReport(
        id=st.get("id", container_id),
        name=meta.get("name", ""),
        attempt=meta.get("attempt", 0),
        state=CONTAINER_STATES.get(st.get("state", 3), "unknown"),
        exit_code=st.get("exit_code", 0),
        reason=st.get("reason", ""),
        image=(st.get("image") or {}).get("image", ""),
        image_ref=st.get("image_ref", ""),
        created_at=_time(st.get("created_at", 0)),
        started_at=_time(st.get("started_at", 0)),
        finished_at=_time(st.get("finished_at", 0)),
        log_path=st.get("log_path", ""),
        labels=dict(st.get("labels") or {}),
        managed=ch.stored_hash(st.get("annotations") or {}) is not None,
    )
    if with_stats:
        report["stats"] = _stats_or_none(conn, container_id, report["state"])
    if log_lines:
        lines = log_format.read_log(report["log_path"], tail=log_lines)
        report["log_tail"] = [line["text"] for line in lines]
    return report


def _stats_or_none(
    conn: Connection, container_id: str, state: str
) -> Optional[stats.ContainerUsage]:
    if state != "running":
        return None
    try:
        return stats.container_stats(conn, container_id)
    except NotFound:
        return None


def _network(status: Dict[str, Any]) -> str:
    linux = status.get("linux") or {}
    options = (linux.get("namespaces") or {}).get("options") or {}
    return "host" if options.get("network") == 2 else "pod"


def pod_report(
    conn: Connection, sandbox_id: str, with_stats: bool = False, log_lines: int = 0
) -> PodReport:
    """One pod from PodSandboxStatus, with its containers."""
    st = sandboxes.pod_sandbox_status(conn, sandbox_id)["status"] or {}
    meta = st.get("metadata") or {}
    network = st.get("network") or {}
    annotations = dict(st.get("annotations") or {})
    members = cri_containers.list_containers(conn, sandbox_id=sandbox_id)
    return PodReport(
        id=st.get("id", sandbox_id),
        name=meta.get("name", ""),
        pod_namespace=meta.get("namespace", ""),
        uid=meta.get("uid", ""),
        attempt=meta.get("attempt", 0),
        state=SANDBOX_STATES.get(st.get("state", 1), "notready"),
        created_at=_time(st.get("created_at", 0)),
        ip=network.get("ip", ""),
        additional_ips=[ip["ip"] for ip in network.get("additional_ips", [])],
        network=_network(st),
        labels=dict(st.get("labels") or {}),
        annotations=_visible(annotations),
        runtime_handler=st.get("runtime_handler", ""),
        managed=ch.stored_hash(annotations) is not None,
        containers=sorted(
            (container_report(conn, c["id"], with_stats, log_lines) for c in members),
            key=lambda c: c["name"],
        ),
    )


def list_pods(
    conn: Connection,
    name: Optional[str] = None,
    pod_namespace: Optional[str] = None,
    with_stats: bool = False,
    log_lines: int = 0,
) -> List[PodReport]:
    """Every pod the CRI has (or those of that name and/or namespace), newest first."""
    found = []
    for s in sandboxes.list_pod_sandboxes(conn):
        meta = s["metadata"] or {}
        if (name and meta.get("name") != name) or (
            pod_namespace and meta.get("namespace") != pod_namespace
        ):
            continue
        try:
            found.append((s["created_at"], pod_report(conn, s["id"], with_stats, log_lines)))
        except NotFound:  # removed while we looked
            continue
    return [r for _, r in sorted(found, key=lambda pair: pair[0], reverse=True)]


def find_pod(conn: Connection, ref: str) -> str:
    """A sandbox id from an id, a unique id prefix, ``name`` or ``namespace/name``."""
    items = sandboxes.list_pod_sandboxes(conn)
    exact = [s["id"] for s in items if s["id"] == ref]
    if exact:
        return exact[0]
    ns, _, name = ref.rpartition("/")
    named = [
        s
        for s in items
        if (s["metadata"] or {}).get("name") == name
        and (not ns or (s["metadata"] or {}).get("namespace") == ns)
    ]
    named.sort(key=lambda s: (s["state"] != 0, -s["created_at"]))
    if named:
        return named[0]["id"]
    prefixed = [s["id"] for s in items if s["id"].startswith(ref)]
    if len(prefixed) == 1:
        return prefixed[0]
    if prefixed:
        raise OcirtError(f"pod {ref!r} is ambiguous: {len(prefixed)} sandbox ids start so")
    raise NotFound(f"no pod {ref!r} (give a sandbox id, a name or namespace/name)")

"""Container statistics through the CRI (ContainerStats, ListContainerStats), flattened.

``cpu_nano_cores`` is 0 on the first call for a container (containerd derives it from the
sample it cached at the previous call); ``cpu_total_ns`` is the cumulative usage and is
always meaningful.
"""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, TypedDict

from ..transport.connection import Connection
from . import runtime_service as rpc


class ContainerUsage(TypedDict):
    id: str
    name: str
    cpu_total_ns: int
    cpu_nano_cores: int
    memory_working_set_bytes: int
    memory_usage_bytes: int
    writable_layer_bytes: int


def _value(wrapper: Optional[Mapping[str, Any]]) -> int:
    return int(wrapper["value"]) if wrapper else 0


def usage(stats: Mapping[str, Any]) -> ContainerUsage:
    """The numbers of one ContainerStats message."""
    attributes = stats["attributes"] or {}
    cpu = stats["cpu"] or {}
    memory = stats["memory"] or {}
    layer = stats["writable_layer"] or {}
    return ContainerUsage(
        id=attributes.get("id", ""),
        name=(attributes.get("metadata") or {}).get("name", ""),
        cpu_total_ns=_value(cpu.get("usage_core_nano_seconds")),
        cpu_nano_cores=_value(cpu.get("usage_nano_cores")),
        memory_working_set_bytes=_value(memory.get("working_set_bytes")),
        memory_usage_bytes=_value(memory.get("usage_bytes")),
        writable_layer_bytes=_value(layer.get("used_bytes")),
    )


def container_stats(conn: Connection, container_id: str) -> ContainerUsage:
    reply = conn.call(rpc.CONTAINER_STATS, {"container_id": container_id}, namespace=None)
    return usage(
        reply["stats"] or {"attributes": None, "cpu": None, "memory": None, "writable_layer": None}
    )


def list_container_stats(conn: Connection, sandbox_id: str = "") -> List[ContainerUsage]:
    """Stats of the running containers (of one sandbox, if given)."""
    filter_: Dict[str, Any] = {"pod_sandbox_id": sandbox_id}
    reply = conn.call(rpc.LIST_CONTAINER_STATS, {"filter": filter_}, namespace=None)
    return [usage(s) for s in reply["stats"]]

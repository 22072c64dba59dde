"""Container resource usage from Tasks.Metrics, for cgroup v1 and cgroup v2 hosts.

The shim reports ``io.containerd.cgroups.v1.Metrics`` on cgroup v1 (and hybrid) hosts and
``io.containerd.cgroups.v2.Metrics`` on unified ones (api/cgroup_metrics.py); both are
reduced here to one flat shape. One Metrics call with OR-ed ``id==`` filters serves any
number of containers.
"""

from __future__ import annotations

import datetime
import time
from typing import Any, Dict, Mapping, Optional, Sequence, TypedDict

from ..api import cgroup_metrics as cg
from ..api import tasks
from ..common.errors import NotFound
from ..transport.connection import Connection

#: cgroup v1 reports "no limit" as the largest page-aligned int64; v2 as max uint64.
_UNLIMITED = 0x7FFFFFFFFFFFF000


class _Sample(TypedDict):
    id: str
    timestamp: Optional[datetime.datetime]
    cgroup: str  # v1, v2 or unknown


class ContainerStats(_Sample, total=False):
    """One container's resource use; only ``error`` besides the above for unknown payloads."""

    cpu_usage_ns: int
    memory_usage: int
    memory_max_usage: int
    memory_limit: Optional[int]  # None: unlimited
    memory_failcnt: int
    memory_cache: int
    pids: int
    pids_limit: Optional[int]
    blkio_read: int
    blkio_write: int
    oom_kills: int
    error: str
    cpu_percent: float  # sample() only


def _limit(value: int) -> Optional[int]:
    return None if not value or value >= _UNLIMITED else value


def _from_v1(m: Mapping[str, Any], out: ContainerStats) -> None:
    cpu = (m["cpu"] or {}).get("usage") or {}
    mem = m["memory"] or cg.V1_MEMORY.empty()
    usage = mem["usage"] or cg.V1_MEMORY_ENTRY.empty()
    done = {"read": 0, "write": 0}
    for e in (m["blkio"] or {}).get("io_service_bytes_recursive") or []:
        if e["op"].lower() in done:
            done[e["op"].lower()] += e["value"]
    out.update(
        {
            "cgroup": "v1",
            "cpu_usage_ns": cpu.get("total", 0),
            "memory_usage": usage["usage"],
            "memory_max_usage": usage["max"],
            "memory_limit": _limit(usage["limit"]),
            "memory_failcnt": usage["failcnt"],
            "memory_cache": mem["total_cache"],
            "blkio_read": done["read"],
            "blkio_write": done["write"],
            "oom_kills": (m["memory_oom_control"] or {}).get("oom_kill", 0),
        }
    )


def _from_v2(m: Mapping[str, Any], out: ContainerStats) -> None:
    mem = m["memory"] or cg.V2_MEMORY.empty()
    io = (m["io"] or {}).get("usage") or []
    events = m["memory_events"] or {}
    out.update(
        {
            "cgroup": "v2",
            "cpu_usage_ns": (m["cpu"] or {}).get("usage_usec", 0) * 1000,
            "memory_usage": mem["usage"],
            "memory_max_usage": mem["max_usage"],
            "memory_limit": _limit(mem["usage_limit"]),
            "memory_failcnt": events.get("max", 0),
            "memory_cache": mem["file"],
            "blkio_read": sum(e["rbytes"] for e in io),
            "blkio_write": sum(e["wbytes"] for e in io),
            "oom_kills": events.get("oom_kill", 0),
        }
    )


def decode_metric(metric: Mapping[str, Any]) -> ContainerStats:
    """One Tasks.Metrics entry in the flat shape of either cgroup version."""
    data = metric.get("data") or {}
    url = (data.get("type_url") or "").rsplit("/", 1)[-1]
    out: ContainerStats = {
        "id": metric.get("id", ""),
        "timestamp": metric.get("timestamp"),
        "cgroup": "unknown",
    }
    if url not in (cg.V1_URL, cg.V2_URL):
        out["error"] = f"unknown metrics type {url or '(none)'}"
        return out
    schema, interpret = (cg.V1_METRICS, _from_v1) if url == cg.V1_URL else (cg.V2_METRICS, _from_v2)
    m = schema.decode(data.get("value") or b"")
    interpret(m, out)
    pids = m["pids"] or {}
    out["pids"] = pids.get("current", 0)
    out["pids_limit"] = _limit(pids.get("limit", 0))
    return out


def stats_many(conn: Connection, container_ids: Sequence[str] = ()) -> Dict[str, ContainerStats]:
    """Decoded stats of the given containers (all with a task if empty), in one call.

    Containers without a task are absent from the result.
    """
    filters = [f"id=={cid}" for cid in container_ids]
    try:
        raw = tasks.metrics(conn, filters)
    except NotFound:
        return {}
    return {m["id"]: decode_metric(m) for m in raw}


def stats(conn: Connection, container_id: str) -> Optional[ContainerStats]:
    """Decoded stats of one container, or None if it has no task (or its cgroup is gone)."""
    return stats_many(conn, [container_id]).get(container_id)


def cpu_percent(first: Mapping[str, Any], second: Mapping[str, Any]) -> float:
    """CPU use between two samples, docker-style: 100.0 = one CPU busy the whole time."""
    t1, t2 = first.get("timestamp"), second.get("timestamp")
    wall = (t2 - t1).total_seconds() if t1 and t2 else 0.0
    if wall <= 0:
        return 0.0
    used = (second.get("cpu_usage_ns", 0) - first.get("cpu_usage_ns", 0)) / 1e9
    return max(0.0, 100.0 * used / wall)


def sample(
    conn: Connection, container_ids: Sequence[str] = (), interval: float = 1.0
) -> Dict[str, ContainerStats]:
    """Two samples ``interval`` apart; the second with ``cpu_percent`` added."""
    first = stats_many(conn, container_ids)
    time.sleep(interval)
    second = stats_many(conn, container_ids)
    for cid, now in second.items():
        now["cpu_percent"] = cpu_percent(first[cid], now) if cid in first else 0.0
    return second

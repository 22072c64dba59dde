"""Container resource usage from Tasks.Metrics, for cgroup v1 and cgroup v2 hosts.

The shim reports ``io.containerd.cgroups.v1.Metrics`` on cgroup v1 (and hybrid) hosts and
``io.containerd.cgroups.v2.Metrics`` on unified ones; both are reduced to one flat shape.
One Metrics call with OR-ed ``id==`` filters serves any number of containers.
"""

from __future__ import annotations

import time
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ..api import tasks
from ..common.errors import NotFound
from ..transport.connection import Connection
from ..wire.schema import STRING, UINT64, Field, Message

_V1 = "containerd/cgroups stats/v1/metrics.proto"
_V2 = "containerd/cgroups cgroup2/stats/metrics.proto"
V1_URL = "io.containerd.cgroups.v1.Metrics"
V2_URL = "io.containerd.cgroups.v2.Metrics"
#: cgroup v1 reports "no limit" as the largest page-aligned int64; v2 as max uint64.
_UNLIMITED = 0x7FFFFFFFFFFFF000


def _m(name: str, proto: str, fields: List[Field]) -> Message:
    return Message(name, proto, fields)


_V1P = "io.containerd.cgroups.v1."
V1_PIDS = _m(_V1P + "PidsStat", _V1, [Field(1, "current", UINT64), Field(2, "limit", UINT64)])
V1_CPU_USAGE = _m(
    _V1P + "CPUUsage",
    _V1,
    [
        Field(1, "total", UINT64),
        Field(2, "kernel", UINT64),
        Field(3, "user", UINT64),
        Field(4, "per_cpu", UINT64, repeated=True),
    ],
)
V1_THROTTLE = _m(
    _V1P + "Throttle",
    _V1,
    [
        Field(1, "periods", UINT64),
        Field(2, "throttled_periods", UINT64),
        Field(3, "throttled_time", UINT64),
    ],
)
V1_CPU = _m(
    _V1P + "CPUStat", _V1, [Field(1, "usage", V1_CPU_USAGE), Field(2, "throttling", V1_THROTTLE)]
)
V1_MEMORY_ENTRY = _m(
    _V1P + "MemoryEntry",
    _V1,
    [
        Field(1, "limit", UINT64),
        Field(2, "usage", UINT64),
        Field(3, "max", UINT64),
        Field(4, "failcnt", UINT64),
    ],
)
V1_MEMORY = _m(
    _V1P + "MemoryStat",
    _V1,
    [
        Field(1, "cache", UINT64),
        Field(2, "rss", UINT64),
        Field(18, "total_cache", UINT64),
        Field(19, "total_rss", UINT64),
        Field(30, "total_inactive_file", UINT64),
        Field(33, "usage", V1_MEMORY_ENTRY),
        Field(34, "swap", V1_MEMORY_ENTRY),
        Field(35, "kernel", V1_MEMORY_ENTRY),
    ],
)
V1_BLKIO_ENTRY = _m(
    _V1P + "BlkIOEntry",
    _V1,
    [
        Field(1, "op", STRING),
        Field(2, "device", STRING),
        Field(3, "major", UINT64),
        Field(4, "minor", UINT64),
        Field(5, "value", UINT64),
    ],
)
V1_BLKIO = _m(
    _V1P + "BlkIOStat",
    _V1,
    [
        Field(1, "io_service_bytes_recursive", V1_BLKIO_ENTRY, repeated=True),
        Field(2, "io_serviced_recursive", V1_BLKIO_ENTRY, repeated=True),
    ],
)
V1_OOM = _m(
    _V1P + "MemoryOomControl",
    _V1,
    [
        Field(1, "oom_kill_disable", UINT64),
        Field(2, "under_oom", UINT64),
        Field(3, "oom_kill", UINT64),
    ],
)
V1_METRICS = _m(
    V1_URL,
    _V1,
    [
        Field(2, "pids", V1_PIDS),
        Field(3, "cpu", V1_CPU),
        Field(4, "memory", V1_MEMORY),
        Field(5, "blkio", V1_BLKIO),
        Field(9, "memory_oom_control", V1_OOM),
    ],
)

_V2P = "io.containerd.cgroups.v2."
V2_PIDS = _m(_V2P + "PidsStat", _V2, [Field(1, "current", UINT64), Field(2, "limit", UINT64)])
V2_CPU = _m(
    _V2P + "CPUStat",
    _V2,
    [
        Field(1, "usage_usec", UINT64),
        Field(2, "user_usec", UINT64),
        Field(3, "system_usec", UINT64),
        Field(4, "nr_periods", UINT64),
        Field(5, "nr_throttled", UINT64),
        Field(6, "throttled_usec", UINT64),
    ],
)
V2_MEMORY = _m(
    _V2P + "MemoryStat",
    _V2,
    [
        Field(1, "anon", UINT64),
        Field(2, "file", UINT64),
        Field(13, "inactive_file", UINT64),
        Field(32, "usage", UINT64),
        Field(33, "usage_limit", UINT64),
        Field(34, "swap_usage", UINT64),
        Field(35, "swap_limit", UINT64),
        Field(36, "max_usage", UINT64),
    ],
)
V2_IO_ENTRY = _m(
    _V2P + "IOEntry",
    _V2,
    [
        Field(1, "major", UINT64),
        Field(2, "minor", UINT64),
        Field(3, "rbytes", UINT64),
        Field(4, "wbytes", UINT64),
        Field(5, "rios", UINT64),
        Field(6, "wios", UINT64),
    ],
)
V2_IO = _m(_V2P + "IOStat", _V2, [Field(1, "usage", V2_IO_ENTRY, repeated=True)])
V2_MEMORY_EVENTS = _m(
    _V2P + "MemoryEvents",
    _V2,
    [
        Field(1, "low", UINT64),
        Field(2, "high", UINT64),
        Field(3, "max", UINT64),
        Field(4, "oom", UINT64),
        Field(5, "oom_kill", UINT64),
    ],
)
V2_METRICS = _m(
    V2_URL,
    _V2,
    [
        Field(1, "pids", V2_PIDS),
        Field(2, "cpu", V2_CPU),
        Field(4, "memory", V2_MEMORY),
        Field(6, "io", V2_IO),
        Field(8, "memory_events", V2_MEMORY_EVENTS),
    ],
)


def _limit(value: int) -> Optional[int]:
    return None if not value or value >= _UNLIMITED else value


def decode_metric(metric: Mapping[str, Any]) -> Dict[str, Any]:
    """One Tasks.Metrics entry -> {id, timestamp, cgroup, cpu_usage_ns, memory_usage,
    memory_limit, memory_cache, pids, pids_limit, blkio_read, blkio_write, oom_kills}."""
    data = metric.get("data") or {}
    url = (data.get("type_url") or "").rsplit("/", 1)[-1]
    out: Dict[str, Any] = {"id": metric.get("id", ""), "timestamp": metric.get("timestamp")}
    if url == V1_URL:
        m = V1_METRICS.decode(data.get("value") or b"")
        cpu = (m["cpu"] or {}).get("usage") or {}
        mem = m["memory"] or V1_MEMORY.empty()
        usage = mem["usage"] or V1_MEMORY_ENTRY.empty()
        reads = writes = 0
        for e in (m["blkio"] or {}).get("io_service_bytes_recursive") or []:
            if e["op"].lower() == "read":
                reads += e["value"]
            elif e["op"].lower() == "write":
                writes += e["value"]
        out.update(
            cgroup="v1",
            cpu_usage_ns=cpu.get("total", 0),
            memory_usage=usage["usage"],
            memory_max_usage=usage["max"],
            memory_limit=_limit(usage["limit"]),
            memory_failcnt=usage["failcnt"],
            memory_cache=mem["total_cache"],
            pids=(m["pids"] or {}).get("current", 0),
            pids_limit=_limit((m["pids"] or {}).get("limit", 0)),
            blkio_read=reads,
            blkio_write=writes,
            oom_kills=(m["memory_oom_control"] or {}).get("oom_kill", 0),
        )
    elif url == V2_URL:
        m = V2_METRICS.decode(data.get("value") or b"")
        mem = m["memory"] or V2_MEMORY.empty()
        io = (m["io"] or {}).get("usage") or []
        out.update(
            cgroup="v2",
            cpu_usage_ns=(m["cpu"] or {}).get("usage_usec", 0) * 1000,
            memory_usage=mem["usage"],
            memory_max_usage=mem["max_usage"],
            memory_limit=_limit(mem["usage_limit"]),
            memory_failcnt=(m["memory_events"] or {}).get("max", 0),
            memory_cache=mem["file"],
            pids=(m["pids"] or {}).get("current", 0),
            pids_limit=_limit((m["pids"] or {}).get("limit", 0)),
            blkio_read=sum(e["rbytes"] for e in io),
            blkio_write=sum(e["wbytes"] for e in io),
            oom_kills=(m["memory_events"] or {}).get("oom_kill", 0),
        )
    else:
        out["cgroup"] = "unknown"
        out["error"] = f"unknown metrics type {url or '(none)'}"
    return out


def stats_many(conn: Connection, container_ids: Sequence[str] = ()) -> Dict[str, Dict[str, Any]]:
    """Decoded stats of the given containers (all with a task if empty), in one call.

    Containers without a task are absent from the result.
    """
    filters = [f"id=={cid}" for cid in container_ids]
    if container_ids and not filters:
        return {}
    try:
        raw = tasks.metrics(conn, filters)
    except NotFound:
        return {}
    return {m["id"]: decode_metric(m) for m in raw}


def stats(conn: Connection, container_id: str) -> Optional[Dict[str, Any]]:
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
) -> Dict[str, Dict[str, Any]]:
    """Two samples ``interval`` apart; the second with ``cpu_percent`` added."""
    first = stats_many(conn, container_ids)
    time.sleep(interval)
    second = stats_many(conn, container_ids)
    for cid, now in second.items():
        now["cpu_percent"] = cpu_percent(first[cid], now) if cid in first else 0.0
    return second

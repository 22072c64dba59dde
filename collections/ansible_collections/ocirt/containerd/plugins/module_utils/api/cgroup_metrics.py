"""The cgroup statistics a runc shim reports in Tasks.Metrics, for cgroup v1 and v2 hosts.

The payload of each ``containerd.types.Metric`` is an Any holding
``io.containerd.cgroups.v1.Metrics`` (cgroup v1 and hybrid hosts) or
``io.containerd.cgroups.v2.Metrics`` (unified hosts). Only the fields ocirt reports are
declared (the rest are skipped on decoding). Nearly every field of these protos is a uint64
counter, so those are declared as ``name=number``, in proto order; the two top-level
messages are written as tables. containers/stats.py
reads them.
"""

from __future__ import annotations

from typing import List

from ..wire.schema import STRING, UINT64, Field, Message

V1_PROTO = "containerd/cgroups stats/v1/metrics.proto"
V2_PROTO = "containerd/cgroups cgroup2/stats/metrics.proto"
V1_URL = "io.containerd.cgroups.v1.Metrics"
V2_URL = "io.containerd.cgroups.v2.Metrics"
_V1 = "io.containerd.cgroups.v1."
_V2 = "io.containerd.cgroups.v2."


def uint64s(**numbers: int) -> List[Field]:
    """uint64 fields, ``name=number`` as the proto declares them."""
    return [Field(number, name, UINT64) for name, number in numbers.items()]


def _v1(name: str, fields: List[Field]) -> Message:
    return Message(_V1 + name, V1_PROTO, fields)


def _v2(name: str, fields: List[Field]) -> Message:
    return Message(_V2 + name, V2_PROTO, fields)


# -- cgroup v1 (stats/v1/metrics.proto) ------------------------------------------------------

V1_PIDS = _v1("PidsStat", uint64s(current=1, limit=2))
V1_CPU_USAGE = _v1(
    "CPUUsage", [*uint64s(total=1, kernel=2, user=3), Field(4, "per_cpu", UINT64, repeated=True)]
)
V1_THROTTLE = _v1("Throttle", uint64s(periods=1, throttled_periods=2, throttled_time=3))
V1_CPU = _v1("CPUStat", [Field(1, "usage", V1_CPU_USAGE), Field(2, "throttling", V1_THROTTLE)])
V1_MEMORY_ENTRY = _v1("MemoryEntry", uint64s(limit=1, usage=2, max=3, failcnt=4))
V1_MEMORY = _v1(
    "MemoryStat",
    [
        *uint64s(cache=1, rss=2, total_cache=18, total_rss=19, total_inactive_file=30),
        Field(33, "usage", V1_MEMORY_ENTRY),
        Field(34, "swap", V1_MEMORY_ENTRY),
        Field(35, "kernel", V1_MEMORY_ENTRY),
    ],
)
V1_BLKIO_ENTRY = _v1(
    "BlkIOEntry",
    [Field(1, "op", STRING), Field(2, "device", STRING), *uint64s(major=3, minor=4, value=5)],
)
V1_BLKIO = _v1(
    "BlkIOStat",
    [
        Field(1, "io_service_bytes_recursive", V1_BLKIO_ENTRY, repeated=True),
        Field(2, "io_serviced_recursive", V1_BLKIO_ENTRY, repeated=True),
    ],
)
V1_OOM = _v1("MemoryOomControl", uint64s(oom_kill_disable=1, under_oom=2, oom_kill=3))
# fmt: off
V1_METRICS = Message(V1_URL, V1_PROTO, [
    Field(2, "pids", V1_PIDS), Field(3, "cpu", V1_CPU), Field(4, "memory", V1_MEMORY),
    Field(5, "blkio", V1_BLKIO), Field(9, "memory_oom_control", V1_OOM),
])
# fmt: on

# -- cgroup v2 (cgroup2/stats/metrics.proto) -------------------------------------------------

V2_PIDS = _v2("PidsStat", uint64s(current=1, limit=2))
V2_CPU = _v2(
    "CPUStat",
    [
        *uint64s(usage_usec=1, user_usec=2, system_usec=3),
        *uint64s(nr_periods=4, nr_throttled=5, throttled_usec=6),
    ],
)
V2_MEMORY = _v2(
    "MemoryStat",
    [
        *uint64s(anon=1, file=2, inactive_file=13),
        *uint64s(usage=32, usage_limit=33, swap_usage=34, swap_limit=35, max_usage=36),
    ],
)
V2_IO_ENTRY = _v2("IOEntry", uint64s(major=1, minor=2, rbytes=3, wbytes=4, rios=5, wios=6))
V2_IO = _v2("IOStat", [Field(1, "usage", V2_IO_ENTRY, repeated=True)])
V2_MEMORY_EVENTS = _v2("MemoryEvents", uint64s(low=1, high=2, max=3, oom=4, oom_kill=5))
# fmt: off
V2_METRICS = Message(V2_URL, V2_PROTO, [
    Field(1, "pids", V2_PIDS), Field(2, "cpu", V2_CPU), Field(4, "memory", V2_MEMORY),
    Field(6, "io", V2_IO), Field(8, "memory_events", V2_MEMORY_EVENTS),
])
# fmt: on

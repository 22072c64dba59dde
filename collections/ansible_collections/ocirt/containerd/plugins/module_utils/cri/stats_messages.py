"""Container statistics of runtime.v1 (ContainerStats and the list call's filter).

From kubernetes/cri-api pkg/apis/runtime/v1/api.proto. Timestamps are int64 nanoseconds.
``usage_nano_cores`` is computed by containerd from the sample it cached at the previous
call for that container, so the first answer is 0; ``writable_layer`` is 0 until
containerd's snapshot-usage sampler has run. ``swap=5`` (2.x) is not declared.
"""

from __future__ import annotations

from ..wire.schema import INT64, STRING, Field, MapOf
from .container_messages import CONTAINER_METADATA
from .linux_messages import UINT64_VALUE, V1

_STRINGS = MapOf(STRING, STRING)

CONTAINER_ATTRIBUTES = V1.message(
    "ContainerAttributes",
    Field(1, "id", STRING),
    Field(2, "metadata", CONTAINER_METADATA),
    Field(3, "labels", _STRINGS),
    Field(4, "annotations", _STRINGS),
)
CPU_USAGE = V1.message(
    "CpuUsage",
    Field(1, "timestamp", INT64),
    Field(2, "usage_core_nano_seconds", UINT64_VALUE),
    Field(3, "usage_nano_cores", UINT64_VALUE),
)
MEMORY_USAGE = V1.message(
    "MemoryUsage",
    Field(1, "timestamp", INT64),
    Field(2, "working_set_bytes", UINT64_VALUE),
    Field(3, "available_bytes", UINT64_VALUE),
    Field(4, "usage_bytes", UINT64_VALUE),
    Field(5, "rss_bytes", UINT64_VALUE),
    Field(6, "page_faults", UINT64_VALUE),
    Field(7, "major_page_faults", UINT64_VALUE),
)
FILESYSTEM_IDENTIFIER = V1.message("FilesystemIdentifier", Field(1, "mountpoint", STRING))
FILESYSTEM_USAGE = V1.message(
    "FilesystemUsage",
    Field(1, "timestamp", INT64),
    Field(2, "fs_id", FILESYSTEM_IDENTIFIER),
    Field(3, "used_bytes", UINT64_VALUE),
    Field(4, "inodes_used", UINT64_VALUE),
)
CONTAINER_STATS = V1.message(
    "ContainerStats",
    Field(1, "attributes", CONTAINER_ATTRIBUTES),
    Field(2, "cpu", CPU_USAGE),
    Field(3, "memory", MEMORY_USAGE),
    Field(4, "writable_layer", FILESYSTEM_USAGE),
)
CONTAINER_STATS_RESPONSE = V1.message("ContainerStatsResponse", Field(1, "stats", CONTAINER_STATS))
CONTAINER_STATS_FILTER = V1.message(
    "ContainerStatsFilter",
    Field(1, "id", STRING),
    Field(2, "pod_sandbox_id", STRING),
    Field(3, "label_selector", _STRINGS),
)
LIST_CONTAINER_STATS_REQUEST = V1.message(
    "ListContainerStatsRequest", Field(1, "filter", CONTAINER_STATS_FILTER)
)
LIST_CONTAINER_STATS_RESPONSE = V1.message(
    "ListContainerStatsResponse", Field(1, "stats", CONTAINER_STATS, repeated=True)
)

"""Container messages of runtime.v1 (ContainerConfig, Container, ContainerStatus, ExecSync, ...).

From kubernetes/cri-api pkg/apis/runtime/v1/api.proto. Fields marked 2.x are in the cri-api
that containerd 2.0 and 2.1 vendor and not in 1.7's; 1.6 and 1.7 leave them at defaults.
"""

from __future__ import annotations

from ..wire.schema import BOOL, BYTES, ENUM, INT32, INT64, STRING, UINT32, Field, MapOf
from .linux_messages import (
    ID_MAPPING,
    LINUX_CONTAINER_RESOURCES,
    LINUX_CONTAINER_SECURITY_CONTEXT,
    V1,
)

# ContainerState
CREATED, RUNNING, EXITED, UNKNOWN = 0, 1, 2, 3
CONTAINER_STATES = {CREATED: "created", RUNNING: "running", EXITED: "exited", UNKNOWN: "unknown"}
# MountPropagation
PROPAGATIONS = {"private": 0, "host_to_container": 1, "bidirectional": 2}

_STRINGS = MapOf(STRING, STRING)

IMAGE_SPEC = V1.message(
    "ImageSpec",
    Field(1, "image", STRING),
    Field(2, "annotations", _STRINGS),
    Field(18, "user_specified_image", STRING),  # 2.x
    Field(19, "runtime_handler", STRING),  # 2.x
)
CONTAINER_METADATA = V1.message(
    "ContainerMetadata", Field(1, "name", STRING), Field(2, "attempt", UINT32)
)
# value is `string` in the cri-api containerd 1.6-2.1 vendor, `bytes` in cri-api HEAD: the
# same bytes on the wire; declared as string, which both accept.
KEY_VALUE = V1.message("KeyValue", Field(1, "key", STRING), Field(2, "value", STRING))
MOUNT = V1.message(
    "Mount",
    Field(1, "container_path", STRING),
    Field(2, "host_path", STRING),
    Field(3, "readonly", BOOL),
    Field(4, "selinux_relabel", BOOL),
    Field(5, "propagation", ENUM),
    Field(6, "uidMappings", ID_MAPPING, repeated=True),  # 2.x
    Field(7, "gidMappings", ID_MAPPING, repeated=True),  # 2.x
    Field(8, "recursive_read_only", BOOL),  # 2.x
    Field(9, "image", IMAGE_SPEC),  # 2.x
)
DEVICE = V1.message(
    "Device",
    Field(1, "container_path", STRING),
    Field(2, "host_path", STRING),
    Field(3, "permissions", STRING),
)
LINUX_CONTAINER_CONFIG = V1.message(
    "LinuxContainerConfig",
    Field(1, "resources", LINUX_CONTAINER_RESOURCES),
    Field(2, "security_context", LINUX_CONTAINER_SECURITY_CONTEXT),
)
CONTAINER_CONFIG = V1.message(
    "ContainerConfig",
    Field(1, "metadata", CONTAINER_METADATA),
    Field(2, "image", IMAGE_SPEC),
    Field(3, "command", STRING, repeated=True),
    Field(4, "args", STRING, repeated=True),
    Field(5, "working_dir", STRING),
    Field(6, "envs", KEY_VALUE, repeated=True),
    Field(7, "mounts", MOUNT, repeated=True),
    Field(8, "devices", DEVICE, repeated=True),
    Field(9, "labels", _STRINGS),
    Field(10, "annotations", _STRINGS),
    Field(11, "log_path", STRING),
    Field(12, "stdin", BOOL),
    Field(13, "stdin_once", BOOL),
    Field(14, "tty", BOOL),
    Field(15, "linux", LINUX_CONTAINER_CONFIG),
    # windows=16 and CDI_devices=17 (2.x) are not declared: Linux pods, no CDI
)
CONTAINER_ID_FIELD = Field(1, "container_id", STRING)
START_CONTAINER_REQUEST = V1.message("StartContainerRequest", CONTAINER_ID_FIELD)
STOP_CONTAINER_REQUEST = V1.message(
    "StopContainerRequest", CONTAINER_ID_FIELD, Field(2, "timeout", INT64)
)
REMOVE_CONTAINER_REQUEST = V1.message("RemoveContainerRequest", CONTAINER_ID_FIELD)
REOPEN_CONTAINER_LOG_REQUEST = V1.message("ReopenContainerLogRequest", CONTAINER_ID_FIELD)
CONTAINER_STATS_REQUEST = V1.message("ContainerStatsRequest", CONTAINER_ID_FIELD)
EMPTY_RESPONSES = {
    name: V1.message(f"{name}Response")
    for name in ("StartContainer", "StopContainer", "RemoveContainer", "ReopenContainerLog")
}
CONTAINER_STATE_VALUE = V1.message("ContainerStateValue", Field(1, "state", ENUM))
CONTAINER_FILTER = V1.message(
    "ContainerFilter",
    Field(1, "id", STRING),
    Field(2, "state", CONTAINER_STATE_VALUE),
    Field(3, "pod_sandbox_id", STRING),
    Field(4, "label_selector", _STRINGS),
)
LIST_CONTAINERS_REQUEST = V1.message("ListContainersRequest", Field(1, "filter", CONTAINER_FILTER))
CONTAINER = V1.message(
    "Container",
    Field(1, "id", STRING),
    Field(2, "pod_sandbox_id", STRING),
    Field(3, "metadata", CONTAINER_METADATA),
    Field(4, "image", IMAGE_SPEC),
    Field(5, "image_ref", STRING),
    Field(6, "state", ENUM),
    Field(7, "created_at", INT64),
    Field(8, "labels", _STRINGS),
    Field(9, "annotations", _STRINGS),
    Field(10, "image_id", STRING),  # 2.x
)
LIST_CONTAINERS_RESPONSE = V1.message(
    "ListContainersResponse", Field(1, "containers", CONTAINER, repeated=True)
)
CREATE_CONTAINER_RESPONSE = V1.message("CreateContainerResponse", Field(1, "container_id", STRING))
CONTAINER_STATUS_REQUEST = V1.message(
    "ContainerStatusRequest", CONTAINER_ID_FIELD, Field(2, "verbose", BOOL)
)
CONTAINER_RESOURCES = V1.message("ContainerResources", Field(1, "linux", LINUX_CONTAINER_RESOURCES))
CONTAINER_STATUS = V1.message(
    "ContainerStatus",
    Field(1, "id", STRING),
    Field(2, "metadata", CONTAINER_METADATA),
    Field(3, "state", ENUM),
    Field(4, "created_at", INT64),
    Field(5, "started_at", INT64),
    Field(6, "finished_at", INT64),
    Field(7, "exit_code", INT32),
    Field(8, "image", IMAGE_SPEC),
    Field(9, "image_ref", STRING),
    Field(10, "reason", STRING),
    Field(11, "message", STRING),
    Field(12, "labels", _STRINGS),
    Field(13, "annotations", _STRINGS),
    Field(14, "mounts", MOUNT, repeated=True),
    Field(15, "log_path", STRING),
    Field(16, "resources", CONTAINER_RESOURCES),
    Field(17, "image_id", STRING),  # 2.x
)
CONTAINER_STATUS_RESPONSE = V1.message(
    "ContainerStatusResponse", Field(1, "status", CONTAINER_STATUS), Field(2, "info", _STRINGS)
)
EXEC_SYNC_REQUEST = V1.message(
    "ExecSyncRequest",
    CONTAINER_ID_FIELD,
    Field(2, "cmd", STRING, repeated=True),
    Field(3, "timeout", INT64),
)
EXEC_SYNC_RESPONSE = V1.message(
    "ExecSyncResponse",
    Field(1, "stdout", BYTES),
    Field(2, "stderr", BYTES),
    Field(3, "exit_code", INT32),
)

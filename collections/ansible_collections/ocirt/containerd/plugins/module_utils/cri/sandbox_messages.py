"""Pod sandbox messages of runtime.v1 (PodSandboxConfig, PodSandbox, PodSandboxStatus, ...).

From kubernetes/cri-api pkg/apis/runtime/v1/api.proto. ``containers_statuses`` and
``timestamp`` of PodSandboxStatusResponse are answered from 1.7 on (empty on 1.6).
"""

from __future__ import annotations

from ..wire.schema import BOOL, ENUM, INT32, INT64, STRING, UINT32, Field, MapOf
from .container_messages import CONTAINER_STATUS
from .linux_messages import (
    LINUX_CONTAINER_RESOURCES,
    LINUX_SANDBOX_SECURITY_CONTEXT,
    NAMESPACE_OPTION,
    V1,
)

# PodSandboxState
SANDBOX_READY, SANDBOX_NOTREADY = 0, 1
SANDBOX_STATES = {SANDBOX_READY: "ready", SANDBOX_NOTREADY: "notready"}
# Protocol
PROTOCOLS = {"tcp": 0, "udp": 1, "sctp": 2}

_STRINGS = MapOf(STRING, STRING)

POD_SANDBOX_METADATA = V1.message(
    "PodSandboxMetadata",
    Field(1, "name", STRING),
    Field(2, "uid", STRING),
    Field(3, "namespace", STRING),
    Field(4, "attempt", UINT32),
)
DNS_CONFIG = V1.message(
    "DNSConfig",
    Field(1, "servers", STRING, repeated=True),
    Field(2, "searches", STRING, repeated=True),
    Field(3, "options", STRING, repeated=True),
)
PORT_MAPPING = V1.message(
    "PortMapping",
    Field(1, "protocol", ENUM),
    Field(2, "container_port", INT32),
    Field(3, "host_port", INT32),
    Field(4, "host_ip", STRING),
)
LINUX_POD_SANDBOX_CONFIG = V1.message(
    "LinuxPodSandboxConfig",
    Field(1, "cgroup_parent", STRING),
    Field(2, "security_context", LINUX_SANDBOX_SECURITY_CONTEXT),
    Field(3, "sysctls", _STRINGS),
    Field(4, "overhead", LINUX_CONTAINER_RESOURCES),
    Field(5, "resources", LINUX_CONTAINER_RESOURCES),
)
POD_SANDBOX_CONFIG = V1.message(
    "PodSandboxConfig",
    Field(1, "metadata", POD_SANDBOX_METADATA),
    Field(2, "hostname", STRING),
    Field(3, "log_directory", STRING),
    Field(4, "dns_config", DNS_CONFIG),
    Field(5, "port_mappings", PORT_MAPPING, repeated=True),
    Field(6, "labels", _STRINGS),
    Field(7, "annotations", _STRINGS),
    Field(8, "linux", LINUX_POD_SANDBOX_CONFIG),
    # windows=9 is not declared: this library runs Linux pods only
)
RUN_POD_SANDBOX_REQUEST = V1.message(
    "RunPodSandboxRequest",
    Field(1, "config", POD_SANDBOX_CONFIG),
    Field(2, "runtime_handler", STRING),
)
RUN_POD_SANDBOX_RESPONSE = V1.message("RunPodSandboxResponse", Field(1, "pod_sandbox_id", STRING))
POD_SANDBOX_ID_REQUEST_FIELDS = (Field(1, "pod_sandbox_id", STRING),)
STOP_POD_SANDBOX_REQUEST = V1.message("StopPodSandboxRequest", *POD_SANDBOX_ID_REQUEST_FIELDS)
STOP_POD_SANDBOX_RESPONSE = V1.message("StopPodSandboxResponse")
REMOVE_POD_SANDBOX_REQUEST = V1.message("RemovePodSandboxRequest", *POD_SANDBOX_ID_REQUEST_FIELDS)
REMOVE_POD_SANDBOX_RESPONSE = V1.message("RemovePodSandboxResponse")

POD_IP = V1.message("PodIP", Field(1, "ip", STRING))
POD_SANDBOX_NETWORK_STATUS = V1.message(
    "PodSandboxNetworkStatus",
    Field(1, "ip", STRING),
    Field(2, "additional_ips", POD_IP, repeated=True),
)
NAMESPACE = V1.message("Namespace", Field(2, "options", NAMESPACE_OPTION))
LINUX_POD_SANDBOX_STATUS = V1.message("LinuxPodSandboxStatus", Field(1, "namespaces", NAMESPACE))
POD_SANDBOX_STATUS = V1.message(
    "PodSandboxStatus",
    Field(1, "id", STRING),
    Field(2, "metadata", POD_SANDBOX_METADATA),
    Field(3, "state", ENUM),
    Field(4, "created_at", INT64),
    Field(5, "network", POD_SANDBOX_NETWORK_STATUS),
    Field(6, "linux", LINUX_POD_SANDBOX_STATUS),
    Field(7, "labels", _STRINGS),
    Field(8, "annotations", _STRINGS),
    Field(9, "runtime_handler", STRING),
)
POD_SANDBOX_STATUS_REQUEST = V1.message(
    "PodSandboxStatusRequest", Field(1, "pod_sandbox_id", STRING), Field(2, "verbose", BOOL)
)
POD_SANDBOX_STATUS_RESPONSE = V1.message(
    "PodSandboxStatusResponse",
    Field(1, "status", POD_SANDBOX_STATUS),
    Field(2, "info", _STRINGS),
    Field(3, "containers_statuses", CONTAINER_STATUS, repeated=True),  # 1.7+
    Field(4, "timestamp", INT64),  # 1.7+
)
POD_SANDBOX_STATE_VALUE = V1.message("PodSandboxStateValue", Field(1, "state", ENUM))
POD_SANDBOX_FILTER = V1.message(
    "PodSandboxFilter",
    Field(1, "id", STRING),
    Field(2, "state", POD_SANDBOX_STATE_VALUE),
    Field(3, "label_selector", _STRINGS),
)
LIST_POD_SANDBOX_REQUEST = V1.message(
    "ListPodSandboxRequest", Field(1, "filter", POD_SANDBOX_FILTER)
)
POD_SANDBOX = V1.message(
    "PodSandbox",
    Field(1, "id", STRING),
    Field(2, "metadata", POD_SANDBOX_METADATA),
    Field(3, "state", ENUM),
    Field(4, "created_at", INT64),
    Field(5, "labels", _STRINGS),
    Field(6, "annotations", _STRINGS),
    Field(7, "runtime_handler", STRING),
)
LIST_POD_SANDBOX_RESPONSE = V1.message(
    "ListPodSandboxResponse", Field(1, "items", POD_SANDBOX, repeated=True)
)

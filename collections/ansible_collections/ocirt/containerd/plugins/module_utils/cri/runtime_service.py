"""The RPCs of runtime.v1.RuntimeService that pods and their containers need.

Version and Status are declared in ``api/cri.py`` (the daemon report uses them) and named
here again so that this package is the one place to find the CRI calls.
"""

from __future__ import annotations

from ..api.cri import STATUS, VERSION
from ..transport.connection import Service
from ..wire.schema import STRING, Field
from . import container_messages as c
from . import sandbox_messages as s
from . import stats_messages as st
from .linux_messages import V1

RUNTIME = Service("runtime.v1.RuntimeService")

CREATE_CONTAINER_REQUEST = V1.message(
    "CreateContainerRequest",
    Field(1, "pod_sandbox_id", STRING),
    Field(2, "config", c.CONTAINER_CONFIG),
    Field(3, "sandbox_config", s.POD_SANDBOX_CONFIG),
)

VERSION_V1 = VERSION["v1"]
STATUS_V1 = STATUS
RUN_POD_SANDBOX = RUNTIME.method(
    "RunPodSandbox", s.RUN_POD_SANDBOX_REQUEST, s.RUN_POD_SANDBOX_RESPONSE
)
STOP_POD_SANDBOX = RUNTIME.method(
    "StopPodSandbox", s.STOP_POD_SANDBOX_REQUEST, s.STOP_POD_SANDBOX_RESPONSE
)
REMOVE_POD_SANDBOX = RUNTIME.method(
    "RemovePodSandbox", s.REMOVE_POD_SANDBOX_REQUEST, s.REMOVE_POD_SANDBOX_RESPONSE
)
POD_SANDBOX_STATUS = RUNTIME.method(
    "PodSandboxStatus", s.POD_SANDBOX_STATUS_REQUEST, s.POD_SANDBOX_STATUS_RESPONSE
)
LIST_POD_SANDBOX = RUNTIME.method(
    "ListPodSandbox", s.LIST_POD_SANDBOX_REQUEST, s.LIST_POD_SANDBOX_RESPONSE
)
CREATE_CONTAINER = RUNTIME.method(
    "CreateContainer", CREATE_CONTAINER_REQUEST, c.CREATE_CONTAINER_RESPONSE
)
START_CONTAINER = RUNTIME.method(
    "StartContainer", c.START_CONTAINER_REQUEST, c.EMPTY_RESPONSES["StartContainer"]
)
STOP_CONTAINER = RUNTIME.method(
    "StopContainer", c.STOP_CONTAINER_REQUEST, c.EMPTY_RESPONSES["StopContainer"]
)
REMOVE_CONTAINER = RUNTIME.method(
    "RemoveContainer", c.REMOVE_CONTAINER_REQUEST, c.EMPTY_RESPONSES["RemoveContainer"]
)
CONTAINER_STATUS = RUNTIME.method(
    "ContainerStatus", c.CONTAINER_STATUS_REQUEST, c.CONTAINER_STATUS_RESPONSE
)
LIST_CONTAINERS = RUNTIME.method(
    "ListContainers", c.LIST_CONTAINERS_REQUEST, c.LIST_CONTAINERS_RESPONSE
)
EXEC_SYNC = RUNTIME.method("ExecSync", c.EXEC_SYNC_REQUEST, c.EXEC_SYNC_RESPONSE)
REOPEN_CONTAINER_LOG = RUNTIME.method(
    "ReopenContainerLog",
    c.REOPEN_CONTAINER_LOG_REQUEST,
    c.EMPTY_RESPONSES["ReopenContainerLog"],
)
CONTAINER_STATS = RUNTIME.method(
    "ContainerStats", c.CONTAINER_STATS_REQUEST, st.CONTAINER_STATS_RESPONSE
)
LIST_CONTAINER_STATS = RUNTIME.method(
    "ListContainerStats", st.LIST_CONTAINER_STATS_REQUEST, st.LIST_CONTAINER_STATS_RESPONSE
)

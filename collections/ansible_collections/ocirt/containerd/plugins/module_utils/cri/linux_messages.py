"""Linux types shared by pod sandboxes and containers: resources, namespaces, security.

From kubernetes/cri-api pkg/apis/runtime/v1/api.proto (LinuxContainerResources,
NamespaceOption, SecurityProfile, Int64Value, IDMapping, UserNamespace, Capability).
"""

from __future__ import annotations

from ..wire.schema import BOOL, ENUM, INT64, STRING, UINT32, UINT64, Field, MapOf, Proto

PROTO = "kubernetes/cri-api pkg/apis/runtime/v1/api.proto"
V1 = Proto(PROTO, "runtime.v1")

# NamespaceMode
POD, CONTAINER, NODE, TARGET = 0, 1, 2, 3
# SecurityProfile.ProfileType
RUNTIME_DEFAULT, UNCONFINED, LOCALHOST = 0, 1, 2

INT64_VALUE = V1.message("Int64Value", Field(1, "value", INT64))
UINT64_VALUE = V1.message("UInt64Value", Field(1, "value", UINT64))
ID_MAPPING = V1.message(
    "IDMapping",
    Field(1, "host_id", UINT32),
    Field(2, "container_id", UINT32),
    Field(3, "length", UINT32),
)
USER_NAMESPACE = V1.message(
    "UserNamespace",
    Field(1, "mode", ENUM),
    Field(2, "uids", ID_MAPPING, repeated=True),
    Field(3, "gids", ID_MAPPING, repeated=True),
)
NAMESPACE_OPTION = V1.message(
    "NamespaceOption",
    Field(1, "network", ENUM),
    Field(2, "pid", ENUM),
    Field(3, "ipc", ENUM),
    Field(4, "target_id", STRING),
    Field(5, "userns_options", USER_NAMESPACE),
)
SELINUX_OPTION = V1.message(
    "SELinuxOption",
    Field(1, "user", STRING),
    Field(2, "role", STRING),
    Field(3, "type", STRING),
    Field(4, "level", STRING),
)
SECURITY_PROFILE = V1.message(
    "SecurityProfile", Field(1, "profile_type", ENUM), Field(2, "localhost_ref", STRING)
)
HUGEPAGE_LIMIT = V1.message(
    "HugepageLimit", Field(1, "page_size", STRING), Field(2, "limit", UINT64)
)
LINUX_CONTAINER_RESOURCES = V1.message(
    "LinuxContainerResources",
    Field(1, "cpu_period", INT64),
    Field(2, "cpu_quota", INT64),
    Field(3, "cpu_shares", INT64),
    Field(4, "memory_limit_in_bytes", INT64),
    Field(5, "oom_score_adj", INT64),
    Field(6, "cpuset_cpus", STRING),
    Field(7, "cpuset_mems", STRING),
    Field(8, "hugepage_limits", HUGEPAGE_LIMIT, repeated=True),
    Field(9, "unified", MapOf(STRING, STRING)),
    Field(10, "memory_swap_limit_in_bytes", INT64),
)
CAPABILITY = V1.message(
    "Capability",
    Field(1, "add_capabilities", STRING, repeated=True),
    Field(2, "drop_capabilities", STRING, repeated=True),
    Field(3, "add_ambient_capabilities", STRING, repeated=True),
)
LINUX_SANDBOX_SECURITY_CONTEXT = V1.message(
    "LinuxSandboxSecurityContext",
    Field(1, "namespace_options", NAMESPACE_OPTION),
    Field(2, "selinux_options", SELINUX_OPTION),
    Field(3, "run_as_user", INT64_VALUE),
    Field(4, "readonly_rootfs", BOOL),
    Field(5, "supplemental_groups", INT64, repeated=True),
    Field(6, "privileged", BOOL),
    Field(7, "seccomp_profile_path", STRING),  # deprecated for seccomp=9
    Field(8, "run_as_group", INT64_VALUE),
    Field(9, "seccomp", SECURITY_PROFILE),
    Field(10, "apparmor", SECURITY_PROFILE),
    Field(11, "supplemental_groups_policy", ENUM),  # 2.x
)
LINUX_CONTAINER_SECURITY_CONTEXT = V1.message(
    "LinuxContainerSecurityContext",
    Field(1, "capabilities", CAPABILITY),
    Field(2, "privileged", BOOL),
    Field(3, "namespace_options", NAMESPACE_OPTION),
    Field(4, "selinux_options", SELINUX_OPTION),
    Field(5, "run_as_user", INT64_VALUE),
    Field(6, "run_as_username", STRING),
    Field(7, "readonly_rootfs", BOOL),
    Field(8, "supplemental_groups", INT64, repeated=True),
    Field(9, "apparmor_profile", STRING),  # deprecated for apparmor=16
    Field(10, "seccomp_profile_path", STRING),  # deprecated for seccomp=15
    Field(11, "no_new_privs", BOOL),
    Field(12, "run_as_group", INT64_VALUE),
    Field(13, "masked_paths", STRING, repeated=True),
    Field(14, "readonly_paths", STRING, repeated=True),
    Field(15, "seccomp", SECURITY_PROFILE),
    Field(16, "apparmor", SECURITY_PROFILE),
    Field(17, "supplemental_groups_policy", ENUM),  # 2.x
)

"""The options of a pod and of its containers, declared once (see common/options.py).

The pod module's argument_spec, the validation (naming the option and its allowed values)
and the documentation come from these tables. Names follow the CRI's own (snake_case, as in
crictl's config files) wherever one exists, so a crictl recipe reads the same.
"""

from __future__ import annotations

from ..common.options import Option, OptionTable
from ..images.options import PULL_POLICIES

STATES = ("started", "stopped", "absent")
NETWORKS = ("pod", "host")
PROTOCOLS = ("tcp", "udp", "sctp")
PROPAGATIONS = ("private", "host_to_container", "bidirectional")

RESOURCE_OPTIONS = OptionTable(
    "resources",
    [
        Option("cpu_period", "int", "CFS period in microseconds"),
        Option("cpu_quota", "int", "CFS quota in microseconds per period"),
        Option("cpu_shares", "int", "relative CPU weight"),
        Option("memory_limit_in_bytes", "int", "memory limit in bytes"),
        Option("oom_score_adj", "int", "OOM score adjustment"),
        Option("cpuset_cpus", "str", "CPUs to run on, e.g. 0-1"),
        Option("cpuset_mems", "str", "memory nodes to use"),
    ],
)
POD_SECURITY_OPTIONS = OptionTable(
    "security_context",
    [
        Option("run_as_user", "int", "uid of the sandbox process"),
        Option("run_as_group", "int", "gid of the sandbox process (needs run_as_user)"),
        Option(
            "supplemental_groups",
            "list",
            "groups of every container's first process",
            elements="int",
        ),
        Option("readonly_rootfs", "bool", "read-only root file system of the sandbox"),
        Option("privileged", "bool", "allow privileged containers in the pod"),
        Option(
            "seccomp_profile",
            "str",
            "runtime/default, unconfined or localhost/<path> (default: runtime default)",
        ),
    ],
)
CONTAINER_SECURITY_OPTIONS = OptionTable(
    "security_context",
    [
        Option("run_as_user", "int", "uid of the container's process"),
        Option("run_as_group", "int", "gid of the container's process (needs run_as_user)"),
        Option("readonly_rootfs", "bool", "read-only root file system"),
        Option("privileged", "bool", "privileged container (the pod must allow it)"),
        Option("no_new_privs", "bool", "set no_new_privs on the process"),
        Option("capabilities_add", "list", "capabilities to add, e.g. NET_ADMIN", elements="str"),
        Option(
            "capabilities_drop", "list", "capabilities to drop (ALL for every one)", elements="str"
        ),
        Option("seccomp_profile", "str", "runtime/default, unconfined or localhost/<path>"),
    ],
)
PORT_OPTIONS = OptionTable(
    "port_mappings",
    [
        Option("container_port", "int", "port in the pod", required=True),
        Option("host_port", "int", "port on the host (needs the portmap CNI plugin)"),
        Option("protocol", "str", "tcp, udp or sctp", "tcp", choices=PROTOCOLS),
        Option("host_ip", "str", "host address to bind (default: all)"),
    ],
)
DNS_OPTIONS = OptionTable(
    "dns",
    [
        Option("servers", "list", "name servers", elements="str"),
        Option("searches", "list", "search domains", elements="str"),
        Option("options", "list", "resolv.conf options, e.g. ndots:2", elements="str"),
    ],
)
MOUNT_OPTIONS = OptionTable(
    "mounts",
    [
        Option("host_path", "path", "file or directory on the host", required=True),
        Option("container_path", "str", "where it appears in the container", required=True),
        Option("readonly", "bool", "mount read-only", False),
        Option("propagation", "str", "mount propagation", "private", choices=PROPAGATIONS),
    ],
)
CONTAINER_OPTIONS = OptionTable(
    "containers",
    [
        Option("name", "str", "name of the container in the pod", required=True),
        Option("image", "str", "image (pulled into namespace k8s.io as pull says)", required=True),
        Option("command", "list", "entrypoint (default: the image's)", elements="str"),
        Option("args", "list", "arguments (default: the image's cmd)", elements="str"),
        Option("env", "dict", "environment variables", {}),
        Option(
            "mounts", "list", "host paths to mount", [], elements="dict", suboptions=MOUNT_OPTIONS
        ),
        Option("working_dir", "str", "working directory (default: the image's)"),
        Option("resources", "dict", "resource limits", suboptions=RESOURCE_OPTIONS),
        Option(
            "log_path", "str", "log file, relative to the pod's log_directory (default: <name>.log)"
        ),
        Option("labels", "dict", "CRI labels of the container", {}),
        Option("annotations", "dict", "CRI annotations of the container", {}),
        Option(
            "security_context",
            "dict",
            "Linux security settings",
            suboptions=CONTAINER_SECURITY_OPTIONS,
        ),
        Option("tty", "bool", "allocate a terminal", False),
        Option("stdin", "bool", "keep stdin open", False),
    ],
)
POD_OPTIONS = OptionTable(
    "pod",
    [
        Option("name", "str", "pod name (CRI metadata.name)", required=True),
        Option("pod_namespace", "str", "pod namespace (CRI metadata.namespace)", "default"),
        Option("uid", "str", "pod uid (default: derived from namespace and name)"),
        Option("attempt", "int", "attempt number of the sandbox", 0),
        Option("state", "str", "started, stopped or absent", "started", choices=STATES),
        Option("hostname", "str", "hostname (default: the name; the node's with network=host)"),
        Option("labels", "dict", "CRI labels of the pod", {}),
        Option("annotations", "dict", "CRI annotations of the pod", {}),
        Option(
            "log_directory",
            "path",
            "directory of the containers' logs (default: /var/log/pods/<ns>_<name>_<uid>)",
        ),
        Option("dns", "dict", "resolv.conf of the pod", suboptions=DNS_OPTIONS),
        Option(
            "port_mappings",
            "list",
            "ports published on the host",
            [],
            elements="dict",
            suboptions=PORT_OPTIONS,
        ),
        Option(
            "network",
            "str",
            "pod: own network namespace set up by CNI; host: the node's",
            "pod",
            choices=NETWORKS,
        ),
        Option(
            "security_context",
            "dict",
            "Linux security settings of the sandbox",
            suboptions=POD_SECURITY_OPTIONS,
        ),
        Option("sysctls", "dict", "namespaced sysctls of the pod", {}),
        Option("resources", "dict", "resources of the whole pod", suboptions=RESOURCE_OPTIONS),
        Option(
            "cgroup_parent",
            "str",
            "parent cgroup of the pod; when none is given and the pod's runtime uses the systemd "
            "cgroup driver (SystemdCgroup = true), ocirt.slice, since runc accepts only a slice "
            "there",
        ),
        Option("runtime_handler", "str", "CRI runtime handler (default: containerd's default)", ""),
        Option(
            "containers",
            "list",
            "the pod's containers",
            [],
            elements="dict",
            suboptions=CONTAINER_OPTIONS,
        ),
        Option(
            "pull",
            "str",
            "when to pull the containers' images into k8s.io",
            "missing",
            choices=PULL_POLICIES,
        ),
        Option("stop_timeout", "int", "seconds a container has to stop before it is killed", 10),
        Option(
            "adopt",
            "bool",
            "take over (recreate, remove) a pod of that name that ocirt did not make",
            False,
        ),
    ],
)

#: The options that shape the sandbox (not the containers, not how the run goes).
RUN_OPTIONS = ("state", "containers", "pull", "stop_timeout", "adopt")

POD_INFO_OPTIONS = OptionTable(
    "pod_info",
    [
        Option("name", "str", "only pods of this name (default: every pod)"),
        Option("pod_namespace", "str", "only pods of this pod namespace"),
        Option("stats", "bool", "add each running container's resource usage", False),
        Option("log_lines", "int", "add the last lines of each container's log", 0),
    ],
)

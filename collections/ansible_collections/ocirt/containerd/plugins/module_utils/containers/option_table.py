"""The container options, declared once.

From this table come the Ansible argument_spec (``_ansible/container_params.py``), the
validation of ``options.ContainerOptions`` (one parser per option, in table order), the
stored canonical configuration (the options marked ``canonical``), the flags of
``ocirt run`` (``cli``: the flag's spellings, then an optional metavar) and the test that
the doc fragment ``container_options`` documents each option as declared here
(``tests/collection/test_option_tables.py``). The ``doc`` lines are the fragment's first
description line, in Ansible's markup.
"""

from __future__ import annotations

from typing import Any

from ..common.defaults import DEFAULT_RUNTIME, DEFAULT_SNAPSHOTTER
from ..common.options import Option, OptionTable

DEFAULT_STOP_TIMEOUT = 10
DEFAULT_NETWORK_MODE = "none"
DEFAULT_RESTART_POLICY = "no"
#: "host" shares the machine's network namespace; "none" gives a loopback-only namespace;
#: any other value names a network (``cni/``), as ``docker run --network NAME``.
NETWORK_MODES = ("none", "host")
PULL_POLICIES = ("missing", "always", "never")
#: json-file: ocirt's log driver (binary:// URI), JSON lines with times and streams, rotated;
#: file: containerd's file:// logging, raw bytes (what containers made before had); none.
LOG_DRIVERS = ("json-file", "file", "none")
DEFAULT_LOG_DRIVER = "json-file"


def _canonical(name: str, type_: str, doc: str, **kw: Any) -> Option:
    return Option(name, type_, doc, canonical=True, **kw)


CONTAINER_TABLE = OptionTable(
    "container",
    [
        _canonical(
            "image",
            "str",
            "The image to run, normalised as containerd does (C(busybox) is "
            "C(docker.io/library/busybox:latest)).",
        ),
        _canonical("command", "list", "Arguments replacing the image's C(Cmd).", elements="str"),
        _canonical(
            "entrypoint",
            "list",
            "Replaces the image's C(Entrypoint).",
            elements="str",
            cli="--entrypoint",
        ),
        _canonical(
            "env",
            "dict",
            "Environment variables, merged over the image's.",
            cli="-e --env KEY=VALUE",
        ),
        _canonical(
            "working_dir",
            "str",
            "Working directory (absolute); defaults to the image's C(WorkingDir), else C(/).",
            cli="-w --workdir",
        ),
        _canonical(
            "user",
            "str",
            "User (name or uid, optionally C(:group)), resolved against the image's "
            "C(/etc/passwd) and C(/etc/group).",
            cli="-u --user",
        ),
        _canonical("hostname", "str", "The container's host name.", cli="--hostname"),
        _canonical("labels", "dict", "Labels on the container record.", cli="-l --label KEY=VALUE"),
        _canonical("annotations", "dict", "OCI annotations in the runtime spec."),
        _canonical(
            "mounts",
            "list",
            "Mounts, each C(SOURCE:TARGET[:ro|rw]) (a bind mount) or a mapping with C(type) "
            "(V(bind), V(tmpfs), V(volume)), C(source), C(target), C(readonly) and C(options).",
            elements="raw",
            cli="-v --volume SRC:DST[:ro]",
        ),
        _canonical(
            "read_only_rootfs",
            "bool",
            "Mount the root file system read-only.",
            default=False,
            cli="--read-only",
        ),
        _canonical(
            "cap_add",
            "list",
            "Capabilities to add to containerd's default set (C(NET_ADMIN) or C(CAP_NET_ADMIN)).",
            elements="str",
            cli="--cap-add",
        ),
        _canonical(
            "cap_drop",
            "list",
            "Capabilities to drop from the default set.",
            elements="str",
            cli="--cap-drop",
        ),
        _canonical(
            "privileged",
            "bool",
            "All capabilities, no masked paths, all devices allowed.",
            default=False,
        ),
        _canonical(
            "devices",
            "list",
            "Host devices, each C(/dev/HOST[:/dev/CONTAINER[:rwm]]) or a mapping with C(path), "
            "C(container_path), C(permissions).",
            elements="raw",
        ),
        _canonical(
            "memory",
            "str",
            "Memory limit such as C(256m) or C(1g) (at least C(6m)).",
            cli="-m --memory",
        ),
        _canonical(
            "memory_swap",
            "str",
            "Memory plus swap limit; C(-1) for unlimited swap. Needs O(memory).",
        ),
        _canonical("cpus", "float", "CPU quota in CPUs, such as C(0.5).", cli="--cpus"),
        _canonical("cpu_shares", "int", "Relative CPU weight (cgroup v1 shares)."),
        _canonical("pids_limit", "int", "Maximum number of processes; C(-1) for no limit."),
        _canonical(
            "sysctls",
            "dict",
            "Namespaced kernel parameters, such as C(net.ipv4.ip_unprivileged_port_start).",
        ),
        _canonical("shm_size", "str", "Size of C(/dev/shm), such as C(64m)."),
        _canonical(
            "ulimits",
            "dict",
            "Resource limits by name (C(nofile), C(nproc), ...), each C(N), C(SOFT:HARD) or a "
            "mapping with C(soft) and C(hard).",
        ),
        _canonical(
            "network_mode",
            "str",
            "V(none) gives the container its own network namespace with loopback only; V(host) "
            "shares the machine's; any other value is the name of a network to attach.",
            default=DEFAULT_NETWORK_MODE,
            cli="--network",
        ),
        _canonical(
            "networks",
            "list",
            "Networks to attach, in order (the first is C(eth0)), each a name or a mapping with "
            "C(name), C(ipv4_address) and C(aliases).",
            elements="raw",
        ),
        _canonical(
            "published_ports",
            "list",
            "Ports published on the host, as C(docker run -p): C(8080:80), "
            "C(127.0.0.1:8080:80/tcp), C(8000-8001:80-81), C(53:53/udp).",
            elements="str",
            cli="-p --publish",
        ),
        _canonical(
            "dns",
            "list",
            "Name servers in the container's C(/etc/resolv.conf).",
            elements="str",
            cli="--dns",
        ),
        _canonical(
            "dns_search",
            "list",
            "Search domains in the container's C(/etc/resolv.conf).",
            elements="str",
            cli="--dns-search",
        ),
        _canonical(
            "extra_hosts",
            "list",
            "Extra C(/etc/hosts) entries, each C(HOST:IP).",
            elements="str",
            cli="--add-host HOST:IP",
        ),
        _canonical(
            "stop_signal",
            "str",
            "Signal that asks the process to stop; defaults to the image's C(StopSignal), else "
            "C(SIGTERM).",
        ),
        _canonical(
            "stop_timeout",
            "int",
            "Seconds to wait after the stop signal before C(SIGKILL).",
            default=DEFAULT_STOP_TIMEOUT,
        ),
        _canonical(
            "restart_policy",
            "str",
            "V(no), V(always), V(unless-stopped) or V(on-failure[:N]), carried out by "
            "containerd's own restart monitor (which checks every 10 seconds; containerd 1.6 "
            "treats every policy as V(always)).",
            default=DEFAULT_RESTART_POLICY,
            cli="--restart POLICY",
        ),
        _canonical("runtime", "str", "The containerd runtime.", default=DEFAULT_RUNTIME),
        _canonical(
            "snapshotter",
            "str",
            "Snapshotter for the root file system.",
            default=DEFAULT_SNAPSHOTTER,
        ),
        _canonical(
            "systemd_cgroup",
            "bool",
            "Place the container in a systemd slice, for containerd configured with "
            "C(SystemdCgroup).",
            default=False,
        ),
        _canonical(
            "tty",
            "bool",
            "Give the process a terminal (C(process.terminal)); its input and output then go "
            "through FIFOs that C(ocirt attach) connects to, not to the log file.",
            default=False,
            cli="-t --tty",
        ),
        # defaults stay out of the canonical form: containers made before these options
        # keep their hash (and the plain log file their labels name)
        _canonical(
            "log_driver",
            "str",
            "Where the output goes; V(json-file) (ocirt's log driver, JSON lines with time and "
            "stream, rotated as O(log_max_size) says), V(file) (containerd's plain file, no "
            "times) or V(none).",
            default=DEFAULT_LOG_DRIVER,
            choices=LOG_DRIVERS,
            cli="--log-driver",
        ),
        _canonical(
            "log_max_size",
            "str",
            "Rotate the V(json-file) log before it grows past this size (C(10m), C(1g)); unset, "
            "it is never rotated (docker's C(max-size)).",
        ),
        _canonical(
            "log_max_files",
            "int",
            "How many log files O(log_max_size) keeps, the live one included; 1 truncates "
            "instead (docker's C(max-file)).",
            default=1,
        ),
        # not part of the container's configuration: when to fetch its image
        Option(
            "pull",
            "str",
            "When to pull the image, as in M(ocirt.containerd.image).",
            default="missing",
            choices=PULL_POLICIES,
        ),
    ],
)

#: The options stored in the canonical configuration, in table order.
CANONICAL_OPTIONS = CONTAINER_TABLE.select(lambda option: option.canonical)

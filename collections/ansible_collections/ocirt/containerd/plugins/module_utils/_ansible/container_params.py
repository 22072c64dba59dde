"""The Ansible argument spec of a container's options, shared by the container modules.

It mirrors ``containers.options.ContainerOptions`` field by field; the library validates
the values, so the spec only says types. Documented in doc_fragments/container_options.py.
"""

from __future__ import annotations

from typing import Any, Dict

from ..containers.options import ContainerOptions

CONTAINER_OPTIONS: Dict[str, Dict[str, Any]] = {
    "image": {"type": "str"},
    "command": {"type": "list", "elements": "str"},
    "entrypoint": {"type": "list", "elements": "str"},
    "env": {"type": "dict"},
    "working_dir": {"type": "str"},
    "user": {"type": "str"},
    "hostname": {"type": "str"},
    "labels": {"type": "dict"},
    "annotations": {"type": "dict"},
    "mounts": {"type": "list", "elements": "raw"},
    "read_only_rootfs": {"type": "bool"},
    "cap_add": {"type": "list", "elements": "str"},
    "cap_drop": {"type": "list", "elements": "str"},
    "privileged": {"type": "bool"},
    "devices": {"type": "list", "elements": "raw"},
    "memory": {"type": "str"},
    "memory_swap": {"type": "str"},
    "cpus": {"type": "float"},
    "cpu_shares": {"type": "int"},
    "pids_limit": {"type": "int"},
    "sysctls": {"type": "dict"},
    "shm_size": {"type": "str"},
    "ulimits": {"type": "dict"},
    "network_mode": {"type": "str", "choices": ["none", "host"]},
    "stop_signal": {"type": "str"},
    "stop_timeout": {"type": "int"},
    "restart_policy": {"type": "str"},
    "runtime": {"type": "str"},
    "snapshotter": {"type": "str"},
    "systemd_cgroup": {"type": "bool"},
}

PULL_OPTION: Dict[str, Dict[str, Any]] = {
    "pull": {"type": "str", "choices": ["missing", "always", "never"], "default": "missing"},
}


def container_options(params: Dict[str, Any]) -> ContainerOptions:
    """ContainerOptions from module parameters (unset ones take the library's defaults)."""
    return ContainerOptions.from_dict({k: params.get(k) for k in CONTAINER_OPTIONS})

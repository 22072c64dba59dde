"""The declared pod: its CRI PodSandboxConfig and ContainerConfigs, built from the options.

A pod is known by (pod_namespace, name), as the CRI's metadata. The uid defaults to one
derived from both (uuid5), so the same declaration always names the same pod. Defaults
follow the kubelet: hostname = pod name unless on the host network, log directory
/var/log/pods/<ns>_<name>_<uid>, a container's log <name>.log in it. Containers join the
pod's network namespace mode (the CRI takes it from each container's own config).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from ..common.errors import InvalidInput
from ..cri.container_messages import PROPAGATIONS
from ..cri.linux_messages import LOCALHOST, NODE, POD, RUNTIME_DEFAULT, UNCONFINED
from ..cri.sandbox_messages import PROTOCOLS
from ..images.pull import RegistryAccess
from ..registry.reference import normalize_name
from .options import CONTAINER_OPTIONS, MOUNT_OPTIONS, POD_OPTIONS, PORT_OPTIONS, STATES

CriConfig = Dict[str, Any]
LOG_ROOT = "/var/log/pods"


@dataclass
class DesiredPodContainer:
    name: str
    image: str  # normalized
    config: CriConfig  # ContainerConfig


@dataclass
class DesiredPod:
    name: str
    pod_namespace: str = "default"
    state: str = "started"
    sandbox_config: CriConfig = field(default_factory=dict)  # PodSandboxConfig
    containers: List[DesiredPodContainer] = field(default_factory=list)
    runtime_handler: str = ""
    pull: str = "missing"
    stop_timeout: int = 10
    adopt: bool = False
    access: RegistryAccess = field(default_factory=RegistryAccess)  # for the images

    @property
    def subject(self) -> str:
        return f"pod {self.pod_namespace}/{self.name}"

    def container(self, name: str) -> DesiredPodContainer:
        for c in self.containers:
            if c.name == name:
                return c
        raise InvalidInput(f"{self.subject} declares no container {name!r}")

    def validate(self) -> None:
        if self.state not in STATES:
            raise InvalidInput(f"state must be one of {', '.join(STATES)}, got {self.state!r}")
        names = [c.name for c in self.containers]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise InvalidInput(f"containers: names must be unique, {', '.join(twice)} repeat")


def default_uid(pod_namespace: str, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"ocirt://pods/{pod_namespace}/{name}"))


def _filled(table: Any, values: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """The table's defaults overlaid with the given values (None means unset)."""
    out = table.defaults()
    out.update({k: v for k, v in (values or {}).items() if v is not None})
    return out


def _seccomp(profile: Optional[str], option: str) -> Optional[Dict[str, Any]]:
    if not profile:
        return None
    if profile == "runtime/default":
        return {"profile_type": RUNTIME_DEFAULT}
    if profile == "unconfined":
        return {"profile_type": UNCONFINED}
    if profile.startswith("localhost/"):
        return {"profile_type": LOCALHOST, "localhost_ref": profile[len("localhost/") :]}
    raise InvalidInput(
        f"{option} must be runtime/default, unconfined or localhost/<path>, got {profile!r}"
    )


def _id_value(value: Optional[int]) -> Optional[Dict[str, int]]:
    return None if value is None else {"value": value}


def _resources(values: Optional[Mapping[str, Any]]) -> Optional[Dict[str, Any]]:
    kept = {k: v for k, v in (values or {}).items() if v is not None}
    return kept or None


def _pod_security(o: Mapping[str, Any], network: int) -> Dict[str, Any]:
    sc = o.get("security_context") or {}
    return {
        "namespace_options": {"network": network, "pid": POD, "ipc": POD},
        "run_as_user": _id_value(sc.get("run_as_user")),
        "run_as_group": _id_value(sc.get("run_as_group")),
        "supplemental_groups": list(sc.get("supplemental_groups") or []),
        "readonly_rootfs": bool(sc.get("readonly_rootfs")),
        "privileged": bool(sc.get("privileged")),
        "seccomp": _seccomp(sc.get("seccomp_profile"), "security_context.seccomp_profile"),
    }


def _ports(mappings: List[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    return [
        {
            "protocol": PROTOCOLS[m.get("protocol") or "tcp"],
            "container_port": m["container_port"],
            "host_port": m.get("host_port") or 0,
            "host_ip": m.get("host_ip") or "",
        }
        for m in mappings
    ]


def sandbox_config(o: Mapping[str, Any]) -> CriConfig:
    """The PodSandboxConfig of validated pod options (defaults filled)."""
    uid = o.get("uid") or default_uid(o["pod_namespace"], o["name"])
    host = o["network"] == "host"
    config: CriConfig = {
        "metadata": {
            "name": o["name"],
            "uid": uid,
            "namespace": o["pod_namespace"],
            "attempt": o["attempt"],
        },
        "hostname": o.get("hostname") or ("" if host else o["name"]),
        "log_directory": o.get("log_directory")
        or f"{LOG_ROOT}/{o['pod_namespace']}_{o['name']}_{uid}",
        "dns_config": _filled(_dns_table(), o.get("dns")) if o.get("dns") else None,
        "port_mappings": _ports(o.get("port_mappings") or []),
        "labels": _strings(o.get("labels")),
        "annotations": _strings(o.get("annotations")),
        "linux": {
            "cgroup_parent": o.get("cgroup_parent") or "",
            "security_context": _pod_security(o, NODE if host else POD),
            "sysctls": _strings(o.get("sysctls")),
            "resources": _resources(o.get("resources")),
        },
    }
    return config


def _dns_table() -> Any:
    return POD_OPTIONS["dns"].suboptions


def _strings(values: Optional[Mapping[str, Any]]) -> Dict[str, str]:
    return {str(k): str(v) for k, v in (values or {}).items()}


def _container_security(sc: Mapping[str, Any], network: int, where: str) -> Dict[str, Any]:
    caps = {
        "add_capabilities": list(sc.get("capabilities_add") or []),
        "drop_capabilities": list(sc.get("capabilities_drop") or []),
    }
    return {
        "namespace_options": {"network": network, "pid": POD, "ipc": POD},
        "capabilities": caps if any(caps.values()) else None,
        "run_as_user": _id_value(sc.get("run_as_user")),
        "run_as_group": _id_value(sc.get("run_as_group")),
        "readonly_rootfs": bool(sc.get("readonly_rootfs")),
        "privileged": bool(sc.get("privileged")),
        "no_new_privs": bool(sc.get("no_new_privs")),
        "seccomp": _seccomp(sc.get("seccomp_profile"), f"{where}security_context.seccomp_profile"),
    }


def _mounts(mounts: List[Mapping[str, Any]]) -> List[Dict[str, Any]]:
    return [
        {
            "container_path": m["container_path"],
            "host_path": m["host_path"],
            "readonly": bool(m.get("readonly")),
            "propagation": PROPAGATIONS[m.get("propagation") or "private"],
        }
        for m in mounts
    ]


def container_config(c: Mapping[str, Any], network: int, where: str = "") -> CriConfig:
    """The ContainerConfig of one validated container entry (defaults filled)."""
    env = c.get("env") or {}
    return {
        "metadata": {"name": c["name"], "attempt": 0},
        "image": {"image": normalize_name(c["image"])},
        "command": list(c.get("command") or []),
        "args": list(c.get("args") or []),
        "working_dir": c.get("working_dir") or "",
        "envs": [{"key": str(k), "value": str(env[k])} for k in sorted(env)],
        "mounts": _mounts(c.get("mounts") or []),
        "labels": _strings(c.get("labels")),
        "annotations": _strings(c.get("annotations")),
        "log_path": c.get("log_path") or f"{c['name']}.log",
        "tty": bool(c.get("tty")),
        "stdin": bool(c.get("stdin")),
        "linux": {
            "resources": _resources(c.get("resources")),
            "security_context": _container_security(
                c.get("security_context") or {}, network, where
            ),
        },
    }


def _check_items(table: Any, items: List[Mapping[str, Any]], where: str) -> None:
    for j, item in enumerate(items or []):
        table.check(_filled(table, item), f"{where}[{j}].")


def from_options(params: Mapping[str, Any], access: Optional[RegistryAccess] = None) -> DesiredPod:
    """The desired pod of module parameters or an equivalent mapping (validated here: an
    error names the option, e.g. ``containers[1].image is required``)."""
    own = {k: params.get(k) for k in POD_OPTIONS.names() if k in params}
    o = _filled(POD_OPTIONS, own)
    POD_OPTIONS.check({k: v for k, v in o.items() if v is not None or k == "name"})
    entries = [_filled(CONTAINER_OPTIONS, c) for c in o["containers"]]
    for i, entry in enumerate(entries):  # with every key, so required ones are checked
        CONTAINER_OPTIONS.check(entry, f"containers[{i}].")
        _check_items(MOUNT_OPTIONS, entry["mounts"], f"containers[{i}].mounts")
    _check_items(PORT_OPTIONS, o["port_mappings"], "port_mappings")
    network = NODE if o["network"] == "host" else POD
    desired = DesiredPod(
        name=o["name"],
        pod_namespace=o["pod_namespace"],
        state=o["state"],
        runtime_handler=o["runtime_handler"] or "",
        pull=o["pull"],
        stop_timeout=o["stop_timeout"],
        adopt=o["adopt"],
        access=access or RegistryAccess(),
    )
    if o["state"] != "absent":
        desired.sandbox_config = sandbox_config(o)
        desired.containers = [
            DesiredPodContainer(
                c["name"],
                normalize_name(c["image"]),
                container_config(c, network, f"containers[{i}]."),
            )
            for i, c in enumerate(entries)
        ]
    desired.validate()
    return desired

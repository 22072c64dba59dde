"""The OCI runtime spec of a container: containerd's defaults, then the image config, then
the user's options (the order containerd's own client applies them in).

Pure functions of their inputs (the daemon version, the image config, a reader for files of
the image's rootfs): the same options always give the same spec, which is what lets
``inspect`` summarise it and tests compare it with ``ctr``'s.
"""

from __future__ import annotations

import copy
import os
import socket
import stat
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ..api.version import parse_series
from ..common.errors import InvalidInput
from .option_values import CAPABILITIES
from .options import ContainerOptions
from .paths import Paths
from .users import resolve_user

SPEC_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec"
DEFAULT_PATH_ENV = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
DEFAULT_CAPABILITIES = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
]
ALL_CAPABILITIES = ["CAP_" + c for c in CAPABILITIES]
CPU_PERIOD = 100000

Version = Union[str, Tuple[int, ...], None]
FileReader = Callable[[str], Optional[bytes]]


def _series(version: Version) -> Tuple[int, int]:
    if version is None:
        return (1, 6)
    if isinstance(version, str):
        return parse_series(version)
    return (int(version[0]), int(version[1]) if len(version) > 1 else 0)


def cgroups_path(namespace: str, container_id: str, systemd: bool = False) -> str:
    """cgroupfs: /<namespace>/<id> (containerd's default); systemd: slice:prefix:name."""
    if systemd:
        return f"system.slice:containerd:{container_id}"
    return f"/{namespace}/{container_id}"


def _mount(destination: str, kind: str, source: str, *options: str) -> Dict[str, Any]:
    return {"destination": destination, "type": kind, "source": source, "options": list(options)}


#: containerd's default mounts (its oci package's defaults), in its order
_DEFAULT_MOUNTS: List[Dict[str, Any]] = [
    _mount("/proc", "proc", "proc", "nosuid", "noexec", "nodev"),
    _mount("/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
    _mount(
        "/dev/pts",
        "devpts",
        "devpts",
        *("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"),
    ),
    _mount("/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k"),
    _mount("/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev"),
    _mount("/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro"),
    _mount("/run", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k"),
]
_MASKED_PATHS = (
    "/proc/acpi",
    "/proc/asound",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/sys/firmware",
)
_READONLY_PATHS = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")
_NAMESPACES = ("pid", "ipc", "uts", "mount", "network")


def default_spec(
    namespace: str, container_id: str, daemon_version: Version = None, systemd: bool = False
) -> Dict[str, Any]:
    """containerd's default Linux spec (what `ctr oci spec` prints) for that daemon series.

    1.7+ (Debian's 1.7.24 and 2.x) also mask /sys/devices/virtual/powercap; 1.6.20 does not.
    """
    series = _series(daemon_version)
    masked = list(_MASKED_PATHS)
    if series >= (1, 7):
        masked.append("/sys/devices/virtual/powercap")
    masked.append("/proc/scsi")
    return {
        "ociVersion": "1.0.2-dev" if series < (1, 7) else "1.1.0",
        "process": {
            "user": {"uid": 0, "gid": 0},
            "args": [],
            "env": [],
            "cwd": "/",
            "capabilities": {
                "bounding": list(DEFAULT_CAPABILITIES),
                "effective": list(DEFAULT_CAPABILITIES),
                "permitted": list(DEFAULT_CAPABILITIES),
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
            "noNewPrivileges": True,
        },
        "root": {"path": "rootfs"},
        "mounts": copy.deepcopy(_DEFAULT_MOUNTS),
        "linux": {
            "resources": {"devices": [{"allow": False, "access": "rwm"}]},
            "cgroupsPath": cgroups_path(namespace, container_id, systemd),
            "namespaces": [{"type": t} for t in _NAMESPACES],
            "maskedPaths": masked,
            "readonlyPaths": list(_READONLY_PATHS),
        },
    }


def _merge_env(base: Sequence[str], overrides: Mapping[str, str]) -> List[str]:
    """Image env, then the user's (a key given again replaces the image's value in place)."""
    order: List[str] = []
    values: Dict[str, str] = {}
    for item in base:
        key, _, value = item.partition("=")
        if key not in values:
            order.append(key)
        values[key] = value
    for key in sorted(overrides):
        if key not in values:
            order.append(key)
        values[key] = overrides[key]
    return [f"{k}={values[k]}" for k in order]


def process_args(options: ContainerOptions, image_config: Mapping[str, Any]) -> List[str]:
    """Entrypoint + Cmd with docker's rule: a user entrypoint resets the image's Cmd."""
    entrypoint = (
        options.entrypoint
        if options.entrypoint is not None
        else list(image_config.get("Entrypoint") or [])
    )
    if options.command is not None:
        cmd = options.command
    elif options.entrypoint is not None:
        cmd = []
    else:
        cmd = list(image_config.get("Cmd") or [])
    args = list(entrypoint) + list(cmd)
    if not args:
        raise InvalidInput(
            "command: the image defines no Entrypoint or Cmd, so a command is required"
        )
    return args


def _device(entry: Mapping[str, str]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    try:
        st = os.stat(entry["path"])
    except OSError as exc:
        raise InvalidInput(f"devices: {entry['path']}: {exc.strerror}") from None
    if stat.S_ISCHR(st.st_mode):
        kind = "c"
    elif stat.S_ISBLK(st.st_mode):
        kind = "b"
    else:
        raise InvalidInput(f"devices: {entry['path']} is not a character or block device")
    major, minor = os.major(st.st_rdev), os.minor(st.st_rdev)
    dev = {
        "path": entry["container_path"],
        "type": kind,
        "major": major,
        "minor": minor,
        "fileMode": stat.S_IMODE(st.st_mode),
        "uid": st.st_uid,
        "gid": st.st_gid,
    }
    rule = {
        "allow": True,
        "type": kind,
        "major": major,
        "minor": minor,
        "access": entry["permissions"],
    }
    return dev, rule


def _user_mount(m: Mapping[str, Any], namespace: str, paths: Paths) -> Dict[str, Any]:
    ro = ["ro"] if m["readonly"] else []
    if m["type"] == "tmpfs":
        return {
            "destination": m["target"],
            "type": "tmpfs",
            "source": "tmpfs",
            "options": ["nosuid", "nodev", *ro, *m["options"]],
        }
    source = m["source"] if m["type"] == "bind" else paths.volume_path(namespace, m["source"])
    return {
        "destination": m["target"],
        "type": "bind",
        "source": source,
        "options": ["rbind", *(ro or ["rw"]), *m["options"]],
    }


@dataclass(frozen=True)
class SpecInput:
    """What the spec is built from, handed to each ``with_*`` step."""

    namespace: str
    container_id: str
    options: ContainerOptions
    image_config: Mapping[str, Any]
    read_file: FileReader
    paths: Paths


Spec = Dict[str, Any]
SpecOpt = Callable[[Spec, SpecInput], None]


def with_process(spec: Spec, given: SpecInput) -> None:
    """Args, user, env and cwd: the image's, then the options'."""
    options, image_config = given.options, given.image_config
    proc = spec["process"]
    proc["args"] = process_args(options, image_config)
    image_env = list(image_config.get("Env") or [])
    if not any(e.startswith("PATH=") for e in image_env):
        image_env.insert(0, DEFAULT_PATH_ENV)
    user = options.user if options.user is not None else (image_config.get("User") or "")
    who = resolve_user(user, given.read_file("/etc/passwd"), given.read_file("/etc/group"))
    proc["user"] = {"uid": who["uid"], "gid": who["gid"]}
    if who["additional_gids"]:
        proc["user"]["additionalGids"] = who["additional_gids"]
    env = _merge_env(image_env, options.env)
    if not any(e.startswith("HOME=") for e in env):
        env.append(f"HOME={who['home'] or '/'}")
    proc["env"] = env
    proc["cwd"] = options.working_dir or image_config.get("WorkingDir") or "/"


def with_terminal(spec: Spec, given: SpecInput) -> None:
    """``tty``: a console for the process, as containerd's ``oci.WithTTY`` (which also adds
    ``TERM=xterm``). Its size is not stored: the client sends ResizePty once it runs."""
    if not given.options.tty:
        return
    proc = spec["process"]
    proc["terminal"] = True
    if not any(e.startswith("TERM=") for e in proc["env"]):
        proc["env"].append("TERM=xterm")


def with_network(spec: Spec, given: SpecInput) -> None:
    """Host name and network namespace. A container on networks keeps its own namespace
    here; ``networking.prepare_spec`` then points it at the pinned one and mounts the
    generated /etc/hosts and /etc/resolv.conf (``cni/attach``)."""
    options = given.options
    if options.network_mode != "host":
        spec["hostname"] = options.hostname or given.container_id[:63]
        return
    linux = spec["linux"]
    linux["namespaces"] = [n for n in linux["namespaces"] if n["type"] != "network"]
    spec["hostname"] = options.hostname or socket.gethostname()
    for f in ("/etc/hosts", "/etc/resolv.conf"):
        if os.path.exists(f):
            spec["mounts"].append(
                {"destination": f, "type": "bind", "source": f, "options": ["rbind", "ro"]}
            )


def capabilities(options: ContainerOptions) -> List[str]:
    """containerd's default set, with cap_add and cap_drop ("ALL" in either) applied."""
    caps = list(DEFAULT_CAPABILITIES)
    if options.privileged or "ALL" in options.cap_add:
        caps = list(ALL_CAPABILITIES)
    else:
        caps += [c for c in options.cap_add if c not in caps]
    if "ALL" in options.cap_drop and not options.privileged:
        return [c for c in options.cap_add if c != "ALL"]
    return [c for c in caps if c not in options.cap_drop]


def with_capabilities(spec: Spec, given: SpecInput) -> None:
    caps = capabilities(given.options)
    spec["process"]["capabilities"] = {
        k: list(caps) for k in ("bounding", "effective", "permitted")
    }


def with_privileges(spec: Spec, given: SpecInput) -> None:
    """privileged: nothing masked or read-only, every device allowed, /sys writable."""
    if not given.options.privileged:
        return
    linux = spec["linux"]
    linux["maskedPaths"] = []
    linux["readonlyPaths"] = []
    linux["resources"]["devices"] = [{"allow": True, "access": "rwm"}]
    for m in spec["mounts"]:
        if m["destination"] == "/sys":
            m["options"] = [o for o in m["options"] if o != "ro"]


def with_rlimits(spec: Spec, given: SpecInput) -> None:
    proc = spec["process"]
    rlimits = {r["type"]: r for r in proc["rlimits"]}
    for name, limit in sorted(given.options.ulimits.items()):
        key = "RLIMIT_" + name.upper()
        rlimits[key] = {"type": key, "hard": limit["hard"], "soft": limit["soft"]}
    proc["rlimits"] = list(rlimits.values())


def with_filesystem(spec: Spec, given: SpecInput) -> None:
    """Read-only root, the size of /dev/shm, then the user's mounts over the defaults."""
    options = given.options
    spec["root"]["readonly"] = bool(options.read_only_rootfs)
    if options.shm_size is not None:
        for m in spec["mounts"]:
            if m["destination"] == "/dev/shm":
                m["options"] = [o for o in m["options"] if not o.startswith("size=")]
                m["options"].append(f"size={max(options.shm_size // 1024, 1)}k")
    user_mounts = [_user_mount(m, given.namespace, given.paths) for m in options.mounts]
    targets = {m["destination"] for m in user_mounts}
    spec["mounts"] = [m for m in spec["mounts"] if m["destination"] not in targets]
    spec["mounts"] += sorted(user_mounts, key=lambda m: m["destination"].count("/"))


def with_devices(spec: Spec, given: SpecInput) -> None:
    linux = spec["linux"]
    for entry in given.options.devices:
        dev, rule = _device(entry)
        linux.setdefault("devices", []).append(dev)
        linux["resources"]["devices"].append(rule)


def with_resources(spec: Spec, given: SpecInput) -> None:
    """Memory, CPU and pids limits."""
    options = given.options
    resources = spec["linux"]["resources"]
    if options.memory is not None:
        memory: Dict[str, Any] = {"limit": options.memory}
        if options.memory_swap is not None:
            memory["swap"] = options.memory_swap
        resources["memory"] = memory
    cpu: Dict[str, Any] = {}
    if options.cpus is not None:
        cpu["quota"] = int(options.cpus * CPU_PERIOD)
        cpu["period"] = CPU_PERIOD
    if options.cpu_shares is not None:
        cpu["shares"] = options.cpu_shares
    if cpu:
        resources["cpu"] = cpu
    if options.pids_limit is not None:
        resources["pids"] = {"limit": options.pids_limit}


def with_sysctls_and_annotations(spec: Spec, given: SpecInput) -> None:
    if given.options.sysctls:
        spec["linux"]["sysctl"] = dict(given.options.sysctls)
    if given.options.annotations:
        spec["annotations"] = dict(given.options.annotations)


#: In containerd's order: the image config, then the options; a later step may rely on an
#: earlier one (devices add rules to the list that privileges replace).
SPEC_OPTS: Tuple[SpecOpt, ...] = (
    with_process,
    with_terminal,
    with_network,
    with_capabilities,
    with_privileges,
    with_rlimits,
    with_filesystem,
    with_devices,
    with_resources,
    with_sysctls_and_annotations,
)


def build_spec(
    namespace: str,
    container_id: str,
    options: ContainerOptions,
    image_config: Mapping[str, Any],
    read_file: FileReader,
    daemon_version: Version = None,
    paths: Optional[Paths] = None,
) -> Spec:
    """The full spec: containerd's default, then each of ``SPEC_OPTS``. ``image_config`` is
    the ``config`` object of the image config blob; ``read_file("/etc/passwd")`` reads the
    image rootfs (see rootfs.py)."""
    spec = default_spec(namespace, container_id, daemon_version, options.systemd_cgroup)
    given = SpecInput(namespace, container_id, options, image_config, read_file, paths or Paths())
    for opt in SPEC_OPTS:
        opt(spec, given)
    return copy.deepcopy(spec)


def summarize(spec: Mapping[str, Any]) -> Dict[str, Any]:
    """The parts of a spec people ask about (inspect): args, env, user, cwd, mounts, limits."""
    proc = spec.get("process") or {}
    linux = spec.get("linux") or {}
    resources = linux.get("resources") or {}
    memory = resources.get("memory") or {}
    cpu = resources.get("cpu") or {}
    user = proc.get("user") or {}
    defaults = {"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/run"}
    return {
        "args": list(proc.get("args") or []),
        "env": list(proc.get("env") or []),
        "user": f"{user.get('uid', 0)}:{user.get('gid', 0)}",
        "cwd": proc.get("cwd") or "/",
        "hostname": spec.get("hostname") or "",
        "readonly_rootfs": bool((spec.get("root") or {}).get("readonly")),
        "mounts": [
            {
                "type": m.get("type", ""),
                "source": m.get("source", ""),
                "destination": m.get("destination", ""),
                "options": list(m.get("options") or []),
            }
            for m in spec.get("mounts") or []
            if m.get("destination") not in defaults
        ],
        "memory_limit": memory.get("limit"),
        "cpu_quota": cpu.get("quota"),
        "cpu_period": cpu.get("period"),
        "pids_limit": (resources.get("pids") or {}).get("limit"),
        "capabilities": list((proc.get("capabilities") or {}).get("effective") or []),
        "network": "host"
        if not any(n.get("type") == "network" for n in linux.get("namespaces") or [])
        else "private",
        "cgroups_path": linux.get("cgroupsPath", ""),
    }

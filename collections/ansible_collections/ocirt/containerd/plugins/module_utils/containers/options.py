"""What a user can ask of a container, validated, and its canonical form.

Every front end (module, CLI, pyinfra) builds a ``ContainerOptions`` through
``ContainerOptions.from_dict`` so bad input is refused with the option's name and the allowed
values before anything reaches containerd. ``canonical()`` drops defaults, so an omitted option
and the same option given at its default compare equal: that is what makes a second run of a
play report no change.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import signal as _signal
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional

from ..common.defaults import DEFAULT_RUNTIME, DEFAULT_SNAPSHOTTER
from ..common.errors import InvalidInput
from ..registry.reference import normalize_name

DEFAULT_STOP_SIGNAL = "SIGTERM"
DEFAULT_STOP_TIMEOUT = 10
RESTART_POLICIES = ("no", "always", "unless-stopped", "on-failure")
#: "host" shares the machine's network namespace; "none" gives a loopback-only namespace.
#: CNI networks (a later issue) will add names here: ``spec.build_spec`` has the seam.
NETWORK_MODES = ("none", "host")
MOUNT_TYPES = ("bind", "tmpfs", "volume")
_VOLUME_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
#: Linux capabilities that can be added or dropped ("ALL" too).
CAPABILITIES = (
    "AUDIT_CONTROL AUDIT_READ AUDIT_WRITE BLOCK_SUSPEND BPF CHECKPOINT_RESTORE CHOWN "
    "DAC_OVERRIDE DAC_READ_SEARCH FOWNER FSETID IPC_LOCK IPC_OWNER KILL LEASE LINUX_IMMUTABLE "
    "MAC_ADMIN MAC_OVERRIDE MKNOD NET_ADMIN NET_BIND_SERVICE NET_BROADCAST NET_RAW PERFMON "
    "SETFCAP SETGID SETPCAP SETUID SYS_ADMIN SYS_BOOT SYS_CHROOT SYS_MODULE SYS_NICE SYS_PACCT "
    "SYS_PTRACE SYS_RAWIO SYS_RESOURCE SYS_TIME SYS_TTY_CONFIG SYSLOG WAKE_ALARM"
).split()
ULIMITS = (
    "as core cpu data fsize locks memlock msgqueue nice nofile nproc rss rtprio rttime "
    "sigpending stack"
).split()


def parse_size(value: Any, option: str) -> Optional[int]:
    """Bytes from an int or a docker-style string ("256m", "1g", "512k", "1.5GiB")."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidInput(f"{option}: expected a size such as 268435456 or '256m', got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise InvalidInput(f"{option}: a size cannot be negative ({value})")
        return value
    m = _SIZE.match(str(value))
    if not m:
        raise InvalidInput(
            f"{option}: {value!r} is not a size; use bytes or a number with a unit b, k, m, g "
            "or t (for example '256m')"
        )
    return int(float(m.group(1)) * _UNITS[m.group(2).lower()])


def parse_signal(value: Any, option: str = "stop_signal") -> int:
    """A signal number from 15, "15", "TERM" or "SIGTERM"."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        text = str(value).strip().upper()
        if text.isdigit():
            number = int(text)
        else:
            name = text if text.startswith("SIG") else "SIG" + text
            try:
                number = int(getattr(_signal.Signals, name))
            except AttributeError:
                raise InvalidInput(
                    f"{option}: unknown signal {value!r}; use a name such as SIGTERM, SIGINT, "
                    "SIGQUIT, SIGKILL, SIGHUP or a number"
                ) from None
    if not 1 <= number <= 64:
        raise InvalidInput(f"{option}: signal number {number} is out of range 1-64")
    return number


def signal_name(value: Any) -> str:
    number = parse_signal(value)
    try:
        return _signal.Signals(number).name
    except ValueError:
        return str(number)


def parse_restart_policy(value: Any) -> str:
    """'no', 'always', 'unless-stopped', 'on-failure' or 'on-failure:N' (N >= 1)."""
    text = "no" if value in (None, "", False) else str(value).strip()
    name, _, count = text.partition(":")
    if name not in RESTART_POLICIES:
        raise InvalidInput(
            f"restart_policy: {value!r} is not one of {', '.join(RESTART_POLICIES)} "
            "(on-failure takes an optional retry count: on-failure:3)"
        )
    if count:
        if name != "on-failure" or not count.isdigit() or int(count) < 1:
            raise InvalidInput(
                f"restart_policy: {value!r}: only on-failure takes a retry count (on-failure:3)"
            )
    return text


def _str_list(value: Any, option: str) -> Optional[List[str]]:
    if value is None:
        return None
    if isinstance(value, str):
        raise InvalidInput(f"{option}: expected a list of strings, got the string {value!r}")
    try:
        return [str(v) for v in value]
    except TypeError:
        raise InvalidInput(f"{option}: expected a list of strings, got {value!r}") from None


def _str_map(value: Any, option: str) -> Dict[str, str]:
    if value is None:
        return {}
    if isinstance(value, (list, tuple)):  # ["K=V", ...] as docker's -e gives them
        out = {}
        for item in value:
            key, sep, val = str(item).partition("=")
            if not key or not sep:
                raise InvalidInput(f"{option}: {item!r} is not KEY=VALUE")
            out[key] = val
        return out
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{option}: expected a mapping of strings, got {value!r}")
    out = {}
    for k, v in value.items():
        if not str(k):
            raise InvalidInput(f"{option}: empty key")
        if isinstance(v, bool):
            v = "true" if v else "false"
        out[str(k)] = "" if v is None else str(v)
    return out


def _capability(name: Any, option: str) -> str:
    text = str(name).strip().upper()
    if text.startswith("CAP_"):
        text = text[4:]
    if text != "ALL" and text not in CAPABILITIES:
        raise InvalidInput(
            f"{option}: unknown capability {name!r}; allowed: ALL, {', '.join(CAPABILITIES)}"
        )
    return "ALL" if text == "ALL" else "CAP_" + text


def _normalize_mount(raw: Any, index: int) -> Dict[str, Any]:
    where = f"mounts[{index}]"
    if isinstance(raw, str):  # docker's -v SRC:DST[:ro]
        parts = raw.split(":")
        if len(parts) not in (2, 3):
            raise InvalidInput(f"{where}: {raw!r} is not SOURCE:TARGET[:ro|rw]")
        mode = parts[2] if len(parts) == 3 else "rw"
        if mode not in ("ro", "rw"):
            raise InvalidInput(f"{where}: mode {mode!r} must be ro or rw")
        src = parts[0]
        raw = {
            "type": "bind" if src.startswith("/") else "volume",
            "source": src,
            "target": parts[1],
            "readonly": mode == "ro",
        }
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{where}: expected a mapping with type, source, target")
    unknown = set(raw) - {"type", "source", "target", "readonly", "options"}
    if unknown:
        raise InvalidInput(
            f"{where}: unknown keys {', '.join(sorted(unknown))}; allowed: type, source, "
            "target, readonly, options"
        )
    mtype = raw.get("type") or "bind"
    if mtype not in MOUNT_TYPES:
        raise InvalidInput(f"{where}.type: {mtype!r} is not one of {', '.join(MOUNT_TYPES)}")
    target = str(raw.get("target") or "")
    if not target.startswith("/"):
        raise InvalidInput(f"{where}.target: {target!r} must be an absolute path")
    source = str(raw.get("source") or "")
    if mtype == "bind" and not source.startswith("/"):
        raise InvalidInput(f"{where}.source: a bind mount needs an absolute host path")
    if mtype == "volume" and not _VOLUME_NAME.match(source):
        raise InvalidInput(
            f"{where}.source: {source!r} is not a volume name (letters, digits, '_', '.', '-')"
        )
    if mtype == "tmpfs":
        source = ""
    options = _str_list(raw.get("options"), f"{where}.options") or []
    return {
        "type": mtype,
        "source": source,
        "target": target.rstrip("/") or "/",
        "readonly": bool(raw.get("readonly", False)),
        "options": options,
    }


def _normalize_device(raw: Any, index: int) -> Dict[str, str]:
    where = f"devices[{index}]"
    if isinstance(raw, str):  # /dev/fuse[:/dev/fuse[:rwm]]
        parts = raw.split(":")
        raw = {"path": parts[0]}
        if len(parts) > 1:
            raw["container_path"] = parts[1]
        if len(parts) > 2:
            raw["permissions"] = parts[2]
    if not isinstance(raw, Mapping) or not str(raw.get("path", "")).startswith("/dev/"):
        raise InvalidInput(f"{where}: expected a host device path under /dev (e.g. /dev/fuse)")
    perms = str(raw.get("permissions") or "rwm")
    if not perms or set(perms) - set("rwm"):
        raise InvalidInput(f"{where}.permissions: {perms!r} must combine r, w and m")
    return {
        "path": str(raw["path"]),
        "container_path": str(raw.get("container_path") or raw["path"]),
        "permissions": perms,
    }


def _normalize_ulimit(name: str, value: Any) -> Dict[str, int]:
    if name not in ULIMITS:
        raise InvalidInput(f"ulimits: unknown limit {name!r}; allowed: {', '.join(ULIMITS)}")
    if isinstance(value, Mapping):
        soft, hard = value.get("soft"), value.get("hard")
    elif isinstance(value, str) and ":" in value:
        soft, hard = value.split(":", 1)
    else:
        soft = hard = value
    try:
        soft_i, hard_i = int(soft), int(hard if hard is not None else soft)
    except (TypeError, ValueError):
        raise InvalidInput(f"ulimits.{name}: expected N, 'SOFT:HARD' or {{soft, hard}}") from None
    if soft_i > hard_i and hard_i >= 0:
        raise InvalidInput(f"ulimits.{name}: soft limit {soft_i} exceeds hard limit {hard_i}")
    return {"soft": soft_i, "hard": hard_i}


@dataclass
class ContainerOptions:
    """Everything a user can ask of one container. Use ``from_dict`` to build it validated."""

    image: str
    command: Optional[List[str]] = None
    entrypoint: Optional[List[str]] = None
    env: Dict[str, str] = field(default_factory=dict)
    working_dir: Optional[str] = None
    user: Optional[str] = None
    hostname: Optional[str] = None
    labels: Dict[str, str] = field(default_factory=dict)
    annotations: Dict[str, str] = field(default_factory=dict)
    mounts: List[Dict[str, Any]] = field(default_factory=list)
    read_only_rootfs: bool = False
    cap_add: List[str] = field(default_factory=list)
    cap_drop: List[str] = field(default_factory=list)
    privileged: bool = False
    devices: List[Dict[str, str]] = field(default_factory=list)
    memory: Optional[int] = None
    memory_swap: Optional[int] = None  # total memory+swap, -1 = unlimited swap
    cpus: Optional[float] = None
    cpu_shares: Optional[int] = None
    pids_limit: Optional[int] = None
    sysctls: Dict[str, str] = field(default_factory=dict)
    shm_size: Optional[int] = None
    ulimits: Dict[str, Dict[str, int]] = field(default_factory=dict)
    network_mode: str = "none"
    stop_signal: Optional[str] = None  # None: the image's StopSignal, else SIGTERM
    stop_timeout: int = DEFAULT_STOP_TIMEOUT
    restart_policy: str = "no"
    runtime: str = DEFAULT_RUNTIME
    snapshotter: str = DEFAULT_SNAPSHOTTER
    systemd_cgroup: bool = False

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ContainerOptions:
        """Validate user input (a module's params, CLI flags) into options."""
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(raw) - names
        if unknown:
            raise InvalidInput(
                f"unknown container option(s) {', '.join(sorted(unknown))}; allowed: "
                + ", ".join(sorted(names))
            )
        given = {k: v for k, v in raw.items() if v is not None}
        if not given.get("image"):
            raise InvalidInput("image: an image name is required (e.g. docker.io/library/nginx)")
        try:
            image = normalize_name(str(given["image"]))
        except Exception as exc:
            raise InvalidInput(f"image: {exc}") from None
        opts = cls(image=image)
        opts.command = _str_list(given.get("command"), "command")
        opts.entrypoint = _str_list(given.get("entrypoint"), "entrypoint")
        opts.env = _str_map(given.get("env"), "env")
        for key in ("working_dir", "user", "hostname"):
            if given.get(key) not in (None, ""):
                setattr(opts, key, str(given[key]))
        if opts.working_dir is not None and not opts.working_dir.startswith("/"):
            raise InvalidInput(f"working_dir: {opts.working_dir!r} must be an absolute path")
        opts.labels = _str_map(given.get("labels"), "labels")
        opts.annotations = _str_map(given.get("annotations"), "annotations")
        mounts = given.get("mounts") or []
        if isinstance(mounts, (str, Mapping)):
            raise InvalidInput("mounts: expected a list")
        opts.mounts = [_normalize_mount(m, i) for i, m in enumerate(mounts)]
        targets = [m["target"] for m in opts.mounts]
        dup = sorted({t for t in targets if targets.count(t) > 1})
        if dup:
            raise InvalidInput(f"mounts: target {dup[0]} is mounted more than once")
        for key in ("read_only_rootfs", "privileged", "systemd_cgroup"):
            if key in given:
                if not isinstance(given[key], bool):
                    raise InvalidInput(f"{key}: expected true or false, got {given[key]!r}")
                setattr(opts, key, given[key])
        for key in ("cap_add", "cap_drop"):
            caps = _str_list(given.get(key), key) or []
            opts.__dict__[key] = sorted({_capability(c, key) for c in caps})
        devices = given.get("devices") or []
        opts.devices = [_normalize_device(d, i) for i, d in enumerate(devices)]
        opts.memory = parse_size(given.get("memory"), "memory")
        if opts.memory is not None and opts.memory < 6 * 1024 * 1024:
            raise InvalidInput("memory: the minimum is 6m (runc refuses less)")
        swap = given.get("memory_swap")
        opts.memory_swap = -1 if swap in (-1, "-1") else parse_size(swap, "memory_swap")
        if opts.memory_swap is not None:
            if opts.memory is None:
                raise InvalidInput("memory_swap: needs memory to be set as well")
            if opts.memory_swap != -1 and opts.memory_swap < opts.memory:
                raise InvalidInput("memory_swap: is memory+swap, it cannot be less than memory")
        if given.get("cpus") is not None:
            try:
                opts.cpus = float(given["cpus"])
            except (TypeError, ValueError):
                raise InvalidInput(
                    f"cpus: expected a number such as 0.5, got {given['cpus']!r}"
                ) from None
            if opts.cpus <= 0:
                raise InvalidInput("cpus: must be greater than 0")
        for key, low in (("cpu_shares", 2), ("pids_limit", 1)):
            if given.get(key) is not None:
                try:
                    value = int(given[key])
                except (TypeError, ValueError):
                    raise InvalidInput(f"{key}: expected an integer, got {given[key]!r}") from None
                if key == "pids_limit" and value == -1:
                    value = None
                elif value < low:
                    raise InvalidInput(f"{key}: must be at least {low}")
                setattr(opts, key, value)
        opts.sysctls = _str_map(given.get("sysctls"), "sysctls")
        opts.shm_size = parse_size(given.get("shm_size"), "shm_size")
        ulimits = given.get("ulimits") or {}
        if isinstance(ulimits, (list, tuple)):  # ["nofile=1024:2048"]
            ulimits = dict(str(u).split("=", 1) for u in ulimits)
        opts.ulimits = {str(k): _normalize_ulimit(str(k), v) for k, v in ulimits.items()}
        mode = str(given.get("network_mode") or "none")
        if mode not in NETWORK_MODES:
            raise InvalidInput(
                f"network_mode: {mode!r} is not one of {', '.join(NETWORK_MODES)} "
                "(CNI networks are not supported yet)"
            )
        opts.network_mode = mode
        if given.get("stop_signal") not in (None, ""):
            opts.stop_signal = signal_name(given["stop_signal"])
        if given.get("stop_timeout") is not None:
            try:
                opts.stop_timeout = int(given["stop_timeout"])
            except (TypeError, ValueError):
                raise InvalidInput("stop_timeout: expected whole seconds") from None
            if opts.stop_timeout < 0:
                raise InvalidInput("stop_timeout: cannot be negative")
        opts.restart_policy = parse_restart_policy(given.get("restart_policy"))
        for key in ("runtime", "snapshotter"):
            if given.get(key):
                setattr(opts, key, str(given[key]))
        return opts

    @property
    def restart_policy_name(self) -> str:
        return self.restart_policy.split(":", 1)[0]


_DEFAULTS = {f.name: f for f in dataclasses.fields(ContainerOptions)}


def _default_of(name: str) -> Any:
    f = _DEFAULTS[name]
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:  # type: ignore[misc]
        return f.default_factory()  # type: ignore[misc]
    return dataclasses.MISSING


def canonical(options: ContainerOptions, image_digest: Optional[str] = None) -> Dict[str, Any]:
    """A JSON-stable dict of the options: defaults dropped, lists that are sets sorted.

    ``image_digest`` (the image record's target digest) is part of it, so a new image behind
    the same name is a difference.
    """
    out: Dict[str, Any] = {}
    for name in _DEFAULTS:
        value = getattr(options, name)
        if name == "mounts":
            value = sorted(
                ({k: v for k, v in m.items() if v not in (False, [], "")} for m in value),
                key=lambda m: m["target"],
            )
        elif name == "devices":
            value = sorted(value, key=lambda d: d["container_path"])
        if value == _default_of(name) or value in ({}, []):
            continue
        out[name] = value
    if image_digest:
        out["image_digest"] = image_digest
    return out


def canonical_json(options: ContainerOptions, image_digest: Optional[str] = None) -> str:
    return json.dumps(canonical(options, image_digest), sort_keys=True, separators=(",", ":"))


def config_hash(options: ContainerOptions, image_digest: Optional[str] = None) -> str:
    """sha256 of the canonical JSON: stored in a label to compare desired and actual."""
    return "sha256:" + hashlib.sha256(canonical_json(options, image_digest).encode()).hexdigest()

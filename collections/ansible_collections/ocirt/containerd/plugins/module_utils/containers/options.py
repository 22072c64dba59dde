"""What a user can ask of a container, validated, and its canonical form.

Every front end (module, CLI, pyinfra) builds a ``ContainerOptions`` through
``ContainerOptions.from_dict`` so bad input is refused with the option's name and the allowed
values before anything reaches containerd. The options are those of
``option_table.CONTAINER_TABLE`` marked canonical; each is read by its parser below (the
parsers themselves live in ``option_values``). ``canonical()`` drops defaults, so an omitted
option and the same option given at its default compare equal: that is what makes a second
run of a play report no change. Its JSON and hash are stored on the container, so their
bytes must stay the same from one release to the next (``tests/containers/test_canonical_config.py``
pins them): a change would recreate every container after an upgrade.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional

from ..common.defaults import DEFAULT_RUNTIME, DEFAULT_SNAPSHOTTER
from ..common.errors import InvalidInput
from ..registry.reference import normalize_name
from .network_options import (
    check_network_choice,
    parse_dns,
    parse_extra_hosts,
    parse_network_mode,
    parse_networks,
    parse_published_ports,
)
from .option_table import (
    CANONICAL_OPTIONS,
    CONTAINER_TABLE,
    DEFAULT_LOG_DRIVER,
    DEFAULT_NETWORK_MODE,
    DEFAULT_RESTART_POLICY,
    DEFAULT_STOP_TIMEOUT,
)
from .option_values import (
    capability,
    normalize_device,
    normalize_mount,
    normalize_ulimit,
    parse_restart_policy,
    parse_signal,
    parse_size,
    signal_name,
    str_list,
    str_map,
)

# the value parsers lifecycle.py and the tests know under this module
__all__ = [
    "ContainerOptions",
    "canonical",
    "canonical_json",
    "config_hash",
    "parse_signal",
    "parse_size",
    "signal_name",
]

MIN_MEMORY = 6 * 1024 * 1024  # runc refuses less


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
    network_mode: str = DEFAULT_NETWORK_MODE
    networks: List[Dict[str, Any]] = field(default_factory=list)  # {name[, ipv4_address, aliases]}
    published_ports: List[Dict[str, Any]] = field(default_factory=list)  # cni.ports form
    dns: List[str] = field(default_factory=list)
    dns_search: List[str] = field(default_factory=list)
    extra_hosts: Dict[str, str] = field(default_factory=dict)
    stop_signal: Optional[str] = None  # None: the image's StopSignal, else SIGTERM
    stop_timeout: int = DEFAULT_STOP_TIMEOUT
    restart_policy: str = DEFAULT_RESTART_POLICY
    runtime: str = DEFAULT_RUNTIME
    snapshotter: str = DEFAULT_SNAPSHOTTER
    systemd_cgroup: bool = False
    tty: bool = False
    log_driver: str = DEFAULT_LOG_DRIVER
    log_max_size: Optional[int] = None
    log_max_files: int = 1

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ContainerOptions:
        """Validate user input (a module's params, CLI flags) into options."""
        _refuse_unknown(raw)
        given = {k: v for k, v in raw.items() if v is not None}
        if not given.get("image"):
            raise InvalidInput("image: an image name is required (e.g. docker.io/library/nginx)")
        values: Dict[str, Any] = {}
        for option in CANONICAL_OPTIONS:
            if option.name in given:
                value = _PARSERS[option.name](given[option.name], option.name)
                if value is not None:  # None: the default (an empty string, -1 pids)
                    values[option.name] = value
        opts = cls(**values)
        _check_memory_swap(opts)
        _check_log_options(opts)
        check_network_choice(opts)
        return opts

    @property
    def restart_policy_name(self) -> str:
        return self.restart_policy.split(":", 1)[0]


def _refuse_unknown(raw: Mapping[str, Any]) -> None:
    names = {option.name for option in CANONICAL_OPTIONS}
    unknown = set(raw) - names
    if unknown:
        raise InvalidInput(
            f"unknown container option(s) {', '.join(sorted(unknown))}; allowed: "
            + ", ".join(sorted(names))
        )


def _check_memory_swap(opts: ContainerOptions) -> None:
    if opts.memory_swap is None:
        return
    if opts.memory is None:
        raise InvalidInput("memory_swap: needs memory to be set as well")
    if opts.memory_swap != -1 and opts.memory_swap < opts.memory:
        raise InvalidInput("memory_swap: is memory+swap, it cannot be less than memory")


def _check_log_options(opts: ContainerOptions) -> None:
    if opts.log_driver != "json-file" and (opts.log_max_size or opts.log_max_files != 1):
        raise InvalidInput(
            f"log_max_size, log_max_files: only the json-file log driver rotates, not "
            f"{opts.log_driver}"
        )
    if opts.log_max_files != 1 and not opts.log_max_size:
        raise InvalidInput("log_max_files: needs log_max_size (the size that starts a new file)")


# --- one parser per option: (value given, option name) -> normal form, None for the default


def _image(value: Any, option: str) -> str:
    try:
        return normalize_name(str(value))
    except Exception as exc:
        raise InvalidInput(f"{option}: {exc}") from None


def _text(value: Any, option: str) -> Optional[str]:
    return None if value == "" else str(value)


def _nonempty_text(value: Any, option: str) -> Optional[str]:
    return str(value) if value else None


def _absolute_path(value: Any, option: str) -> Optional[str]:
    path = _text(value, option)
    if path is not None and not path.startswith("/"):
        raise InvalidInput(f"{option}: {path!r} must be an absolute path")
    return path


def _flag(value: Any, option: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidInput(f"{option}: expected true or false, got {value!r}")
    return value


def _capabilities(value: Any, option: str) -> List[str]:
    return sorted({capability(c, option) for c in str_list(value, option) or []})


def _mounts(value: Any, option: str) -> List[Dict[str, Any]]:
    value = value or []
    if isinstance(value, (str, Mapping)):
        raise InvalidInput(f"{option}: expected a list")
    mounts = [normalize_mount(m, i) for i, m in enumerate(value)]
    targets = [m["target"] for m in mounts]
    dup = sorted({t for t in targets if targets.count(t) > 1})
    if dup:
        raise InvalidInput(f"{option}: target {dup[0]} is mounted more than once")
    return mounts


def _devices(value: Any, option: str) -> List[Dict[str, str]]:
    return [normalize_device(d, i) for i, d in enumerate(value or [])]


def _memory(value: Any, option: str) -> Optional[int]:
    size = parse_size(value, option)
    if size is not None and size < MIN_MEMORY:
        raise InvalidInput(f"{option}: the minimum is 6m (runc refuses less)")
    return size


def _memory_swap(value: Any, option: str) -> Optional[int]:
    return -1 if value in (-1, "-1") else parse_size(value, option)


def _cpus(value: Any, option: str) -> float:
    try:
        cpus = float(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{option}: expected a number such as 0.5, got {value!r}") from None
    if cpus <= 0:
        raise InvalidInput(f"{option}: must be greater than 0")
    return cpus


def _integer(value: Any, option: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{option}: expected an integer, got {value!r}") from None


def _at_least(low: int) -> Callable[[Any, str], int]:
    def parse(value: Any, option: str) -> int:
        number = _integer(value, option)
        if number < low:
            raise InvalidInput(f"{option}: must be at least {low}")
        return number

    return parse


def _pids_limit(value: Any, option: str) -> Optional[int]:
    if _integer(value, option) == -1:
        return None
    return _at_least(1)(value, option)


def _ulimits(value: Any, option: str) -> Dict[str, Dict[str, int]]:
    value = value or {}
    if isinstance(value, (list, tuple)):  # ["nofile=1024:2048"]
        pairs = [str(u).partition("=") for u in value]
        bad = [name for name, sep, _ in pairs if not sep]
        if bad:
            raise InvalidInput(f"{option}: {bad[0]!r} is not NAME=LIMIT (nofile=1024:2048)")
        value = {name: limit for name, _, limit in pairs}
    return {str(k): normalize_ulimit(str(k), v) for k, v in value.items()}


def _choice(value: Any, option: str) -> str:
    allowed = CONTAINER_TABLE[option].choices or ()
    if value not in allowed:
        raise InvalidInput(f"{option}: {value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _log_max_size(value: Any, option: str) -> Optional[int]:
    size = parse_size(value, option)
    if size == 0:
        raise InvalidInput(f"{option}: must be more than 0 (leave it unset for no rotation)")
    return size


def _stop_signal(value: Any, option: str) -> Optional[str]:
    return None if value == "" else signal_name(value, option)


def _stop_timeout(value: Any, option: str) -> int:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        raise InvalidInput(f"{option}: expected whole seconds") from None
    if seconds < 0:
        raise InvalidInput(f"{option}: cannot be negative")
    return seconds


_PARSERS: Dict[str, Callable[[Any, str], Any]] = {
    "image": _image,
    "command": str_list,
    "entrypoint": str_list,
    "env": str_map,
    "working_dir": _absolute_path,
    "user": _text,
    "hostname": _text,
    "labels": str_map,
    "annotations": str_map,
    "mounts": _mounts,
    "read_only_rootfs": _flag,
    "cap_add": _capabilities,
    "cap_drop": _capabilities,
    "privileged": _flag,
    "devices": _devices,
    "memory": _memory,
    "memory_swap": _memory_swap,
    "cpus": _cpus,
    "cpu_shares": _at_least(2),
    "pids_limit": _pids_limit,
    "sysctls": str_map,
    "shm_size": parse_size,
    "ulimits": _ulimits,
    "network_mode": parse_network_mode,
    "networks": parse_networks,
    "published_ports": parse_published_ports,
    "dns": parse_dns,
    "dns_search": str_list,
    "extra_hosts": parse_extra_hosts,
    "stop_signal": _stop_signal,
    "stop_timeout": _stop_timeout,
    "restart_policy": parse_restart_policy,
    "runtime": _nonempty_text,
    "snapshotter": _nonempty_text,
    "systemd_cgroup": _flag,
    "tty": _flag,
    "log_driver": _choice,
    "log_max_size": _log_max_size,
    "log_max_files": _at_least(1),
}


# --- the canonical form

#: Lists that are sets: stored in one order, so that the order they were given in is no change.
_CANONICAL_ORDER: Dict[str, Callable[[Any], Any]] = {
    "mounts": lambda mounts: sorted(
        ({k: v for k, v in m.items() if v not in (False, [], "")} for m in mounts),
        key=lambda m: m["target"],
    ),
    "devices": lambda devices: sorted(devices, key=lambda d: d["container_path"]),
}


def canonical(options: ContainerOptions, image_digest: Optional[str] = None) -> Dict[str, Any]:
    """A JSON-stable dict of the options: defaults dropped, lists that are sets sorted.

    ``image_digest`` (the image record's target digest) is part of it, so a new image behind
    the same name is a difference.
    """
    out: Dict[str, Any] = {}
    for option in CANONICAL_OPTIONS:
        value = getattr(options, option.name)
        order = _CANONICAL_ORDER.get(option.name)
        if order is not None:
            value = order(value)
        if value == option.default or value in ({}, []):
            continue
        out[option.name] = value
    if image_digest:
        out["image_digest"] = image_digest
    return out


def canonical_json(options: ContainerOptions, image_digest: Optional[str] = None) -> str:
    return json.dumps(canonical(options, image_digest), sort_keys=True, separators=(",", ":"))


def config_hash(options: ContainerOptions, image_digest: Optional[str] = None) -> str:
    """sha256 of the canonical JSON: stored in a label to compare desired and actual."""
    return "sha256:" + hashlib.sha256(canonical_json(options, image_digest).encode()).hexdigest()

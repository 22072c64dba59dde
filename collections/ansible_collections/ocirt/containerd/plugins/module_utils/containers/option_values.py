"""How each container option's value is read: sizes, signals, restart policies, mounts,
devices, ulimits, capabilities, string lists and maps.

Every parser accepts what a user may write (docker's spellings on the command line, YAML
types in a play) and returns the one normal form the canonical configuration stores, or
raises ``InvalidInput`` naming the option and what it allows. ``options.ContainerOptions``
applies them option by option, as ``option_table.CONTAINER_TABLE`` lists the options.
"""

from __future__ import annotations

import re
import signal as _signal
from typing import Any, Dict, List, Mapping, Optional

from ..common.errors import InvalidInput

RESTART_POLICIES = ("no", "always", "unless-stopped", "on-failure")
MOUNT_TYPES = ("bind", "tmpfs", "volume")
MOUNT_KEYS = ("type", "source", "target", "readonly", "options")
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


def _signal_number(text: str, value: Any, option: str) -> int:
    if text.isdigit():
        return int(text)
    name = text if text.startswith("SIG") else "SIG" + text
    try:
        return int(getattr(_signal.Signals, name))
    except AttributeError:
        raise InvalidInput(
            f"{option}: unknown signal {value!r}; use a name such as SIGTERM, SIGINT, "
            "SIGQUIT, SIGKILL, SIGHUP or a number"
        ) from None


def parse_signal(value: Any, option: str = "stop_signal") -> int:
    """A signal number from 15, "15", "TERM" or "SIGTERM"."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        number = _signal_number(str(value).strip().upper(), value, option)
    if not 1 <= number <= 64:
        raise InvalidInput(f"{option}: signal number {number} is out of range 1-64")
    return number


def signal_name(value: Any, option: str = "stop_signal") -> str:
    number = parse_signal(value, option)
    try:
        return _signal.Signals(number).name
    except ValueError:
        return str(number)


def parse_restart_policy(value: Any, option: str = "restart_policy") -> str:
    """'no', 'always', 'unless-stopped', 'on-failure' or 'on-failure:N' (N >= 1)."""
    text = "no" if value in (None, "", False) else str(value).strip()
    name, _, count = text.partition(":")
    if name not in RESTART_POLICIES:
        raise InvalidInput(
            f"{option}: {value!r} is not one of {', '.join(RESTART_POLICIES)} "
            "(on-failure takes an optional retry count: on-failure:3)"
        )
    if count and (name != "on-failure" or not count.isdigit() or int(count) < 1):
        raise InvalidInput(
            f"{option}: {value!r}: only on-failure takes a retry count (on-failure:3)"
        )
    return text


def str_list(value: Any, option: str) -> Optional[List[str]]:
    if value is None:
        return None
    if isinstance(value, str):
        raise InvalidInput(f"{option}: expected a list of strings, got the string {value!r}")
    try:
        return [str(v) for v in value]
    except TypeError:
        raise InvalidInput(f"{option}: expected a list of strings, got {value!r}") from None


def _pairs_map(items: Any, option: str) -> Dict[str, str]:
    out = {}
    for item in items:
        key, sep, val = str(item).partition("=")
        if not key or not sep:
            raise InvalidInput(f"{option}: {item!r} is not KEY=VALUE")
        out[key] = val
    return out


def str_map(value: Any, option: str) -> Dict[str, str]:
    """A mapping of strings, or docker's ["K=V", ...]; YAML booleans become "true"/"false"."""
    if value is None:
        return {}
    if isinstance(value, (list, tuple)):
        return _pairs_map(value, option)
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


def capability(name: Any, option: str) -> str:
    text = str(name).strip().upper()
    if text.startswith("CAP_"):
        text = text[4:]
    if text != "ALL" and text not in CAPABILITIES:
        raise InvalidInput(
            f"{option}: unknown capability {name!r}; allowed: ALL, {', '.join(CAPABILITIES)}"
        )
    return "ALL" if text == "ALL" else "CAP_" + text


def _mount_from_text(raw: str, where: str) -> Dict[str, Any]:
    """docker's -v SRC:DST[:ro|rw]: an absolute SRC is a bind mount, a name a volume."""
    parts = raw.split(":")
    if len(parts) not in (2, 3):
        raise InvalidInput(f"{where}: {raw!r} is not SOURCE:TARGET[:ro|rw]")
    mode = parts[2] if len(parts) == 3 else "rw"
    if mode not in ("ro", "rw"):
        raise InvalidInput(f"{where}: mode {mode!r} must be ro or rw")
    return {
        "type": "bind" if parts[0].startswith("/") else "volume",
        "source": parts[0],
        "target": parts[1],
        "readonly": mode == "ro",
    }


def _mount_source(mtype: str, source: str, where: str) -> str:
    if mtype == "bind" and not source.startswith("/"):
        raise InvalidInput(f"{where}.source: a bind mount needs an absolute host path")
    if mtype == "volume" and not _VOLUME_NAME.match(source):
        raise InvalidInput(
            f"{where}.source: {source!r} is not a volume name (letters, digits, '_', '.', '-')"
        )
    return "" if mtype == "tmpfs" else source


def normalize_mount(raw: Any, index: int) -> Dict[str, Any]:
    where = f"mounts[{index}]"
    if isinstance(raw, str):
        raw = _mount_from_text(raw, where)
    if not isinstance(raw, Mapping):
        raise InvalidInput(f"{where}: expected a mapping with type, source, target")
    unknown = set(raw) - set(MOUNT_KEYS)
    if unknown:
        raise InvalidInput(
            f"{where}: unknown keys {', '.join(sorted(unknown))}; allowed: {', '.join(MOUNT_KEYS)}"
        )
    mtype = raw.get("type") or "bind"
    if mtype not in MOUNT_TYPES:
        raise InvalidInput(f"{where}.type: {mtype!r} is not one of {', '.join(MOUNT_TYPES)}")
    target = str(raw.get("target") or "")
    if not target.startswith("/"):
        raise InvalidInput(f"{where}.target: {target!r} must be an absolute path")
    return {
        "type": mtype,
        "source": _mount_source(mtype, str(raw.get("source") or ""), where),
        "target": target.rstrip("/") or "/",
        "readonly": bool(raw.get("readonly", False)),
        "options": str_list(raw.get("options"), f"{where}.options") or [],
    }


def normalize_device(raw: Any, index: int) -> Dict[str, str]:
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


def normalize_ulimit(name: str, value: Any) -> Dict[str, int]:
    if name not in ULIMITS:
        raise InvalidInput(f"ulimits: unknown limit {name!r}; allowed: {', '.join(ULIMITS)}")
    soft: Any
    hard: Any
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

"""What values containerd accepts for the typed options: one validator per kind of value.

Each validator is ``(option name, value) -> None`` and raises ``InvalidInput`` naming the
option, the value and what is allowed, so that a typo is refused before a file is written
(containerd itself would often ignore it silently).
"""

from __future__ import annotations

import re
from typing import Any, Callable, Mapping, Optional, Sequence

from ..common.errors import InvalidInput

Check = Callable[[str, Any], None]

#: containerd plugin ids and runtime names: letters, digits and . _ -
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
RUNTIME_TYPE_RE = re.compile(r"^(io\.containerd\.[a-z0-9_-]+(\.[a-z0-9_-]+)*\.v[0-9]+|/.+)$")
HOSTPORT_RE = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]*):[0-9]{1,5}$")
IMAGE_REF_RE = re.compile(r"^[a-z0-9][A-Za-z0-9._/:@+-]*$")
INT32_MAX = 2**31 - 1


def refused(name: str, value: Any, allowed: str) -> InvalidInput:
    return InvalidInput(f"{name}: {value!r} is not allowed; allowed: {allowed}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def abs_path(name: str, value: Any) -> None:
    if not isinstance(value, str) or not value.startswith("/") or "\0" in value:
        raise refused(name, value, "an absolute path")


def abs_path_or_empty(name: str, value: Any) -> None:
    if value != "":
        abs_path(name, value)


def int_range(low: int, high: int) -> Check:
    def check(name: str, value: Any) -> None:
        if not _is_int(value) or not low <= value <= high:
            raise refused(name, value, f"an integer from {low} to {high}")

    return check


def str_list(pattern: Optional[re.Pattern] = None) -> Check:
    what = "a list of strings" + (" (letters, digits, . _ -)" if pattern else "")

    def check(name: str, value: Any) -> None:
        if not isinstance(value, (list, tuple)):
            raise refused(name, value, what)
        for item in value:
            if not isinstance(item, str) or not item or (pattern and not pattern.match(item)):
                raise refused(name, value, what)

    return check


def boolean(name: str, value: Any) -> None:
    if not isinstance(value, bool):
        raise refused(name, value, "true or false")


def plugin_name(name: str, value: Any) -> None:
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise refused(name, value, "a name of letters, digits, '.', '_' and '-'")


def image_ref(name: str, value: Any) -> None:
    if not isinstance(value, str) or not IMAGE_REF_RE.match(value):
        raise refused(name, value, "an image reference such as registry.test/pause:3.10")


def one_of(choices: Sequence[str]) -> Check:
    def check(name: str, value: Any) -> None:
        if value not in choices:
            raise refused(name, value, ", ".join(choices))

    return check


def host_port_or_empty(name: str, value: Any) -> None:
    if not isinstance(value, str) or (value and not HOSTPORT_RE.match(value)):
        raise refused(name, value, "host:port such as 127.0.0.1:1338, or '' to turn off")


def runtime_type(name: str, value: Any) -> None:
    if not isinstance(value, str) or not RUNTIME_TYPE_RE.match(value):
        raise refused(name, value, "a shim name such as io.containerd.runc.v2, or a shim's path")


def runtime_binary(name: str, value: Any) -> None:
    """A shim's binary: an absolute path, or a name looked up on PATH."""
    if isinstance(value, str) and value.startswith("/"):
        abs_path(name, value)
    else:
        plugin_name(name, value)


def runtime_options(name: str, value: Any) -> None:
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise refused(name, value, "a mapping of option name to value")
    for key, item in value.items():
        if not isinstance(item, (str, bool, int, float, list)):
            raise refused(f"{name}.{key}", item, "a string, number, boolean or list")


#: the settings of one CRI runtime and what each accepts, in the order they are written
RUNTIME_SETTINGS: Mapping[str, Check] = {
    "runtime_type": runtime_type,
    "binary": runtime_binary,
    "options": runtime_options,
    "pod_annotations": str_list(),
    "privileged_without_host_devices": boolean,
}
RUNTIME_KEYS = tuple(RUNTIME_SETTINGS)


def runtime_spec(where: str, spec: Any) -> None:
    """One runtime's settings (``None`` is an empty mapping: the runtime as the file has it)."""
    if spec is None:
        return
    if not isinstance(spec, Mapping):
        raise refused(where, spec, f"a mapping with keys {', '.join(RUNTIME_KEYS)}")
    unknown = sorted(set(spec) - set(RUNTIME_KEYS))
    if unknown:
        raise InvalidInput(
            f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(RUNTIME_KEYS)}"
        )
    for key, item in spec.items():
        if item is not None:
            RUNTIME_SETTINGS[key](f"{where}.{key}", item)


def runtimes(name: str, value: Any) -> None:
    if not isinstance(value, Mapping):
        raise refused(name, value, "a mapping of runtime name to its settings")
    for rname, spec in value.items():
        plugin_name(f"{name} name", rname)
        runtime_spec(f"{name}.{rname}", spec)

"""Validation before a configuration file is replaced.

Three gates: the typed options have values containerd accepts (the error names the option
and what is allowed); the candidate parses and declares the schema the installed containerd
reads; and the installed binary loads it (`containerd --config CANDIDATE config dump`, the
same loader the daemon runs), else containerd's own message is returned.
"""

from __future__ import annotations

import os
import re
import tempfile
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..common.errors import ConfigRejected, InvalidInput, UnsupportedSchema
from .binary import ContainerdBinary, message_of
from .document import get_path, load
from .placement import RUNTIME_KEYS, TYPED_OPTIONS, Version, max_schema_read

DEBUG_LEVELS = ("trace", "debug", "info", "warn", "warning", "error", "fatal", "panic")
#: containerd plugin ids and runtime names: letters, digits and . _ -
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
RUNTIME_TYPE_RE = re.compile(r"^(io\.containerd\.[a-z0-9_-]+(\.[a-z0-9_-]+)*\.v[0-9]+|/.+)$")
HOSTPORT_RE = re.compile(r"^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]*):[0-9]{1,5}$")
#: first containerd release that knows an option (older ones would silently ignore it)
MIN_VERSION = {"enable_cdi": (1, 7, 0)}


def _fail(name: str, value: Any, allowed: str) -> InvalidInput:
    return InvalidInput(f"{name}: {value!r} is not allowed; allowed: {allowed}")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _abs_path(name: str, value: Any, empty_ok: bool = False) -> str:
    if not isinstance(value, str) or (value == "" and not empty_ok):
        raise _fail(name, value, "an absolute path")
    if value and (not value.startswith("/") or "\0" in value):
        raise _fail(name, value, "an absolute path")
    return value


def _int_range(name: str, value: Any, low: int, high: int) -> int:
    if not _is_int(value) or not low <= value <= high:
        raise _fail(name, value, f"an integer from {low} to {high}")
    return value


def _str_list(name: str, value: Any, pattern: Optional[re.Pattern] = None) -> List[str]:
    what = "a list of strings" + (" (letters, digits, . _ -)" if pattern else "")
    if not isinstance(value, (list, tuple)):
        raise _fail(name, value, what)
    for item in value:
        if not isinstance(item, str) or not item or (pattern and not pattern.match(item)):
            raise _fail(name, value, what)
    return list(value)


def _bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _fail(name, value, "true or false")
    return value


def _name(name: str, value: Any) -> str:
    if not isinstance(value, str) or not NAME_RE.match(value):
        raise _fail(name, value, "a name of letters, digits, '.', '_' and '-'")
    return value


IMAGE_REF_RE = re.compile(r"^[a-z0-9][A-Za-z0-9._/:@+-]*$")


def _image_ref(name: str, value: Any) -> str:
    if not isinstance(value, str) or not IMAGE_REF_RE.match(value):
        raise _fail(name, value, "an image reference such as registry.test/pause:3.10")
    return value


def _runtimes(value: Any) -> Dict[str, Dict[str, Any]]:
    if not isinstance(value, Mapping):
        raise _fail("runtimes", value, "a mapping of runtime name to its settings")
    out: Dict[str, Dict[str, Any]] = {}
    for rname, spec in value.items():
        _name("runtimes name", rname)
        where = f"runtimes.{rname}"
        if spec is None:
            spec = {}
        if not isinstance(spec, Mapping):
            raise _fail(where, spec, f"a mapping with keys {', '.join(RUNTIME_KEYS)}")
        unknown = sorted(set(spec) - set(RUNTIME_KEYS))
        if unknown:
            raise InvalidInput(
                f"{where}: unknown key(s) {', '.join(unknown)}; allowed: {', '.join(RUNTIME_KEYS)}"
            )
        clean: Dict[str, Any] = {}
        for key, item in spec.items():
            if item is None:
                continue
            if key == "runtime_type":
                if not isinstance(item, str) or not RUNTIME_TYPE_RE.match(item):
                    raise _fail(
                        f"{where}.runtime_type",
                        item,
                        "a shim name such as io.containerd.runc.v2, or a shim's path",
                    )
            elif key == "binary":
                _abs_path(f"{where}.binary", item) if item.startswith("/") else _name(
                    f"{where}.binary", item
                )
            elif key == "options":
                if not isinstance(item, Mapping) or not all(isinstance(k, str) for k in item):
                    raise _fail(f"{where}.options", item, "a mapping of option name to value")
                for okey, ovalue in item.items():
                    if not isinstance(ovalue, (str, bool, int, float, list)):
                        raise _fail(
                            f"{where}.options.{okey}", ovalue, "a string, number, boolean or list"
                        )
                item = dict(item)
            elif key == "pod_annotations":
                item = _str_list(f"{where}.pod_annotations", item)
            elif key == "privileged_without_host_devices":
                _bool(f"{where}.privileged_without_host_devices", item)
            clean[key] = item
        out[str(rname)] = clean
    return out


def validate_options(
    options: Mapping[str, Any], version: Optional[Version] = None
) -> Dict[str, Any]:
    """Typed options checked and normalised; None means "not managed"."""
    unknown = sorted(set(options) - set(TYPED_OPTIONS))
    if unknown:
        raise InvalidInput(
            f"unknown option(s) {', '.join(unknown)}; allowed: {', '.join(TYPED_OPTIONS)}"
        )
    out: Dict[str, Any] = {}
    for name in TYPED_OPTIONS:
        v = options.get(name)
        if v is None:
            out[name] = None
            continue
        if name in ("systemd_cgroup", "enable_cdi"):
            v = _bool(name, v)
        elif name == "sandbox_image":
            v = _image_ref(name, v)
        elif name in ("snapshotter", "default_runtime"):
            v = _name(name, v)
        elif name == "runtimes":
            v = _runtimes(v)
        elif name in ("registry_config_path",):
            v = _abs_path(name, v, empty_ok=True)
        elif name in ("root_dir", "state_dir", "grpc_address", "cni_bin_dir", "cni_conf_dir"):
            v = _abs_path(name, v)
        elif name == "max_container_log_line_size":
            v = _int_range(name, v, -1, 2**31 - 1)
        elif name in ("grpc_uid", "grpc_gid"):
            v = _int_range(name, v, 0, 2**31 - 1)
        elif name == "oom_score":
            v = _int_range(name, v, -1000, 1000)
        elif name == "debug_level":
            if v not in DEBUG_LEVELS:
                raise _fail(name, v, ", ".join(DEBUG_LEVELS))
        elif name == "disabled_plugins":
            v = _str_list(name, v, NAME_RE)
        elif name == "imports":
            v = _str_list(name, v)
        elif name == "metrics_address":
            if not isinstance(v, str) or (v and not HOSTPORT_RE.match(v)):
                raise _fail(name, v, "host:port such as 127.0.0.1:1338, or '' to turn off")
        if name in MIN_VERSION and version is not None and version < MIN_VERSION[name]:
            need = ".".join(map(str, MIN_VERSION[name][:2]))
            raise InvalidInput(
                f"{name}: containerd {'.'.join(map(str, version))} does not know this option "
                f"(it needs containerd {need} or later) and would ignore it"
            )
        out[name] = v
    return out


def document_schema(doc: Any) -> int:
    """The schema a file declares; a file without `version` is read as version 1."""
    value = get_path(doc, ("version",), 1)
    if not isinstance(value, int) or isinstance(value, bool):
        raise UnsupportedSchema(f"config.toml: version must be an integer, got {value!r}")
    return value


def check_schema_for(doc: Any, schema: int, version: Optional[Version]) -> None:
    declared = document_schema(doc)
    if declared != schema:
        raise UnsupportedSchema(f"the candidate declares version {declared}, expected {schema}")
    if version is not None and declared > max_schema_read(version):
        raise UnsupportedSchema(
            f"containerd {'.'.join(map(str, version))} reads config versions up to "
            f"{max_schema_read(version)}; version {declared} would be misread"
        )


def validate_candidate(
    binary: ContainerdBinary, text: str, near: Optional[str] = None
) -> Tuple[bool, str]:
    """Load ``text`` in the installed containerd; (True, dump) or raise ConfigRejected.

    The candidate is written next to the target (``near``) when that directory exists, so
    relative ``imports`` resolve as they will for the real file; it is removed at once.
    """
    load(text, "the candidate configuration")
    directory = os.path.dirname(near) if near else ""
    if not directory or not os.path.isdir(directory) or not os.access(directory, os.W_OK):
        directory = tempfile.gettempdir()
    fd, tmp = tempfile.mkstemp(prefix=".ocirt-validate-", suffix=".toml", dir=directory)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
        result = binary.dump(tmp)
    finally:
        os.unlink(tmp)
    if result.returncode != 0:
        message = message_of(result).replace(tmp, "<candidate>")
        raise ConfigRejected(
            f"containerd {binary.version_string} ({binary.path}) would not load the new "
            f"configuration, so it was not installed: {message}"
        )
    # 1.x lists the loaded file among imports: name the real target, not the temp file
    return True, result.stdout.replace(tmp, near or "<candidate>")

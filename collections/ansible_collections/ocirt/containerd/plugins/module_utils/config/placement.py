"""Where each typed option is written in config.toml, and how it is read back.

The paths come from the option table (``options.CONFIG_OPTIONS``); what is here are the
placements a single path cannot say: schema 3's transfer service needs the hosts directory
too, containerd 2.1 renamed cni ``bin_dir`` to the list ``bin_dirs``, a runtime is a table
of settings, and SystemdCgroup needs its runc table to have a runtime type.
The classic mistake this prevents: SystemdCgroup written under the 1.x CRI section in a
version 3 file is silently ignored by containerd 2.x.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence

from ..common.defaults import DEFAULT_RUNTIME, DEFAULT_SNAPSHOTTER
from ..common.errors import UnsupportedSchema
from ..images.platforms import format_platform, host_platform
from .document import get_path
from .options import CONFIG_OPTIONS, SYSTEMD_CGROUP_RUNTIME
from .schema import SCHEMAS, V3_TRANSFER, KeyPath, Version, cni_bin_key, runtimes_path
from .values import RUNTIME_KEYS

DEFAULT_RUNC_TYPE = DEFAULT_RUNTIME
#: options written to more places than the one read back, per schema
ALSO_WRITTEN: Mapping[str, Mapping[int, Sequence[KeyPath]]] = {
    "registry_config_path": {3: [(*V3_TRANSFER, "config_path")]},
}


@dataclass(frozen=True)
class Assignment:
    path: KeyPath
    value: Any
    only_if_missing: bool = False  # a companion value: set only where nothing is set yet


def paths(name: str, schema: int, version: Optional[Version] = None) -> List[KeyPath]:
    """Every key path option ``name`` is written to (the first is the one read back)."""
    if schema not in SCHEMAS:
        raise UnsupportedSchema(f"config_version must be one of 2, 3; got {schema}")
    primary = CONFIG_OPTIONS[name].paths[schema]
    if name == "cni_bin_dir":
        primary = (*primary[:-1], cni_bin_key(schema, version))
    return [primary, *ALSO_WRITTEN.get(name, {}).get(schema, ())]


def assignments(
    options: Mapping[str, Any], schema: int, version: Optional[Version] = None
) -> List[Assignment]:
    """The key writes that put validated typed ``options`` (None = not managed) in place."""
    out: List[Assignment] = []
    for name in CONFIG_OPTIONS.names():
        value = options.get(name)
        if value is None:
            continue
        if name == "runtimes":
            out.extend(_runtime_assignments(value, schema))
            continue
        if name == "cni_bin_dir" and cni_bin_key(schema, version) == "bin_dirs":
            value = [value]
        out.extend(Assignment(path, value) for path in paths(name, schema, version))
        if name == "systemd_cgroup":
            # a runc table created only for its options would have no runtime type
            runc = (*runtimes_path(schema), SYSTEMD_CGROUP_RUNTIME, "runtime_type")
            out.append(Assignment(runc, DEFAULT_RUNC_TYPE, only_if_missing=True))
    return out


def _runtime_assignments(runtimes: Mapping[str, Any], schema: int) -> List[Assignment]:
    out: List[Assignment] = []
    for rname, spec in runtimes.items():
        base = (*runtimes_path(schema), rname)
        for key in RUNTIME_KEYS:
            value = (spec or {}).get(key)
            if value is None:
                continue
            if key == "binary":
                out.append(Assignment((*base, "options", "BinaryName"), value))
            elif key == "options":
                out.extend(Assignment((*base, "options", k), item) for k, item in value.items())
            else:
                out.append(Assignment((*base, key), list(value) if key == "pod_annotations"
                                      else value))
    return out


def unpack_config_for(doc: Any, snapshotter: str) -> Optional[List[Dict[str, str]]]:
    """Schema 3: the transfer service's unpack_config with an entry for ``snapshotter``,
    or None when nothing is needed.

    containerd 2.x's CRI pulls through the transfer service, which only unpacks for the
    (platform, snapshotter) pairs in unpack_config (default: overlayfs); a CRI snapshotter
    without an entry fails every pull with "no unpack platforms defined".
    """
    current = get_path(doc, (*V3_TRANSFER, "unpack_config"))
    plat = format_platform(host_platform())
    entries = list(current) if isinstance(current, list) else []
    if not entries:
        if snapshotter == DEFAULT_SNAPSHOTTER:
            return None
        entries = [{"platform": plat, "snapshotter": DEFAULT_SNAPSHOTTER}]
    if any(isinstance(e, dict) and e.get("snapshotter") == snapshotter for e in entries):
        return None
    return [*entries, {"platform": plat, "snapshotter": snapshotter}]


def effective(doc: Any, schema: int, version: Optional[Version] = None) -> Dict[str, Any]:
    """Each typed option as the document holds it (None where the file does not say)."""
    result: Dict[str, Any] = {}
    for name in CONFIG_OPTIONS.names():
        value = get_path(doc, paths(name, schema, version)[0])
        if name == "cni_bin_dir" and isinstance(value, list):
            value = value[0] if value else None
        result[name] = value
    return result


def describe(path: Sequence[str]) -> str:
    """A key path the way a TOML header spells it: plugins."io.containerd...".cni.bin_dir."""
    return ".".join(p if p.replace("_", "").replace("-", "").isalnum() else f'"{p}"' for p in path)

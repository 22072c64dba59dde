"""Where each typed option lives in config.toml, per schema version.

Schema 2 is what containerd 1.6 and 1.7 read; schema 3 is containerd 2.0-2.2's, which split
the CRI plugin into ``io.containerd.cri.v1.images`` (image service) and
``io.containerd.cri.v1.runtime`` (runtimes, CNI); ``io.containerd.grpc.v1.cri`` keeps only
the streaming server there. containerd 2.3 writes schema 4, which ocirt does not write.
The classic mistake this table prevents: SystemdCgroup written under the 1.x CRI section in a
version 3 file is silently ignored by containerd 2.x.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ..common.defaults import DEFAULT_RUNTIME, DEFAULT_SNAPSHOTTER
from ..common.errors import UnsupportedSchema
from ..images.platforms import format_platform, host_platform
from .document import get_path

Version = Tuple[int, int, int]
KeyPath = Tuple[str, ...]

SCHEMAS = (2, 3)

V2_CRI: KeyPath = ("plugins", "io.containerd.grpc.v1.cri")
V3_IMAGES: KeyPath = ("plugins", "io.containerd.cri.v1.images")
V3_RUNTIME: KeyPath = ("plugins", "io.containerd.cri.v1.runtime")
V3_TRANSFER: KeyPath = ("plugins", "io.containerd.transfer.v1.local")

DEFAULT_RUNC_TYPE = DEFAULT_RUNTIME
#: the runtime whose options systemd_cgroup sets (the CRI default runtime's usual name)
SYSTEMD_CGROUP_RUNTIME = "runc"

RUNTIME_KEYS = (
    "runtime_type",
    "binary",
    "options",
    "pod_annotations",
    "privileged_without_host_devices",
)


def schema_for_version(version: Version) -> int:
    """The config schema containerd ``version`` reads and writes natively."""
    major, minor = version[0], version[1]
    if major < 2:
        return 2
    if (major, minor) <= (2, 2):
        return 3
    raise UnsupportedSchema(
        f"containerd {'.'.join(map(str, version))} writes config version 4 (containerd 2.3 "
        f"and later), which ocirt does not write yet. Set config_version: 3 to write a "
        f"version 3 file (containerd migrates it when it starts; validation still runs)."
    )


def max_schema_read(version: Version) -> int:
    """The newest schema this containerd loads (1.x silently misreads newer ones)."""
    if version[0] < 2:
        return 2
    return 3 if (version[0], version[1]) <= (2, 2) else 4


def cri_runtime_base(schema: int) -> KeyPath:
    return V2_CRI if schema == 2 else V3_RUNTIME


def cri_images_base(schema: int) -> KeyPath:
    return V2_CRI if schema == 2 else V3_IMAGES


def runtimes_path(schema: int) -> KeyPath:
    return (*cri_runtime_base(schema), "containerd", "runtimes")


def cni_bin_key(schema: int, version: Optional[Version]) -> str:
    """2.1 replaced cni bin_dir by the list bin_dirs (bin_dir is deprecated there)."""
    if schema == 3 and version is not None and version[:2] >= (2, 1):
        return "bin_dirs"
    return "bin_dir"


@dataclass(frozen=True)
class Assignment:
    path: KeyPath
    value: Any
    only_if_missing: bool = False  # a companion value: set only where nothing is set yet


def paths(name: str, schema: int, version: Optional[Version] = None) -> List[KeyPath]:
    """Every key path option ``name`` is written to (the first is the one read back)."""
    if schema not in SCHEMAS:
        raise UnsupportedSchema(f"config_version must be one of 2, 3; got {schema}")
    cri_rt = cri_runtime_base(schema)
    cri_img = cri_images_base(schema)
    table: Dict[str, List[KeyPath]] = {
        "systemd_cgroup": [
            (*runtimes_path(schema), SYSTEMD_CGROUP_RUNTIME, "options", "SystemdCgroup")
        ],
        "sandbox_image": [
            (*V2_CRI, "sandbox_image") if schema == 2 else (*V3_IMAGES, "pinned_images", "sandbox")
        ],
        "snapshotter": [
            (*cri_img, "containerd", "snapshotter") if schema == 2 else (*V3_IMAGES, "snapshotter")
        ],
        "default_runtime": [(*cri_rt, "containerd", "default_runtime_name")],
        "runtimes": [runtimes_path(schema)],
        "registry_config_path": [(*cri_img, "registry", "config_path")]
        + ([(*V3_TRANSFER, "config_path")] if schema == 3 else []),
        "max_container_log_line_size": [(*cri_rt, "max_container_log_line_size")],
        "root_dir": [("root",)],
        "state_dir": [("state",)],
        "grpc_address": [("grpc", "address")],
        "grpc_uid": [("grpc", "uid")],
        "grpc_gid": [("grpc", "gid")],
        "debug_level": [("debug", "level")],
        "disabled_plugins": [("disabled_plugins",)],
        "cni_bin_dir": [(*cri_rt, "cni", cni_bin_key(schema, version))],
        "cni_conf_dir": [(*cri_rt, "cni", "conf_dir")],
        "enable_cdi": [(*cri_rt, "enable_cdi")],
        "oom_score": [("oom_score",)],
        "metrics_address": [("metrics", "address")],
        "imports": [("imports",)],
    }
    if name not in table:
        raise KeyError(name)
    return table[name]


TYPED_OPTIONS = (
    "systemd_cgroup",
    "sandbox_image",
    "snapshotter",
    "default_runtime",
    "runtimes",
    "registry_config_path",
    "max_container_log_line_size",
    "root_dir",
    "state_dir",
    "grpc_address",
    "grpc_uid",
    "grpc_gid",
    "debug_level",
    "disabled_plugins",
    "cni_bin_dir",
    "cni_conf_dir",
    "enable_cdi",
    "oom_score",
    "metrics_address",
    "imports",
)


def assignments(
    options: Dict[str, Any], schema: int, version: Optional[Version] = None
) -> List[Assignment]:
    """The key writes that put validated typed ``options`` (None = not managed) in place."""
    out: List[Assignment] = []
    for name in TYPED_OPTIONS:
        value = options.get(name)
        if value is None:
            continue
        if name == "runtimes":
            out.extend(_runtime_assignments(value, schema))
            continue
        if name == "cni_bin_dir" and cni_bin_key(schema, version) == "bin_dirs":
            value = [value]
        for path in paths(name, schema, version):
            out.append(Assignment(path, value))
        if name == "systemd_cgroup":
            # a runc table created only for its options would have no runtime type
            runc = (*runtimes_path(schema), SYSTEMD_CGROUP_RUNTIME, "runtime_type")
            out.append(Assignment(runc, DEFAULT_RUNC_TYPE, only_if_missing=True))
    return out


def _runtime_assignments(runtimes: Dict[str, Dict[str, Any]], schema: int) -> List[Assignment]:
    out: List[Assignment] = []
    for rname, spec in runtimes.items():
        base = (*runtimes_path(schema), rname)
        for key in RUNTIME_KEYS:
            value = spec.get(key)
            if value is None:
                continue
            if key == "binary":
                out.append(Assignment((*base, "options", "BinaryName"), value))
            elif key == "options":
                for okey, ovalue in value.items():
                    out.append(Assignment((*base, "options", okey), ovalue))
            else:
                out.append(Assignment((*base, key), value))
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
    for name in TYPED_OPTIONS:
        value = get_path(doc, paths(name, schema, version)[0])
        if name == "cni_bin_dir" and isinstance(value, list):
            value = value[0] if value else None
        result[name] = value
    return result


def describe(path: Sequence[str]) -> str:
    """A key path the way a TOML header spells it: plugins."io.containerd...".cni.bin_dir."""
    return ".".join(p if p.replace("_", "").replace("-", "").isalnum() else f'"{p}"' for p in path)

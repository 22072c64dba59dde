"""The typed options of config.toml, each declared once: type, check, documentation line and
where it lives per schema version.

``placement`` writes and reads them by these paths, ``validate`` checks them with these
validators, the config module's argument_spec is generated from this table and the
containerd role passes one dict of them through, so none of those can forget an option.
Special placements (a value written twice, a key renamed by a containerd release, a
runtime table) are in ``placement``; the path here is the one read back.
"""

from __future__ import annotations

from typing import Dict, Optional, Sequence

from ..common.defaults import DEFAULT_CONFIG_FILE
from ..common.options import Option, OptionTable
from . import values as v
from .schema import V2_CRI, V3_IMAGES, KeyPath, cri_images_base, cri_runtime_base, runtimes_path

DEBUG_LEVELS = ("trace", "debug", "info", "warn", "warning", "error", "fatal", "panic")
#: the runtime whose options systemd_cgroup sets (the CRI default runtime's usual name)
SYSTEMD_CGROUP_RUNTIME = "runc"


def _same(path: KeyPath) -> Dict[int, KeyPath]:
    return {2: path, 3: path}


def _cri_runtime(*keys: str) -> Dict[int, KeyPath]:
    return {s: (*cri_runtime_base(s), *keys) for s in (2, 3)}


def _option(
    name: str,
    type_: str,
    doc: str,
    check: v.Check,
    paths: Dict[int, KeyPath],
    choices: Optional[Sequence[str]] = None,
    elements: Optional[str] = None,
    min_version: Optional[str] = None,
) -> Option:
    return Option(
        name,
        type_,
        doc,
        choices=choices,
        elements=elements,
        validator=check,
        paths=paths,
        min_version=min_version,
    )


CONFIG_OPTIONS = OptionTable(
    "config.toml",
    [
        _option(
            "systemd_cgroup",
            "bool",
            "SystemdCgroup of the runc CRI runtime's options.",
            v.boolean,
            {s: (*runtimes_path(s), SYSTEMD_CGROUP_RUNTIME, "options", "SystemdCgroup")
             for s in (2, 3)},
        ),
        _option(
            "sandbox_image",
            "str",
            "The CRI pause image.",
            v.image_ref,
            {2: (*V2_CRI, "sandbox_image"), 3: (*V3_IMAGES, "pinned_images", "sandbox")},
        ),
        _option(
            "snapshotter",
            "str",
            "The CRI snapshotter, such as overlayfs or native.",
            v.plugin_name,
            {2: (*V2_CRI, "containerd", "snapshotter"), 3: (*V3_IMAGES, "snapshotter")},
        ),
        _option(
            "default_runtime",
            "str",
            "The CRI default runtime name.",
            v.plugin_name,
            _cri_runtime("containerd", "default_runtime_name"),
        ),
        _option(
            "runtimes",
            "dict",
            "CRI runtimes by name, each with runtime_type, binary, options, pod_annotations "
            "and privileged_without_host_devices.",
            v.runtimes,
            {s: runtimes_path(s) for s in (2, 3)},
        ),
        _option(
            "registry_config_path",
            "path",
            "Directory of registry hosts.toml files.",
            v.abs_path_or_empty,
            {s: (*cri_images_base(s), "registry", "config_path") for s in (2, 3)},
        ),
        _option(
            "max_container_log_line_size",
            "int",
            "CRI maximum container log line size in bytes; -1 means unlimited.",
            v.int_range(-1, v.INT32_MAX),
            _cri_runtime("max_container_log_line_size"),
        ),
        _option("root_dir", "path", "containerd's persistent root directory.", v.abs_path,
                _same(("root",))),
        _option("state_dir", "path", "containerd's state directory.", v.abs_path,
                _same(("state",))),
        _option("grpc_address", "path", "Path of the gRPC unix socket.", v.abs_path,
                _same(("grpc", "address"))),
        _option("grpc_uid", "int", "Owner uid of the gRPC socket.", v.int_range(0, v.INT32_MAX),
                _same(("grpc", "uid"))),
        _option("grpc_gid", "int", "Owner gid of the gRPC socket.", v.int_range(0, v.INT32_MAX),
                _same(("grpc", "gid"))),
        _option("debug_level", "str", "Log level.", v.one_of(DEBUG_LEVELS),
                _same(("debug", "level")), choices=DEBUG_LEVELS),
        _option("disabled_plugins", "list", "Plugin ids containerd must not load.",
                v.str_list(v.NAME_RE), _same(("disabled_plugins",)), elements="str"),
        _option("cni_bin_dir", "path", "Directory of CNI plugin binaries.", v.abs_path,
                _cri_runtime("cni", "bin_dir")),
        _option("cni_conf_dir", "path", "Directory of CNI network configurations.", v.abs_path,
                _cri_runtime("cni", "conf_dir")),
        _option("enable_cdi", "bool", "Enable the Container Device Interface in the CRI.",
                v.boolean, _cri_runtime("enable_cdi"), min_version="1.7"),
        _option("oom_score", "int", "OOM score adjustment of the containerd process.",
                v.int_range(-1000, 1000), _same(("oom_score",))),
        _option("metrics_address", "str", "host:port of the Prometheus metrics endpoint.",
                v.host_port_or_empty, _same(("metrics", "address"))),
        _option("imports", "list", "Extra configuration files containerd merges in.",
                v.str_list(), _same(("imports",)), elements="str"),
    ],
)

TYPED_OPTIONS = CONFIG_OPTIONS.names()

#: the config module's options besides the typed ones: the file, what is merged into it, and
#: how it is written (the module's argument_spec and a node document's config section)
CONFIG_FILE_OPTIONS = OptionTable(
    "config file",
    [
        Option("path", "path", "Path of the configuration file.", DEFAULT_CONFIG_FILE),
        Option("settings", "dict", "A mapping deep-merged into the file.", {}),
        Option("config_version", "int", "Config schema to write.", choices=(2, 3)),
        Option("containerd_binary", "path", "The containerd executable."),
        Option("validate", "bool", "Load the candidate in containerd first.", True),
        Option("backup", "bool", "Keep a timestamped copy of the previous file.", False),
    ],
)

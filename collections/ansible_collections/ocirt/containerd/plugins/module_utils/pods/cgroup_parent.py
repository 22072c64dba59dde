"""The cgroup parent of a pod's sandbox: the one place that decides it.

Why: under the systemd cgroup driver (runc's ``SystemdCgroup = true``, which the
kubernetes-node profile sets), runc accepts only a cgroups path of the form
``slice:prefix:name``. The CRI of containerd 1.6 to 2.1 builds that form only from a
parent that is a slice (``<name>.slice``: ``<name>.slice:cri-containerd:<id>``); a pod
without a parent gets containerd's default ``/k8s.io/<id>``, which runc refuses, so the
sandbox never starts. kubelet always passes a slice (``kubepods-besteffort.slice``, ...).
ocirt does the same: a pod whose runtime uses the systemd driver and that names no
``cgroup_parent`` gets ``ocirt.slice`` (systemd makes the slice when the first pod
enters it, under ``-.slice``); a parent that is not a slice is refused there before
anything is done. Under cgroupfs nothing is added: the parent stays as given. The parent
used is part of the sandbox's stored configuration, so a rerun compares it and changes
nothing.

The driver is read from the running daemon, not from a file: CRI ``Status`` (verbose)
reports the configuration the CRI plugin loaded (``info["config"]``) on every series,
with each runtime handler's runc options, ``SystemdCgroup`` among them. The pod's own
handler is the one asked (its ``runtime_handler``, else the configured default).
``RuntimeConfig`` (2.x only) answers for the node rather than for a handler, so it is not
used.
"""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any, Dict, Mapping

from ..api.cri import runtime_status
from ..common.errors import InvalidInput
from ..transport.connection import Connection
from .desired import DesiredPod

SYSTEMD, CGROUPFS = "systemd", "cgroupfs"
DRIVERS = (SYSTEMD, CGROUPFS)
#: the parent of a pod that names none, on a node whose runtime uses the systemd driver
OCIRT_SLICE = "ocirt.slice"
#: runtime types whose runc options carry SystemdCgroup (the shim v2 of runc)
_RUNC_V2 = "io.containerd.runc.v2"
_LEGACY = "io.containerd.runtime.v1.linux"  # 1.x: the plugin-wide systemd_cgroup applies


def driver_of(config: Mapping[str, Any], runtime_handler: str) -> str:
    """The cgroup driver the CRI's loaded ``config`` gives the pods of ``runtime_handler``
    (empty: the default runtime); cgroupfs unless the handler's runc says systemd."""
    runtimes: Dict[str, Any] = (config.get("containerd") or {}).get("runtimes") or {}
    name = runtime_handler or (config.get("containerd") or {}).get("defaultRuntimeName") or ""
    runtime = runtimes.get(name) or {}
    kind = runtime.get("runtimeType") or ""
    if kind == _LEGACY:
        return SYSTEMD if config.get("systemdCgroup") else CGROUPFS
    options = runtime.get("options") or {}
    if kind == _RUNC_V2 and options.get("SystemdCgroup") is True:
        return SYSTEMD
    return CGROUPFS


def cgroup_driver(conn: Connection, runtime_handler: str) -> str:
    """The driver of the running daemon's CRI for that handler (one Status call)."""
    info = runtime_status(conn, verbose=True).get("info") or {}
    try:
        config = json.loads(info.get("config") or "{}")
    except ValueError:
        config = {}
    return driver_of(config if isinstance(config, dict) else {}, runtime_handler)


def with_parent(desired: DesiredPod, driver: str) -> DesiredPod:
    """``desired`` with the cgroup parent its sandbox gets under ``driver`` (the same object
    when nothing is to be added)."""
    if driver != SYSTEMD or desired.state == "absent" or not desired.sandbox_config:
        return desired
    linux = desired.sandbox_config.get("linux") or {}
    parent = linux.get("cgroup_parent") or ""
    # the CRI looks at the last part (Go's path.Base): a/b.slice is a slice, b.slice/c not
    if parent and not parent.rstrip("/").rsplit("/", 1)[-1].endswith(".slice"):
        raise InvalidInput(
            f"{desired.subject}: cgroup_parent must be a systemd slice (such as "
            f"{OCIRT_SLICE} or kubepods.slice) where the runtime uses the systemd cgroup "
            f"driver (SystemdCgroup = true), got {parent!r}: runc refuses any other"
        )
    if parent:
        return desired
    config = {**desired.sandbox_config, "linux": {**linux, "cgroup_parent": OCIRT_SLICE}}
    return replace(desired, sandbox_config=config)

"""Creating a container: its record and rootfs snapshot (no task yet), in named steps.

As containerd's client builds a container from small options (WithNewSnapshot, WithNewSpec,
WithContainerLabels, WithRuntime), ``create_container`` is composed of steps that each
fill in one part of the record: ``with_snapshot``, ``with_spec``, ``with_labels``,
``with_runtime`` and ``with_config`` (the canonical configuration ocirt compares later).
The snapshot is prepared under a temporary lease and removed again if the record cannot be
created, so a failed create leaves nothing behind.
"""

from __future__ import annotations

import json
import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple, TypedDict

from ..api import content, snapshots, version
from ..api import runc_options as runc
from ..api.identifiers import validate_identifier
from ..api.leases import temporary_lease
from ..common.errors import AlreadyExists, InvalidInput
from ..images.graph import RunnableImage, runnable_image
from ..images.platforms import host_platform
from ..logs.install import driver_uri, install_driver
from ..transport.connection import Connection
from ..wire.wellknown import pack_any
from . import labels as L
from . import networking, rootfs
from . import snapshot as rootfs_snapshot
from .options import ContainerOptions, canonical, canonical_json, config_hash, signal_name
from .paths import Paths, daemon_key
from .record import ContainerNotFound, create_record, get_container
from .spec import SPEC_TYPE_URL, build_spec

Record = Dict[str, Any]  # a containers.v1.Container, as api/containers encodes it
FileReader = Callable[[str], Optional[bytes]]


class CreatedContainer(TypedDict):
    id: str
    image: str
    image_digest: str
    config_hash: str
    log_path: str
    warnings: List[str]  # e.g. a restart policy this containerd does not know


def _policy_warnings(options: ContainerOptions, daemon_version: str) -> List[str]:
    if options.restart_policy_name not in ("on-failure", "unless-stopped"):
        return []
    if version.parse_series(daemon_version) >= (1, 7):
        return []
    return [
        f"restart_policy {options.restart_policy}: containerd {daemon_version} knows no "
        "restart policies, its restart monitor treats every policy as 'always'"
    ]


def _refuse_existing(conn: Connection, container_id: str) -> None:
    try:
        get_container(conn, container_id)
    except ContainerNotFound:
        return
    raise AlreadyExists(
        f"container {container_id!r} already exists in {conn.namespace or 'default'!r}"
    )


def _prepare_host_paths(options: ContainerOptions, namespace: str, paths: Paths) -> None:
    for m in options.mounts:
        if m["type"] == "bind" and not os.path.exists(m["source"]):
            raise InvalidInput(f"mounts: bind source {m['source']} does not exist on this machine")
        if m["type"] == "volume":
            os.makedirs(paths.volume_path(namespace, m["source"]), mode=0o755, exist_ok=True)


def _file_reader(conn: Connection, mounts: List[Dict[str, Any]], layers: List[str]) -> FileReader:
    """Reads a file of the image (/etc/passwd for users): from the snapshot's directories
    when the mounts name them, else from the layer blobs (read once)."""
    dirs = rootfs.layer_dirs(mounts)
    if dirs is not None:
        return lambda path: rootfs.read_from_dirs(dirs, path)
    cache: List[bytes] = []

    def from_blobs(path: str) -> Optional[bytes]:
        if not cache:
            cache.extend(content.read_blob(conn, d) for d in layers)
        return rootfs.read_from_layer_blobs(cache, path)

    return from_blobs


# -- the steps: each gives one part of the record --------------------------------------------


def with_snapshot(options: ContainerOptions, container_id: str) -> Record:
    return {"snapshotter": options.snapshotter, "snapshot_key": container_id}


def with_spec(spec: Mapping[str, Any]) -> Record:
    value = json.dumps(spec, separators=(",", ":")).encode()
    return {"spec": {"type_url": SPEC_TYPE_URL, "value": value}}


def log_target(
    options: ContainerOptions, paths: Paths, namespace: str, address: str, cid: str
) -> Tuple[str, str]:
    """(log path, log URI) of a new container; the json-file driver is installed first."""
    if options.log_driver == "none":
        return "", ""
    json = options.log_driver == "json-file"
    path = paths.log_path(namespace, cid, daemon_key(address), json=json)
    if not json:
        return path, "file://" + path
    driver = install_driver(paths.driver_dir)
    return path, driver_uri(driver, path, options.log_max_size or 0, options.log_max_files)


def with_labels(
    options: ContainerOptions, image: RunnableImage, log_path: str, log_uri: str
) -> Record:
    """The user's labels, ocirt's own (labels.py) and the restart monitor's for a policy."""
    stop_signal = options.stop_signal or image.config.get("StopSignal") or "SIGTERM"
    labels = dict(options.labels)
    labels.update(
        {
            L.MANAGED: "true",
            L.CONFIG_HASH: config_hash(options, image.digest),
            L.IMAGE_DIGEST: image.digest,
            L.LOG_PATH: log_path,
            L.LOG_URI: log_uri,
            L.STOP_SIGNAL: signal_name(stop_signal),
            L.STOP_TIMEOUT: str(options.stop_timeout),
        }
    )
    if options.restart_policy_name != "no":
        labels[L.RESTART_POLICY] = options.restart_policy
        if log_uri:
            labels[L.RESTART_LOG_URI] = log_uri
    return {"labels": labels}


def with_runtime(options: ContainerOptions) -> Record:
    runc_options = pack_any(runc.OPTIONS, {"systemd_cgroup": options.systemd_cgroup})
    return {"runtime": {"name": options.runtime, "options": runc_options}}


def with_config(options: ContainerOptions, image: RunnableImage) -> Record:
    """The canonical configuration, as a record extension: what later runs compare with."""
    value = canonical_json(options, image.digest).encode()
    return {"extensions": {L.CONFIG_EXTENSION: {"type_url": L.CONFIG_TYPE_URL, "value": value}}}


def _record(
    container_id: str,
    options: ContainerOptions,
    image: RunnableImage,
    spec: Mapping[str, Any],
    log: Tuple[str, str],
) -> Record:
    """The container's record, part by part."""
    record: Record = {"id": container_id, "image": options.image}
    for part in (
        with_snapshot(options, container_id),
        with_spec(spec),
        with_labels(options, image, *log),
        with_runtime(options),
        with_config(options, image),
    ):
        record.update(part)
    return record


def create_container(
    conn: Connection,
    container_id: str,
    options: ContainerOptions,
    paths: Optional[Paths] = None,
    daemon_version: Optional[str] = None,
) -> CreatedContainer:
    """Create the container record and its rootfs snapshot (no task yet)."""
    validate_identifier(container_id, "container name")
    paths = paths or Paths()
    namespace = conn.namespace or "default"
    if daemon_version is None:
        daemon_version = version.get_version(conn)["version"]
    warnings = _policy_warnings(options, daemon_version)
    image = runnable_image(conn, options.image, host_platform(), options.snapshotter)
    _refuse_existing(conn, container_id)
    _prepare_host_paths(options, namespace, paths)
    log = log_target(options, paths, namespace, conn.address, container_id)
    with temporary_lease(conn) as lease:
        parent = image.top_chain_id
        mounts = rootfs_snapshot.prepare(conn, options.snapshotter, container_id, parent, lease)
        try:
            reader = _file_reader(conn, mounts, image.layers)
            spec = build_spec(
                namespace, container_id, options, image.config, reader, daemon_version, paths
            )
            networking.prepare_spec(conn, container_id, canonical(options), spec)
            create_record(conn, _record(container_id, options, image, spec, log), lease)
        except BaseException:
            snapshots.remove(conn, options.snapshotter, container_id)
            raise
    return {
        "id": container_id,
        "image": options.image,
        "image_digest": image.digest,
        "config_hash": config_hash(options, image.digest),
        "log_path": log[0],
        "warnings": warnings,
    }

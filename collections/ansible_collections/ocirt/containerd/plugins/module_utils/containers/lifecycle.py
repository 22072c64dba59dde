"""Container lifecycle over containerd's API: create, start, stop, kill, restart, remove.

No supervisor of ours runs: the shim keeps the task alive across daemon restarts, and
restart policies are containerd's own restart monitor, driven by labels. The rest of what
the library needs later (log path, stop signal, desired config, last exit) is stored on the
container record.
"""

from __future__ import annotations

import datetime
import errno
import json
import os
from typing import Any, Dict, List, Mapping, Optional

from ..api import containers as containers_api
from ..api import content, images, snapshots, tasks, version
from ..api.containers import update_labels
from ..api.identifiers import validate_identifier
from ..api.leases import temporary_lease
from ..common.defaults import DEFAULT_RUNTIME, DEFAULT_SNAPSHOTTER
from ..common.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidInput,
    NotFound,
    OcirtError,
    RemoteError,
    Timeout,
)
from ..images.local_state import local_state
from ..images.platforms import host_platform
from ..images.unpack import chain_ids
from ..transport.connection import Connection
from ..wire.schema import BOOL, STRING, UINT32, Field, Message
from ..wire.wellknown import pack_any
from . import creator, restart_monitor, rootfs, task_recovery
from . import labels as L
from .options import ContainerOptions, canonical_json, config_hash, parse_signal, signal_name
from .paths import Paths
from .spec import SPEC_TYPE_URL, build_spec
from .state import describe_state, oom_kills

RUNTIME_RUNC_V2 = DEFAULT_RUNTIME
RUNC_OPTIONS = Message(
    "containerd.runc.v1.Options",
    "containerd/containerd api/types/runc/options/oci.proto",
    [
        Field(1, "no_pivot_root", BOOL),
        Field(2, "no_new_keyring", BOOL),
        Field(3, "shim_cgroup", STRING),
        Field(4, "io_uid", UINT32),
        Field(5, "io_gid", UINT32),
        Field(6, "binary_name", STRING),
        Field(7, "root", STRING),
        Field(8, "criu_path", STRING),
        Field(9, "systemd_cgroup", BOOL),
    ],
)
SIGKILL = 9
KILL_GRACE = 30.0  # after SIGKILL a process is gone within moments; bounded anyway


class ContainerNotFound(NotFound):
    pass


class ImageNotReady(FailedPrecondition):
    """The image is missing, incomplete or not unpacked for the container's snapshotter."""


class ContainerRunning(FailedPrecondition):
    pass


class RestartFailed(OcirtError):
    """A restart that did not end with the container running; the message says where it
    stopped."""


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _iso(ts: Optional[datetime.datetime]) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ") if ts else ""


def get_container(conn: Connection, container_id: str) -> Dict[str, Any]:
    """The container record; ContainerNotFound with the namespace named if absent."""
    try:
        return conn.call(containers_api.GET, {"id": container_id})["container"]
    except NotFound:
        raise ContainerNotFound(
            f"no container {container_id!r} in namespace {conn.namespace!r}"
        ) from None


def _image_for(conn: Connection, options: ContainerOptions) -> Dict[str, Any]:
    """{'name', 'digest', 'config', 'top_chain_id', 'layers'} of a present, unpacked image."""
    record = images.get_image(conn, options.image)
    if record is None:
        raise ImageNotReady(
            f"image {options.image} is not in namespace {conn.namespace!r}: pull or import it first"
        )
    state = local_state(conn, record["target"], host_platform(), options.snapshotter)
    if not state["complete"]:
        what = "not unpacked" if not state["missing"] else "incomplete"
        raise ImageNotReady(
            f"image {options.image} is {what} for this platform and the "
            f"{options.snapshotter} snapshotter in namespace {conn.namespace!r}: pull it again"
        )
    manifest = json.loads(content.read_blob(conn, state["manifest"]))
    config = json.loads(content.read_blob(conn, manifest["config"]["digest"]))
    ids = chain_ids(config.get("rootfs", {}).get("diff_ids") or [])
    return {
        "name": options.image,
        "digest": record["target"]["digest"],
        "config": config.get("config") or {},
        "top_chain_id": ids[-1],
        "layers": [layer["digest"] for layer in manifest.get("layers") or []],
    }


def _file_reader(conn: Connection, mounts: List[Dict[str, Any]], layers: List[str]):
    dirs = rootfs.layer_dirs(mounts)
    if dirs is not None:
        return lambda path: rootfs.read_from_dirs(dirs, path)
    cache: List[bytes] = []

    def from_blobs(path: str) -> Optional[bytes]:
        if not cache:
            cache.extend(content.read_blob(conn, d) for d in layers)
        return rootfs.read_from_layer_blobs(cache, path)

    return from_blobs


def _prepare_host_paths(options: ContainerOptions, namespace: str, paths: Paths) -> None:
    for m in options.mounts:
        if m["type"] == "bind" and not os.path.exists(m["source"]):
            raise InvalidInput(f"mounts: bind source {m['source']} does not exist on this machine")
        if m["type"] == "volume":
            os.makedirs(paths.volume_path(namespace, m["source"]), mode=0o755, exist_ok=True)


def _prepare_rootfs(
    conn: Connection, snapshotter: str, container_id: str, image: Mapping[str, Any], lease: str
) -> List[Dict[str, Any]]:
    """The container's active snapshot, clearing one an interrupted create left behind."""
    labels = creator.claim(lease)
    parent = image["top_chain_id"]
    try:
        return snapshots.prepare(conn, snapshotter, container_id, parent, labels, lease)
    except AlreadyExists:
        why = creator.clear_abandoned(conn, snapshotter, container_id)
        if why:
            raise AlreadyExists(
                f"a {snapshotter} snapshot {container_id!r} already exists in "
                f"{conn.namespace or 'default'!r} ({why}): remove it or pick another name"
            ) from None
    return snapshots.prepare(conn, snapshotter, container_id, parent, labels, lease)


def create_container(
    conn: Connection,
    container_id: str,
    options: ContainerOptions,
    paths: Optional[Paths] = None,
    daemon_version: Optional[str] = None,
) -> Dict[str, Any]:
    """Create the container record and its rootfs snapshot (no task yet).

    Returns {'id', 'image', 'image_digest', 'config_hash', 'log_path', 'warnings'}.
    """
    validate_identifier(container_id, "container name")
    paths = paths or Paths()
    namespace = conn.namespace or "default"
    if daemon_version is None:
        daemon_version = version.get_version(conn)["version"]
    series = version.parse_series(daemon_version)
    warnings: List[str] = []
    if options.restart_policy_name in ("on-failure", "unless-stopped") and series < (1, 7):
        warnings.append(
            f"restart_policy {options.restart_policy}: containerd {daemon_version} knows no "
            "restart policies, its restart monitor treats every policy as 'always'"
        )
    image = _image_for(conn, options)
    try:
        get_container(conn, container_id)
        raise AlreadyExists(f"container {container_id!r} already exists in {namespace!r}")
    except ContainerNotFound:
        pass
    _prepare_host_paths(options, namespace, paths)
    digest = image["digest"]
    chash = config_hash(options, digest)
    log_path = paths.log_path(namespace, container_id)
    stop_signal = options.stop_signal or image["config"].get("StopSignal") or "SIGTERM"

    with temporary_lease(conn) as lease:
        mounts = _prepare_rootfs(conn, options.snapshotter, container_id, image, lease)
        try:
            reader = _file_reader(conn, mounts, image["layers"])
            spec = build_spec(
                namespace, container_id, options, image["config"], reader, daemon_version, paths
            )
            all_labels = dict(options.labels)
            all_labels.update(
                {
                    L.MANAGED: "true",
                    L.CONFIG_HASH: chash,
                    L.IMAGE_DIGEST: digest,
                    L.LOG_PATH: log_path,
                    L.STOP_SIGNAL: signal_name(stop_signal),
                    L.STOP_TIMEOUT: str(options.stop_timeout),
                }
            )
            if options.restart_policy_name != "no":
                all_labels[L.RESTART_POLICY] = options.restart_policy
                all_labels[L.RESTART_LOG_URI] = "file://" + log_path
            runc = {"systemd_cgroup": options.systemd_cgroup}
            record = {
                "id": container_id,
                "labels": all_labels,
                "image": options.image,
                "runtime": {"name": options.runtime, "options": pack_any(RUNC_OPTIONS, runc)},
                "spec": {
                    "type_url": SPEC_TYPE_URL,
                    "value": json.dumps(spec, separators=(",", ":")).encode(),
                },
                "snapshotter": options.snapshotter,
                "snapshot_key": container_id,
                "extensions": {
                    L.CONFIG_EXTENSION: {
                        "type_url": L.CONFIG_TYPE_URL,
                        "value": canonical_json(options, digest).encode(),
                    }
                },
            }
            conn.call(containers_api.CREATE, {"container": record}, lease=lease)
        except BaseException:
            snapshots.remove(conn, options.snapshotter, container_id)
            raise
    return {
        "id": container_id,
        "image": options.image,
        "image_digest": digest,
        "config_hash": chash,
        "log_path": log_path,
        "warnings": warnings,
    }


def _record_exit(
    conn: Connection, container_id: str, exit_status: int, exited_at: Any, oom: bool
) -> None:
    update_labels(
        conn,
        container_id,
        {
            L.EXIT_CODE: str(exit_status),
            L.EXITED_AT: _iso(exited_at or _now()),
            L.OOM_KILLED: "true" if oom else None,
        },
    )


def _delete_task(conn: Connection, container_id: str) -> Optional[Dict[str, Any]]:
    """Tasks.Delete; None if there is no task, also when another client deleted it at the
    same moment (containerd then answers UNKNOWN "ttrpc: closed": the shim shut down)."""
    try:
        return tasks.delete_task(conn, container_id)
    except RemoteError:
        if tasks.get_process(conn, container_id) is None:
            return None
        raise


def _reap(conn: Connection, container: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    """Delete an exited task, keeping its exit status (and OOM kill) on the container."""
    cid = container["id"]
    oom = oom_kills(conn, cid) > 0
    deleted = _delete_task(conn, cid)
    if deleted is None:
        return None
    if (container.get("labels") or {}).get(L.MANAGED) == "true":
        try:
            _record_exit(conn, cid, deleted["exit_status"], deleted["exited_at"], oom)
        except NotFound:
            pass
    return {
        "exit_code": deleted["exit_status"],
        "exited_at": deleted["exited_at"],
        "oom_killed": oom,
    }


def _is_up(task: Optional[Mapping[str, Any]]) -> bool:
    return task is not None and task["status"] in (
        tasks.STATUS_RUNNING,
        tasks.STATUS_PAUSED,
        tasks.STATUS_PAUSING,
    )


def start(conn: Connection, container_id: str, wait: bool = False) -> Dict[str, Any]:
    """Create and start the task: {'changed', 'pid', 'waiter'}.

    stdout and stderr go to the container's log file (``file://`` URI: the shim appends to
    it). With ``wait=True`` a Tasks.Wait is registered before Start and returned as
    ``waiter`` (``.result(timeout)`` -> {'exit_status', 'exited_at'}), so the exit of a
    short-lived process cannot be missed. containerd's restart monitor is kept out until
    the task runs (restart_monitor), and gets its label back if the start fails.
    """
    container = get_container(conn, container_id)
    task = tasks.get_process(conn, container_id)
    if _is_up(task):
        return {"changed": False, "pid": task["pid"], "waiter": None}
    held = restart_monitor.hold(conn, container)
    try:
        return _start_task(conn, container, wait, monitored=bool(held))
    except BaseException:
        restart_monitor.give_back(conn, container_id, held)
        raise


def _start_task(
    conn: Connection, container: Mapping[str, Any], wait: bool, monitored: bool
) -> Dict[str, Any]:
    cid = container["id"]
    task = tasks.get_process(conn, cid)
    if _is_up(task):  # a restart the monitor had begun before it was held off
        pid, waiter = task["pid"], tasks.wait(conn, cid) if wait else None
    else:
        if task is not None and task["status"] == tasks.STATUS_STOPPED:
            _reap(conn, container)
        elif task is not None:  # created but never started (an interrupted start)
            _delete_task(conn, cid)
        pid, waiter = _create_and_start(conn, container, wait)
    labels = container.get("labels") or {}
    changes: Dict[str, Optional[str]] = {}
    if labels.get(L.MANAGED) == "true":
        changes = {L.STARTED_AT: _iso(_now()), L.STARTED_PID: str(pid), L.EXIT_CODE: None}
        changes.update({L.EXITED_AT: None, L.OOM_KILLED: None})
    if monitored or restart_monitor.has_policy(container):
        # only now: a status label on a container without a task would make the monitor
        # start one itself, racing with this start
        changes.update(restart_monitor.RUNNING_LABELS)
    update_labels(conn, cid, changes)
    return {"changed": True, "pid": pid, "waiter": waiter}


def _create_and_start(conn: Connection, container: Mapping[str, Any], wait: bool) -> tuple:
    """A new task with the container's log file as stdout and stderr: (pid, waiter)."""
    cid = container["id"]
    log_path = (container.get("labels") or {}).get(L.LOG_PATH, "")
    uri = ""
    if log_path:
        os.makedirs(os.path.dirname(log_path), mode=0o755, exist_ok=True)
        uri = "file://" + log_path
    mounts = snapshots.mounts(conn, container["snapshotter"], container["snapshot_key"])
    task_recovery.create_task(conn, cid, mounts, uri)
    waiter = tasks.wait(conn, cid) if wait else None
    try:
        return tasks.start(conn, cid), waiter
    except BaseException:
        if waiter is not None:
            waiter.cancel()
        _delete_task(conn, cid)
        raise


def _stop_settings(container: Mapping[str, Any], signal: Any, timeout: Optional[float]) -> tuple:
    """(signal number, grace seconds): the caller's, else those stored at creation."""
    labels = container.get("labels") or {}
    sig = labels.get(L.STOP_SIGNAL) or labels.get("io.containerd.image.config.stop-signal")
    stored = labels.get(L.STOP_TIMEOUT)
    sig = parse_signal(signal if signal is not None else sig or "SIGTERM")
    if timeout is None:
        timeout = float(stored) if stored else 10.0
    return sig, float(timeout)


def _terminate(conn: Connection, container_id: str, status: int, sig: int, grace: float) -> tuple:
    """Signal a live task, wait up to ``grace`` s, then SIGKILL all its processes: (the
    Wait result, or None if it was gone already; whether SIGKILL was needed)."""
    if status in (tasks.STATUS_PAUSED, tasks.STATUS_PAUSING):
        tasks.resume(conn, container_id)
    waiter = tasks.wait(conn, container_id)
    try:
        tasks.kill(conn, container_id, sig, all=sig == SIGKILL)
        try:
            return waiter.result(grace), False
        except Timeout:
            tasks.kill(conn, container_id, SIGKILL, all=True)
            return waiter.result(KILL_GRACE), True
    except NotFound:
        return None, False  # exited between Get and Kill
    finally:
        waiter.cancel()


def _stop_task(
    conn: Connection, container: Mapping[str, Any], sig: int, grace: float
) -> Dict[str, Any]:
    """Stop the task, whatever its status, and delete it; the result ``stop`` returns."""
    cid = container["id"]
    result: Dict[str, Any] = {"changed": False, "exit_code": None, "exited_at": None}
    result["killed"] = False
    task = tasks.get_process(conn, cid)
    if task is None:
        return result
    result["changed"] = True
    if task["status"] == tasks.STATUS_CREATED:
        _delete_task(conn, cid)
        return result
    exited = None
    if task["status"] != tasks.STATUS_STOPPED:
        exited, result["killed"] = _terminate(conn, cid, task["status"], sig, grace)
    reaped = _reap(conn, container)
    if reaped is None and exited is not None:  # another client (ctr?) deleted it first
        reaped = {
            "exit_code": exited["exit_status"],
            "exited_at": exited["exited_at"],
            "oom_killed": False,
        }
        if (container.get("labels") or {}).get(L.MANAGED) == "true":
            _record_exit(conn, cid, exited["exit_status"], exited["exited_at"], False)
    if reaped:
        result.update(reaped)
    return result


def stop(
    conn: Connection,
    container_id: str,
    timeout: Optional[float] = None,
    signal: Any = None,
) -> Dict[str, Any]:
    """Signal, wait up to ``timeout`` s, then SIGKILL; delete the task to collect the exit.

    Returns {'changed', 'exit_code', 'exited_at', 'killed' (SIGKILL was needed),
    'oom_killed'}. containerd's restart monitor is kept out while the task stops and told
    status=stopped at the end, also when the stop failed: it then finishes the stop rather
    than undoing it.
    """
    container = get_container(conn, container_id)
    sig, grace = _stop_settings(container, signal, timeout)
    wanted = (container.get("labels") or {}).get(L.RESTART_STATUS)
    if tasks.get_process(conn, container_id) is None and wanted in (None, "", "stopped"):
        return {"changed": False, "exit_code": None, "exited_at": None, "killed": False}
    held = restart_monitor.hold(conn, container)
    try:
        result = _stop_task(conn, container, sig, grace)
    finally:
        if held:
            update_labels(conn, container_id, restart_monitor.STOPPED_LABELS)
    # no task, but the monitor was told to start one (a start that keeps failing)
    result["changed"] = result["changed"] or held == "running"
    return result


def hand_to_monitor(conn: Connection, container_id: str) -> None:
    """Tell containerd's restart monitor to keep a running container running."""
    update_labels(conn, container_id, restart_monitor.RUNNING_LABELS)


def kill(conn: Connection, container_id: str, signal: Any = "SIGKILL", all: bool = False) -> None:
    """Send a signal to the container's task (no waiting, no deletion)."""
    get_container(conn, container_id)
    try:
        tasks.kill(conn, container_id, parse_signal(signal, "signal"), all=all)
    except NotFound:
        raise FailedPrecondition(f"container {container_id!r} is not running") from None


def restart(conn: Connection, container_id: str, timeout: Optional[float] = None) -> Dict[str, Any]:
    """Stop (as ``stop``) then start: {'stopped': stop result, 'pid', 'changed'}.

    containerd's restart monitor is kept out from before the signal until the new task
    runs. It ends with the container running, or raises RestartFailed saying how far it
    got; the monitor then gets its label back, so a policy still brings the container back.
    """
    container = get_container(conn, container_id)
    sig, grace = _stop_settings(container, None, timeout)
    held = restart_monitor.hold(conn, container)
    try:
        stopped = _stop_task(conn, container, sig, grace)
    except OcirtError as exc:
        restart_monitor.give_back(conn, container_id, held)
        raise RestartFailed(
            f"restart of container {container_id!r} failed while stopping it: {exc}"
        ) from exc
    try:
        started = _start_task(conn, container, wait=False, monitored=bool(held))
    except OcirtError as exc:
        restart_monitor.give_back(conn, container_id, held)
        retry = (
            "containerd's restart monitor keeps trying to start it"
            if held == "running"
            else "it stays stopped until started again"
        )
        raise RestartFailed(
            f"container {container_id!r} was stopped but did not start again ({exc}); {retry}"
        ) from exc
    return {"stopped": stopped, "pid": started["pid"], "changed": True}


def remove(
    conn: Connection, container_id: str, force: bool = False, remove_logs: bool = True
) -> Dict[str, Any]:
    """Delete the task (killing it only with ``force``), the record and its snapshot.

    The restart labels are cleared first so containerd's restart monitor cannot start the
    task again in between. Returns {'changed'}; a missing container is no change.
    """
    try:
        container = get_container(conn, container_id)
    except ContainerNotFound:
        return {"changed": False}
    labels = container.get("labels") or {}
    task = tasks.get_process(conn, container_id)
    if task is not None and task["status"] != tasks.STATUS_STOPPED and not force:
        raise ContainerRunning(
            f"container {container_id!r} is {tasks.STATUS_NAMES.get(task['status'])}: stop it "
            "first or remove it with force"
        )
    present = [k for k in L.RESTART_LABELS if k in labels]
    if present:
        update_labels(conn, container_id, {k: None for k in present})
    task = tasks.get_process(conn, container_id)
    if task is not None:
        if task["status"] not in (tasks.STATUS_STOPPED, tasks.STATUS_CREATED):
            _terminate(conn, container_id, task["status"], SIGKILL, KILL_GRACE)
        _delete_task(conn, container_id)
    try:
        conn.call(containers_api.DELETE, {"id": container_id})
    except NotFound:
        pass
    if container.get("snapshot_key"):
        snapshots.remove(
            conn, container.get("snapshotter") or DEFAULT_SNAPSHOTTER, container["snapshot_key"]
        )
    log_path = labels.get(L.LOG_PATH)
    if remove_logs and log_path and labels.get(L.MANAGED) == "true":
        try:
            os.unlink(log_path)
        except OSError as exc:
            if exc.errno != errno.ENOENT:
                raise
    return {"changed": True}


def status(conn: Connection, container_id: str) -> Dict[str, Any]:
    """{status: created|running|stopped|paused|unknown, pid, exit_code, exited_at,
    started_at, oom_killed, restart_count} (see state.describe_state)."""
    container = get_container(conn, container_id)
    task = tasks.get_process(conn, container_id)
    state = describe_state(container, task)
    if state["status"] == "stopped" and task is not None:
        state["oom_killed"] = oom_kills(conn, container_id) > 0
    return state

"""What is done to a container once it exists: start, stop, kill, pause, unpause, wait,
restart, remove.

No supervisor of ours runs: the shim keeps the task alive across daemon restarts, and
restart policies are containerd's own restart monitor, driven by labels. Each verb moves
the task (task.py) while the monitor is kept out (restart_monitor.py) and other clients
starting it wait (start_claim.py), and keeps on the record what the task forgets once
deleted: when it started, with which pid, how it exited.
Creating a container is create.py; what state it is in, state.py.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple, TypedDict

from ..api import snapshots, tasks
from ..api.containers import update_labels
from ..common.defaults import DEFAULT_SNAPSHOTTER
from ..common.errors import FailedPrecondition, NotFound, OcirtError, Timeout, describe_unreachable
from ..transport.connection import PROBE_EVERY, Connection, PendingCall
from . import labels as L
from . import networking, restart_monitor, task
from .logs import remove_log_files
from .options import parse_signal
from .record import (
    ContainerNotFound,
    delete_record,
    get_container,
    is_managed,
    labels_of,
    record_exit,
)
from .start_claim import start_claim
from .state import is_up
from .stdio import TaskIO


class ContainerRunning(FailedPrecondition):
    pass


class RestartFailed(OcirtError):
    """A restart that did not end with the container running; the message says where it
    stopped."""


class Started(TypedDict):
    changed: bool
    pid: int
    waiter: Optional[PendingCall]  # ``.result(timeout)`` -> {'exit_status', 'exited_at'}


class _Stop(TypedDict):
    changed: bool
    exit_code: Optional[int]
    exited_at: Any
    killed: bool  # SIGKILL was needed


class Stopped(_Stop, total=False):
    oom_killed: bool  # when an exit was collected


class Restarted(TypedDict):
    stopped: Stopped
    pid: int
    changed: bool


class Removed(TypedDict):
    changed: bool


def start(
    conn: Connection, container_id: str, wait: bool = False, io: Optional[TaskIO] = None
) -> Started:
    """Create and start the task (a live one is no change).

    stdout and stderr go to the container's log file (``file://`` URI: the shim appends to
    it). With ``wait=True`` a Tasks.Wait is registered before Start and returned as
    ``waiter``. ``io`` replaces those streams (FIFOs a client copies: ``run -it``).
    containerd's restart monitor is kept out until the task runs, and gets its
    label back if the start fails.
    """
    container = get_container(conn, container_id)
    current = tasks.get_process(conn, container_id)
    if current is not None and is_up(current):
        return {"changed": False, "pid": current["pid"], "waiter": None}
    held = restart_monitor.hold(conn, container)
    try:
        return _start_task(conn, container, wait, monitored=bool(held), io=io)
    except BaseException:
        restart_monitor.give_back(conn, container_id, held)
        raise


def _reap(conn: Connection, container: Mapping[str, Any]) -> None:
    """Delete an exited task, keeping its exit status (and OOM kill) on the record."""
    exited = task.reap(conn, container["id"])
    if exited is not None:
        record_exit(conn, container, exited["exit_code"], exited["exited_at"], exited["oom_killed"])


def _start_task(
    conn: Connection,
    container: Mapping[str, Any],
    wait: bool,
    monitored: bool,
    io: Optional[TaskIO] = None,
) -> Started:
    cid = container["id"]
    waiter: Optional[PendingCall]
    with start_claim(conn, cid):
        current = tasks.get_process(conn, cid)
        if current is not None and is_up(current):  # the monitor, or another client, began
            pid, waiter = current["pid"], tasks.wait(conn, cid) if wait else None
        else:
            if current is not None and current["status"] == tasks.STATUS_STOPPED:
                _reap(conn, container)
            elif current is not None:  # created but never started (an interrupted start)
                task.delete_task(conn, cid)
            networking.before_start(conn, container)
            pid, waiter = task.create_and_start(conn, container, wait, io)
    changes: Dict[str, Optional[str]] = {}
    if is_managed(container):
        changes = {L.STARTED_AT: L.format_time(), L.STARTED_PID: str(pid), L.EXIT_CODE: None}
        changes.update({L.EXITED_AT: None, L.OOM_KILLED: None})
    if monitored or restart_monitor.has_policy(container):
        # only now: a status label on a container without a task would make the monitor
        # start one itself, racing with this start
        changes.update(restart_monitor.RUNNING_LABELS)
    update_labels(conn, cid, changes)
    return {"changed": True, "pid": pid, "waiter": waiter}


def _stop_settings(
    container: Mapping[str, Any], signal: Any, timeout: Optional[float]
) -> Tuple[int, float]:
    """(signal number, grace seconds): the caller's, else those stored at creation."""
    labels = labels_of(container)
    sig = labels.get(L.STOP_SIGNAL) or labels.get("io.containerd.image.config.stop-signal")
    stored = labels.get(L.STOP_TIMEOUT)
    number = parse_signal(signal if signal is not None else sig or "SIGTERM")
    if timeout is None:
        timeout = float(stored) if stored else 10.0
    return number, float(timeout)


def _stop_task(conn: Connection, container: Mapping[str, Any], sig: int, grace: float) -> Stopped:
    """End the task, whatever its status, keeping its exit on the record: what ``stop``
    returns."""
    ended = task.end(conn, container["id"], sig, grace)
    result: Stopped = {
        "changed": ended.existed,
        "exit_code": None,
        "exited_at": None,
        "killed": ended.killed,
    }
    exited = ended.exit
    if exited is not None:
        record_exit(conn, container, exited["exit_code"], exited["exited_at"], exited["oom_killed"])
        result["exit_code"] = exited["exit_code"]
        result["exited_at"] = exited["exited_at"]
        result["oom_killed"] = exited["oom_killed"]
    return result


def stop(
    conn: Connection,
    container_id: str,
    timeout: Optional[float] = None,
    signal: Any = None,
) -> Stopped:
    """Signal, wait up to ``timeout`` s, then SIGKILL; delete the task to collect the exit.

    containerd's restart monitor is kept out while the task stops and told status=stopped
    at the end, also when the stop failed: it then finishes the stop rather than undoing it.
    """
    container = get_container(conn, container_id)
    sig, grace = _stop_settings(container, signal, timeout)
    wanted = labels_of(container).get(L.RESTART_STATUS)
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


def _live_task(conn: Connection, container_id: str) -> Dict[str, Any]:
    """The container's task if a process lives (running or paused); else FailedPrecondition."""
    get_container(conn, container_id)
    current = tasks.get_process(conn, container_id)
    if current is None or not is_up(current):
        raise FailedPrecondition(f"container {container_id!r} is not running")
    return current


def pause(conn: Connection, container_id: str) -> bool:
    """Freeze every process of the container (its cgroup); whether anything changed."""
    if _live_task(conn, container_id)["status"] != tasks.STATUS_RUNNING:
        return False
    tasks.pause(conn, container_id)
    return True


def unpause(conn: Connection, container_id: str) -> bool:
    """Thaw a paused container; whether anything changed."""
    if _live_task(conn, container_id)["status"] == tasks.STATUS_RUNNING:
        return False
    tasks.resume(conn, container_id)
    return True


def _recorded_exit(conn: Connection, container_id: str) -> int:
    """The exit kept on the record once its task was deleted (``stop``, ``ocirt rm``)."""
    code = labels_of(get_container(conn, container_id)).get(L.EXIT_CODE)
    if code is None:
        raise FailedPrecondition(f"container {container_id!r} has not been started")
    return int(code)


def _exit_status(conn: Connection, waiter: PendingCall) -> int:
    """Tasks.Wait's answer, looking at the socket every PROBE_EVERY s meanwhile, so that a
    daemon that died ends the wait (Ctrl-C does anyway: grpc waits in short slices)."""
    while True:
        try:
            return int(waiter.result(PROBE_EVERY)["exit_status"])
        except Timeout:
            if conn.daemon_gone():
                raise describe_unreachable(conn.address) from None


def wait(conn: Connection, container_id: str) -> int:
    """The container's exit code once its task has exited (at once if it already has)."""
    current = tasks.get_process(conn, container_id)
    if current is None:
        return _recorded_exit(conn, container_id)
    if current["status"] == tasks.STATUS_STOPPED:
        return int(current["exit_status"])
    waiter = tasks.wait(conn, container_id)
    try:
        return _exit_status(conn, waiter)
    except NotFound:  # exited and deleted (by a stop) between Get and Wait
        return _recorded_exit(conn, container_id)
    finally:
        waiter.cancel()


def restart(conn: Connection, container_id: str, timeout: Optional[float] = None) -> Restarted:
    """Stop (as ``stop``) then start.

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


def _refuse_running(conn: Connection, container_id: str) -> None:
    current = tasks.get_process(conn, container_id)
    if current is not None and current["status"] != tasks.STATUS_STOPPED:
        raise ContainerRunning(
            f"container {container_id!r} is {tasks.STATUS_NAMES.get(current['status'])}: stop "
            "it first or remove it with force"
        )


def _remove_log(container: Mapping[str, Any]) -> None:
    log_path = labels_of(container).get(L.LOG_PATH)
    if not log_path or not is_managed(container):
        return
    remove_log_files(log_path)


def remove(
    conn: Connection, container_id: str, force: bool = False, remove_logs: bool = True
) -> Removed:
    """Delete the task (killing it only with ``force``), the record and its snapshot.

    The restart labels are cleared first so containerd's restart monitor cannot start the
    task again in between. A missing container is no change.
    """
    try:
        container = get_container(conn, container_id)
    except ContainerNotFound:
        return {"changed": False}
    if not force:
        _refuse_running(conn, container_id)
    labels = labels_of(container)
    update_labels(conn, container_id, {k: None for k in L.RESTART_LABELS if k in labels})
    task.discard(conn, container_id)
    networking.after_task_gone(conn, container)
    delete_record(conn, container_id)
    if container.get("snapshot_key"):
        snapshotter = container.get("snapshotter") or DEFAULT_SNAPSHOTTER
        snapshots.remove(conn, snapshotter, container["snapshot_key"])
    if remove_logs:
        _remove_log(container)
    return {"changed": True}

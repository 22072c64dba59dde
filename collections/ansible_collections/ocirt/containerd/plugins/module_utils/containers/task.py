"""A container's task through its states: created -> running (<-> paused) -> stopped -> deleted.

The shim keeps a task, and its exit status, until Tasks.Delete; so ending one is always
signal, wait, delete. ``kill_and_wait`` is the one place that signals and waits (SIGKILL to
all processes after the grace period); ``end`` stops a task whatever its status and deletes
it, keeping its exit. Nothing here touches the record's labels (lifecycle.py does that).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Mapping, Optional, Tuple, TypedDict

from ..api import snapshots, tasks
from ..common.errors import NotFound, RemoteError, Timeout
from ..transport.connection import Connection, PendingCall
from . import stdio, task_recovery
from .state import oom_kills
from .stdio import TaskIO

SIGKILL = 9
KILL_GRACE = 30.0  # after SIGKILL a process is gone within moments; bounded anyway


class TaskExit(TypedDict):
    exit_code: int
    exited_at: Any  # datetime from the shim (None if it did not say)
    oom_killed: bool


@dataclass
class Ended:
    """What ending a task found and did."""

    existed: bool  # there was a task (created, running, paused or stopped)
    exit: Optional[TaskExit] = None  # None: it never ran, or nobody saw it exit
    killed: bool = False  # SIGKILL was needed after the grace period


def delete_task(conn: Connection, container_id: str) -> Optional[Dict[str, Any]]:
    """Tasks.Delete; None if there is no task, also when another client deleted it at the
    same moment (containerd then answers UNKNOWN "ttrpc: closed": the shim shut down)."""
    try:
        return tasks.delete_task(conn, container_id)
    except RemoteError:
        if tasks.get_process(conn, container_id) is None:
            return None
        raise


def kill_and_wait(
    conn: Connection, container_id: str, status: int, sig: int, grace: float
) -> Tuple[Optional[Dict[str, Any]], bool]:
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


def reap(conn: Connection, container_id: str) -> Optional[TaskExit]:
    """Delete an exited task: its exit, and whether its cgroup saw an OOM kill (None if
    there was no task to delete)."""
    oom = oom_kills(conn, container_id) > 0
    deleted = delete_task(conn, container_id)
    if deleted is None:
        return None
    return {
        "exit_code": deleted["exit_status"],
        "exited_at": deleted["exited_at"],
        "oom_killed": oom,
    }


def end(conn: Connection, container_id: str, sig: int, grace: float) -> Ended:
    """Stop the task whatever its status (``kill_and_wait``) and delete it."""
    task = tasks.get_process(conn, container_id)
    if task is None:
        return Ended(existed=False)
    if task["status"] == tasks.STATUS_CREATED:
        delete_task(conn, container_id)
        return Ended(existed=True)
    waited, killed = None, False
    if task["status"] != tasks.STATUS_STOPPED:
        waited, killed = kill_and_wait(conn, container_id, task["status"], sig, grace)
    exited = reap(conn, container_id)
    stdio.remove_fifos(stdio.process_io(task))
    if exited is None and waited is not None:  # another client (ctr?) deleted it first
        exited = {
            "exit_code": waited["exit_status"],
            "exited_at": waited["exited_at"],
            "oom_killed": False,
        }
    return Ended(existed=True, exit=exited, killed=killed)


def discard(conn: Connection, container_id: str) -> None:
    """Kill (if live) and delete the task of a container about to go: no exit is kept."""
    task = tasks.get_process(conn, container_id)
    if task is None:
        return
    if task["status"] not in (tasks.STATUS_STOPPED, tasks.STATUS_CREATED):
        kill_and_wait(conn, container_id, task["status"], SIGKILL, KILL_GRACE)
    delete_task(conn, container_id)
    stdio.remove_fifos(stdio.process_io(task))


def create_and_start(
    conn: Connection, container: Mapping[str, Any], wait: bool, io: Optional[TaskIO] = None
) -> Tuple[int, Optional[PendingCall]]:
    """A new task with the streams ``io`` (default ``stdio.task_io``: the log file, or
    FIFOs for a terminal): (pid, waiter).

    With ``wait`` a Tasks.Wait is registered before Start, so the exit of a short-lived
    process cannot be missed. A task that does not start is deleted again.
    """
    cid = container["id"]
    mounts = snapshots.mounts(conn, container["snapshotter"], container["snapshot_key"])
    io = io or stdio.task_io(container)
    with stdio.held_open(io):
        task_recovery.create_task(conn, cid, mounts, io)
        waiter = tasks.wait(conn, cid) if wait else None
        try:
            return tasks.start(conn, cid), waiter
        except BaseException:
            if waiter is not None:
                waiter.cancel()
            delete_task(conn, cid)
            raise

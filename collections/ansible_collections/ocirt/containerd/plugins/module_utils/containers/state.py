"""What state a container is in, from its record and its task (or lack of one).

The task says whether something runs; the record's labels keep what the task forgets once
deleted (the last exit, when ocirt started it and which pid it got). containerd's restart
monitor can replace a task behind ocirt's back: a task whose pid is not the one ocirt
started is the monitor's, so its start time comes from /proc, not from ocirt's label.
An OOM kill is only counted by the task's cgroup: ``oom_kills`` reads it before a task is
deleted, and the record keeps the verdict after.
"""

from __future__ import annotations

import datetime
from typing import Any, Mapping, Optional, TypedDict

from ..api import tasks
from ..common import procfs
from ..common.errors import OcirtError
from ..transport.connection import Connection
from . import labels as L
from .record import get_container, labels_of
from .stats import stats

UP = (tasks.STATUS_RUNNING, tasks.STATUS_PAUSED, tasks.STATUS_PAUSING)
Task = Mapping[str, Any]  # a tasks.v1 Process (api/tasks.PROCESS)


class ContainerState(TypedDict):
    status: str  # created, running, paused, stopped or unknown
    pid: Optional[int]  # only while a process runs (as docker's Pid)
    exit_code: Optional[int]
    exited_at: Optional[datetime.datetime]
    started_at: Optional[datetime.datetime]
    oom_killed: bool
    restart_count: Optional[int]  # None: replaced by containerd 1.6's monitor, uncounted


def is_up(task: Optional[Task]) -> bool:
    """Whether the task has a live process (running or paused)."""
    return task is not None and task["status"] in UP


def process_started_at(pid: int) -> Optional[datetime.datetime]:
    """When a host process started (the daemon and its tasks are on this machine)."""
    seconds = procfs.started_at(pid)
    if seconds is None:
        return None
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc)


def oom_kills(conn: Connection, container_id: str) -> int:
    """OOM kills counted by the task's cgroup (readable until the task is deleted)."""
    try:
        s = stats(conn, container_id)
    except OcirtError:
        return 0
    return int(s.get("oom_kills") or 0) if s else 0


def restart_count(labels: Mapping[str, str], task: Optional[Task]) -> Optional[int]:
    """Restarts by containerd's monitor since ocirt last started the container.

    1.7+ counts them in a label (reset by ocirt's start, as docker resets RestartCount).
    1.6 counts nothing: 0 while the task is the one ocirt started, None (unknown) once the
    monitor has replaced it.
    """
    if labels.get(L.RESTART_COUNT):
        return int(labels[L.RESTART_COUNT])
    ours = labels.get(L.STARTED_PID)
    if task is not None and is_up(task) and ours and str(task["pid"]) != ours:
        return None
    return 0


def status_of(container: Mapping[str, Any], task: Optional[Task]) -> str:
    """created, running, paused, stopped or unknown: the status alone, without /proc."""
    if task is None:
        return "stopped" if labels_of(container).get(L.EXIT_CODE) is not None else "created"
    status = tasks.STATUS_NAMES.get(task["status"], "unknown")
    return "paused" if status == "pausing" else status


def _started_at(labels: Mapping[str, str], task: Task) -> Optional[datetime.datetime]:
    if str(task["pid"]) == labels.get(L.STARTED_PID):
        return L.parse_time(labels.get(L.STARTED_AT))  # ocirt's own clock, at its start
    return process_started_at(task["pid"]) or L.parse_time(labels.get(L.STARTED_AT))


def describe_state(container: Mapping[str, Any], task: Optional[Task]) -> ContainerState:
    """The state of a record and its task (None if it has none): the one place that turns
    the two into a state."""
    labels = labels_of(container)
    status = status_of(container, task)
    if task is None:
        exited = labels.get(L.EXIT_CODE)
        return {
            "status": status,
            "pid": None,
            "exit_code": int(exited) if exited is not None else None,
            "exited_at": L.parse_time(labels.get(L.EXITED_AT)),
            "started_at": L.parse_time(labels.get(L.STARTED_AT)),
            "oom_killed": labels.get(L.OOM_KILLED) == "true",
            "restart_count": restart_count(labels, task),
        }
    up = is_up(task) and bool(task["pid"])
    stopped = status == "stopped"
    return {
        "status": status,
        "pid": task["pid"] if up else None,
        "exit_code": task["exit_status"] if stopped else None,
        "exited_at": task["exited_at"] if stopped else None,
        "started_at": _started_at(labels, task) if up else L.parse_time(labels.get(L.STARTED_AT)),
        "oom_killed": False,
        "restart_count": restart_count(labels, task),
    }


def container_state(conn: Connection, container_id: str) -> ContainerState:
    """The state of one container, with an OOM kill of a stopped, not yet deleted task."""
    container = get_container(conn, container_id)
    task = tasks.get_process(conn, container_id)
    state = describe_state(container, task)
    if state["status"] == "stopped" and task is not None:
        state["oom_killed"] = oom_kills(conn, container_id) > 0
    return state

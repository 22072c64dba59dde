"""What state a container is in, from its record and its task (or lack of one).

The task says whether something runs; the record's labels keep what the task forgets once
deleted (the last exit, when ocirt started it and which pid it got). containerd's restart
monitor can replace a task behind ocirt's back: a task whose pid is not the one ocirt
started is the monitor's, so its start time comes from /proc, not from ocirt's label.
"""

from __future__ import annotations

import datetime
from typing import Any, Dict, Mapping, Optional

from ..api import tasks
from ..common import procfs
from ..common.errors import OcirtError
from ..transport.connection import Connection
from . import labels as L
from .stats import stats

UP = (tasks.STATUS_RUNNING, tasks.STATUS_PAUSED, tasks.STATUS_PAUSING)


def parse_time(text: Optional[str]) -> Optional[datetime.datetime]:
    if not text:
        return None
    try:
        return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
            tzinfo=datetime.timezone.utc
        )
    except ValueError:
        return None


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
    return int((s or {}).get("oom_kills") or 0)


def restart_count(labels: Mapping[str, str], task: Optional[Mapping[str, Any]]) -> Optional[int]:
    """Restarts by containerd's monitor since ocirt last started the container.

    1.7+ counts them in a label (reset by ocirt's start, as docker resets RestartCount).
    1.6 counts nothing: 0 while the task is the one ocirt started, None (unknown) once the
    monitor has replaced it.
    """
    if labels.get(L.RESTART_COUNT):
        return int(labels[L.RESTART_COUNT])
    ours = labels.get(L.STARTED_PID)
    if task is not None and task["status"] in UP and ours and str(task["pid"]) != ours:
        return None
    return 0


def _started_at(labels: Mapping[str, str], task: Mapping[str, Any]) -> Optional[datetime.datetime]:
    if str(task["pid"]) == labels.get(L.STARTED_PID):
        return parse_time(labels.get(L.STARTED_AT))  # ocirt's own clock, at its start
    return process_started_at(task["pid"]) or parse_time(labels.get(L.STARTED_AT))


def describe_state(
    container: Mapping[str, Any], task: Optional[Mapping[str, Any]]
) -> Dict[str, Any]:
    """{status, pid, exit_code, exited_at, started_at, oom_killed, restart_count} from a
    record and its task (None if it has none): the one place that turns the two into a
    state. pid is only given while a process runs (as docker's Pid)."""
    labels = container.get("labels") or {}
    count = restart_count(labels, task)
    if task is None:
        exited = labels.get(L.EXIT_CODE)
        return {
            "status": "stopped" if exited is not None else "created",
            "pid": None,
            "exit_code": int(exited) if exited is not None else None,
            "exited_at": parse_time(labels.get(L.EXITED_AT)),
            "started_at": parse_time(labels.get(L.STARTED_AT)),
            "oom_killed": labels.get(L.OOM_KILLED) == "true",
            "restart_count": count,
        }
    status = tasks.STATUS_NAMES.get(task["status"], "unknown")
    up = task["status"] in UP and bool(task["pid"])
    return {
        "status": "paused" if status == "pausing" else status,
        "pid": task["pid"] if up else None,
        "exit_code": task["exit_status"] if status == "stopped" else None,
        "exited_at": task["exited_at"] if status == "stopped" else None,
        "started_at": _started_at(labels, task) if up else parse_time(labels.get(L.STARTED_AT)),
        "oom_killed": False,
        "restart_count": count,
    }

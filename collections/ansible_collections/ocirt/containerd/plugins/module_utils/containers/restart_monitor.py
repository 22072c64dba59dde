"""Acting on a task without racing containerd's restart monitor.

The monitor (runtime/restart/monitor in 1.6/1.7, plugins/restart in 2.x) lists the
containers labelled ``containerd.io/restart.status`` once per interval (10 s by default) and
acts on every task whose status differs from the label: status=stopped gets a SIGKILL to
all processes, a Wait and a Delete; status=running gets its exited task deleted and a new
one created and started (1.7+ counting it in ``containerd.io/restart.count``).

So while ocirt stops, starts or restarts a task, the monitor must not see the container:
telling it status=stopped before a stop whose grace period is longer than its interval
makes it SIGKILL and Delete the task alongside ocirt's own Delete, and the loser fails with
``failed to delete task: ttrpc: closed`` (the shim shut down under it). A container without
the status label is not listed at all, so ``hold`` removes the label first and the caller
sets the status it ended in afterwards (``RUNNING_LABELS``/``STOPPED_LABELS``), or puts back the
one it found (``give_back``) when it failed, so the monitor goes on doing what it did.
"""

from __future__ import annotations

from typing import Any, Dict, Mapping, Optional

from ..api.containers import update_labels
from ..common.errors import OcirtError
from ..transport.connection import Connection
from . import labels as L


def has_policy(container: Mapping[str, Any]) -> bool:
    """Whether containerd's monitor should keep this container running once started."""
    policy = (container.get("labels") or {}).get(L.RESTART_POLICY, "")
    return bool(policy) and policy != "no"


def neglected(container: Mapping[str, Any]) -> bool:
    """A policy the monitor is not told about (a start cut short after ``hold``): the
    container runs, but nothing would bring it back."""
    status = (container.get("labels") or {}).get(L.RESTART_STATUS)
    return has_policy(container) and status != "running"


def hold(conn: Connection, container: Mapping[str, Any]) -> Optional[str]:
    """Take the container out of the monitor's view; the status label it had (or None)."""
    status = (container.get("labels") or {}).get(L.RESTART_STATUS)
    if status:
        update_labels(conn, container["id"], {L.RESTART_STATUS: None})
    return status


def give_back(conn: Connection, container_id: str, status: Optional[str]) -> None:
    """After a failure: the monitor's label as ``hold`` found it (best effort: the failure
    being reported matters more than this one)."""
    if not status:
        return
    try:
        update_labels(conn, container_id, {L.RESTART_STATUS: status})
    except OcirtError:
        pass


#: Labels of a task ocirt started: the monitor keeps it running from now on. The count
#: restarts from zero, as docker's RestartCount does on an explicit start.
RUNNING_LABELS: Dict[str, Optional[str]] = {
    L.RESTART_STATUS: "running",
    L.RESTART_EXPLICITLY_STOPPED: None,
    L.RESTART_COUNT: None,
}
#: Stopped on purpose: the monitor leaves it stopped (unless-stopped also reads the second
#: label on 1.7+).
STOPPED_LABELS: Dict[str, Optional[str]] = {
    L.RESTART_STATUS: "stopped",
    L.RESTART_EXPLICITLY_STOPPED: "true",
}

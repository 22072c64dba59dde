"""Creating a task where an earlier Create was interrupted.

containerd SIGKILLed while it created a task leaves one of two things behind (seen with 1.6):

- The shim had started: containerd reloads it at start-up and holds a task it cannot
  describe (Get answers NotFound, Create "task X: already exists"). Tasks.Delete clears it,
  bundle included; a real task (one the restart monitor started) makes Delete fail.
- The shim had not started: the bundle directory holds what containerd writes before it
  starts one (or less); its clean-up fails (``shim delete`` finds no runtime file) and
  every Create then fails with "failed to start shim: mkdir <bundle>: file exists". The
  directory is removed when nothing in it says a shim ever ran from it.

A client that goes away while containerd waits on the shim's Create (a module killed, a
cancelled call; seen with 1.7 and 2.1) makes containerd clean up with a fresh 5 s context:
it asks the shim to delete the created container, but the shim first waits for the init
process's output to drain, which a created (never started) process never does. For those
seconds the bundle stays ("mkdir <bundle>: file exists"); then containerd gives up, removes
the bundle and leaves runc's state of the container ("runc create failed: container with
given ID already exists"). The next Create that fails that way makes containerd run the
shim's own ``delete`` (``runc delete --force``), which clears it. So: wait for the bundle
to go, then Create again until that clean-up has run; never touch the processes.
"""

from __future__ import annotations

import os
import re
import time
from typing import Any, Dict, Sequence

from ..api import tasks
from ..common.errors import AlreadyExists, FailedPrecondition, RemoteError
from ..transport.connection import Connection
from .stdio import TaskIO

_BUNDLE_EXISTS = re.compile(
    r"mkdir (/\S*/io\.containerd\.runtime\.v2\.task/([^/\s]+)/([^/\s:]+)): file exists"
)
_RUNC_STATE_LEFT = "container with given ID already exists"
#: What a bundle holds before its shim starts (the shim then writes address, runtime...).
_BEFORE_SHIM = {"config.json", "log", "work", "rootfs"}
#: containerd's own clean-up takes 5 s (its cleanupTimeout) and more on a loaded host.
RECOVERY_TIMEOUT = 45.0
#: Creates refused because runc's state was left, before giving up (one clears it).
_RUNC_RETRIES = 3


def create_task(
    conn: Connection, container_id: str, mounts: Sequence[Dict[str, Any]], io: TaskIO
) -> None:
    """Tasks.Create with the streams ``io``, clearing or waiting out what an
    interrupted Create left (see above), within RECOVERY_TIMEOUT."""
    deadline = time.monotonic() + RECOVERY_TIMEOUT
    refused = 0
    while True:
        try:
            tasks.create_task(conn, container_id, mounts, **io.fields())
            return
        except AlreadyExists:
            tasks.delete_task(conn, container_id)
            tasks.create_task(conn, container_id, mounts, **io.fields())
            return
        except RemoteError as exc:
            message = str(exc)
            if _RUNC_STATE_LEFT in message:
                refused += 1
                if refused >= _RUNC_RETRIES or time.monotonic() > deadline:
                    raise _left_behind(container_id, message) from exc
            elif not _clear_bundle(message, conn.namespace or "default", container_id, deadline):
                if _BUNDLE_EXISTS.search(message):
                    raise _left_behind(container_id, message) from exc
                raise


def _clear_bundle(message: str, namespace: str, container_id: str, deadline: float) -> bool:
    """Whether the bundle named in ``message`` (this container's) is gone now: removed if
    no shim ever ran from it, else waited for until ``deadline`` (containerd's clean-up of
    an interrupted Create removes it)."""
    found = _BUNDLE_EXISTS.search(message)
    if not found or found.group(2) != namespace or found.group(3) != container_id:
        return False
    bundle = found.group(1)
    if _remove_empty_bundle(bundle):
        return True
    while os.path.lexists(bundle):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.25)
    return True


def _remove_empty_bundle(bundle: str) -> bool:
    """Remove ``bundle`` if no shim ever ran from it (only what containerd writes before
    starting one: the spec, the log FIFO, the work link and an empty rootfs/); whether it
    was removed."""
    rootfs = os.path.join(bundle, "rootfs")
    try:
        entries = set(os.listdir(bundle))
        if not entries <= _BEFORE_SHIM or ("rootfs" in entries and os.listdir(rootfs)):
            return False
        for name in entries - {"rootfs"}:
            os.unlink(os.path.join(bundle, name))
        if "rootfs" in entries:
            os.rmdir(rootfs)  # fails on a mount point: left alone
        os.rmdir(bundle)
    except OSError:
        return False
    return True


def _left_behind(container_id: str, message: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"cannot create the task of {container_id}: containerd still holds what an "
        f"interrupted task creation left ({message}) after {RECOVERY_TIMEOUT:.0f} s; run "
        "again, and if it persists restart containerd (and stop any containerd-shim "
        f"process of {container_id} still running without a task)"
    )

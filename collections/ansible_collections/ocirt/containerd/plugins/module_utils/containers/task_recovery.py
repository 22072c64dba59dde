"""Creating a task where containerd died in the middle of an earlier Create.

containerd SIGKILLed while it created a task leaves one of two things behind, and each
makes every later Create of that container fail until it is cleared (seen with 1.6):

- The shim had started: containerd reloads it at start-up and holds a task it cannot
  describe (Get answers NotFound, Create "task X: already exists"). Tasks.Delete clears it,
  bundle included; a real task (one the restart monitor started) makes Delete fail.
- The shim had not started: the bundle directory holds what containerd writes before it
  starts one (or less); its clean-up fails (``shim delete`` finds no runtime file) and
  every Create then fails with "failed to start shim: mkdir <bundle>: file exists". The
  directory is removed when nothing in it says a shim ever ran from it.
"""

from __future__ import annotations

import os
import re
from typing import Any, Dict, Sequence

from ..api import tasks
from ..transport.connection import Connection
from ..transport.errors import AlreadyExists, RemoteError

_BUNDLE_EXISTS = re.compile(
    r"mkdir (/\S*/io\.containerd\.runtime\.v2\.task/([^/\s]+)/([^/\s:]+)): file exists"
)
#: What a bundle holds before its shim starts (the shim then writes address, runtime...).
_BEFORE_SHIM = {"config.json", "log", "work", "rootfs"}


def create_task(
    conn: Connection, container_id: str, mounts: Sequence[Dict[str, Any]], log_uri: str
) -> None:
    """Tasks.Create with stdout and stderr to ``log_uri``, clearing what an interrupted
    Create left (see above) and trying once more."""
    try:
        tasks.create_task(conn, container_id, mounts, stdout=log_uri, stderr=log_uri)
        return
    except AlreadyExists:
        tasks.delete_task(conn, container_id)
    except RemoteError as exc:
        if not _remove_empty_bundle(str(exc), conn.namespace or "default", container_id):
            raise
    tasks.create_task(conn, container_id, mounts, stdout=log_uri, stderr=log_uri)


def _remove_empty_bundle(message: str, namespace: str, container_id: str) -> bool:
    """Remove the bundle directory named in ``message`` if it is this container's and no
    shim ever ran from it (only what containerd writes before starting one: the spec, the
    log FIFO, the work link and an empty rootfs/); whether it was removed."""
    found = _BUNDLE_EXISTS.search(message)
    if not found or found.group(2) != namespace or found.group(3) != container_id:
        return False
    bundle = found.group(1)
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

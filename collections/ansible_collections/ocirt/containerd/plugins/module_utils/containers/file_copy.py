"""Copying files into and out of a running container, as `docker cp` does.

The container's filesystem is reached through /proc/<init pid>/root (ocirt, the daemon and
the shim share the machine). That magic link is only the way in: a symlink found below it
would be followed by the kernel on the host's side, so every path is resolved here, one
component at a time, as the container sees it (absolute links start again at the
container's /, ``..`` stops there). A path given with more ``..`` than it has parents is
refused rather than read as /; copied trees keep their symlinks as symlinks.
"""

from __future__ import annotations

import os
import shutil
from typing import List

from ..api import tasks
from ..common.errors import FailedPrecondition, InvalidInput, OcirtError, describe_os_error
from ..transport.connection import Connection
from .record import get_container
from .state import is_up

MAX_LINKS = 40  # as the kernel's limit on symlinks followed in one lookup


def _parts(path: str) -> List[str]:
    return [p for p in path.split("/") if p not in ("", ".")]


def _refuse_escape(path: str) -> None:
    depth = 0
    for part in _parts(path):
        depth += -1 if part == ".." else 1
        if depth < 0:
            raise InvalidInput(f"{path!r} leaves the container's root directory")


def resolve_in_root(root: str, path: str) -> str:
    """The host path of the container's ``path`` (relative ones start at its /), with
    every symlink on the way followed inside ``root``; InvalidInput if ``path`` climbs
    above it."""
    _refuse_escape(path)
    todo, links = _parts(path), 0
    done: List[str] = []
    while todo:
        part = todo.pop(0)
        if part == "..":
            if done:  # at the container's /, '..' is / again, as in the container
                done.pop()
            continue
        candidate = os.path.join(root, *done, part)
        if not os.path.islink(candidate):
            done.append(part)
            continue
        links += 1
        if links > MAX_LINKS:
            raise InvalidInput(f"{path!r}: more than {MAX_LINKS} symbolic links in the way")
        target = os.readlink(candidate)
        if target.startswith("/"):
            done = []
        todo = _parts(target) + todo
    return os.path.join(root, *done)


def container_root(conn: Connection, container_id: str) -> str:
    """/proc/<pid>/root of the container's running init process."""
    get_container(conn, container_id)
    task = tasks.get_process(conn, container_id)
    if task is None or not is_up(task) or not task["pid"]:
        raise FailedPrecondition(f"container {container_id!r} is not running")
    return f"/proc/{task['pid']}/root"


def _copy(source: str, target: str) -> None:
    """A file, or a tree with its symlinks kept, to ``target`` (which must not be a
    directory already: a tree is never merged into one, where its links could be followed)."""
    try:
        if os.path.isdir(source) and not os.path.islink(source):
            if os.path.lexists(target):
                raise FailedPrecondition(f"{target} exists: copy into its parent directory")
            shutil.copytree(source, target, symlinks=True)
        else:
            shutil.copy2(source, target, follow_symlinks=False)
    except OSError as exc:
        raise OcirtError(f"copy failed: {describe_os_error(exc)}") from None


def copy_in(conn: Connection, container_id: str, source: str, path: str) -> str:
    """Copy the host's ``source`` to the container's ``path`` (into it if it is a
    directory); returns the path written, as the container names it."""
    root = container_root(conn, container_id)
    if os.path.isdir(resolve_in_root(root, path)):
        path = path.rstrip("/") + "/" + os.path.basename(os.path.normpath(source))
    target = resolve_in_root(root, path)
    _copy(source, target)
    return "/" + os.path.relpath(target, root)


def copy_out(conn: Connection, container_id: str, path: str, target: str) -> str:
    """Copy the container's ``path`` to the host's ``target`` (into it if it is a
    directory); returns the host path written."""
    source = resolve_in_root(container_root(conn, container_id), path)
    if not os.path.lexists(source):
        raise InvalidInput(f"{path!r} does not exist in container {container_id!r}")
    if os.path.isdir(target):
        target = os.path.join(target, os.path.basename(source.rstrip("/")) or "root")
    _copy(source, target)
    return target

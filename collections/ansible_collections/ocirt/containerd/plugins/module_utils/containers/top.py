"""The processes of a running container, as `docker top` shows them.

Tasks.ListPids names them (host pids, the shim asks runc); the rest comes from /proc, since
the daemon, its shims and ocirt share the machine: the command line, the parent, the state,
and the user, named as the container's own /etc/passwd names it (read through the init
process's root), else shown as its uid.
"""

from __future__ import annotations

from typing import Dict, List, Optional, TypedDict

from ..api import tasks
from ..common import procfs
from ..common.errors import FailedPrecondition, NotFound
from ..transport.connection import Connection
from .record import get_container
from .state import is_up
from .users import parse_passwd


class ContainerProcess(TypedDict):
    pid: int
    ppid: Optional[int]  # None: the process ended while being looked at
    user: str
    state: str  # R, S, D, Z, T... as /proc/<pid>/status says
    command: List[str]


def _status(pid: int) -> Dict[str, str]:
    """The ``Key: value`` lines of /proc/<pid>/status; empty if the process is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            lines = f.read().splitlines()
    except OSError:
        return {}
    return dict((k, v.strip()) for k, _, v in (line.partition(":") for line in lines))


def _user_names(root_pid: int) -> Dict[int, str]:
    try:
        with open(f"/proc/{root_pid}/root/etc/passwd", "rb") as f:
            return {uid: name for name, uid, _gid, _home in parse_passwd(f.read())}
    except OSError:
        return {}


def _describe(pid: int, names: Dict[int, str]) -> ContainerProcess:
    status = _status(pid)
    uid_field = status.get("Uid", "").split()
    uid = int(uid_field[0]) if uid_field else None  # the real uid, as ps shows it
    ppid = status.get("PPid")
    return {
        "pid": pid,
        "ppid": int(ppid) if ppid else None,
        "user": "?" if uid is None else names.get(uid, str(uid)),
        "state": (status.get("State") or "?").split()[0],
        "command": procfs.cmdline(pid),
    }


def top(conn: Connection, container_id: str) -> List[ContainerProcess]:
    """The container's processes, by pid."""
    get_container(conn, container_id)
    task = tasks.get_process(conn, container_id)
    if task is None or not is_up(task):
        raise FailedPrecondition(f"container {container_id!r} is not running")
    try:
        pids = sorted(tasks.list_pids(conn, container_id))
    except NotFound:
        raise FailedPrecondition(f"container {container_id!r} is not running") from None
    names = _user_names(task["pid"])
    return [_describe(pid, names) for pid in pids]

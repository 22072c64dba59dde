"""A client connected to a container's process: a new task (``run -it``), the running task
(``attach``), or an exec'd process (``exec.open_exec``), and what it does to that process.

The copying itself is the client's (the CLI's terminal.py): this module makes and finds the
FIFOs (stdio.py), registers Wait before Start, and sends the calls a session needs: the
console size (Tasks.ResizePty), end of input (Tasks.CloseIO), a forwarded signal.
"""

from __future__ import annotations

import contextlib

from ..api import tasks
from ..common.errors import FailedPrecondition, OcirtError
from ..transport.connection import Connection
from . import lifecycle, stdio
from .record import get_container
from .stdio import Session


def start_attached(conn: Connection, container_id: str, stdin: bool) -> Session:
    """Start the container's task with FIFOs this client copies: stdin if asked (always
    for a terminal, so that a later ``attach`` can type), a terminal if its spec has one."""
    container = get_container(conn, container_id)
    terminal = stdio.spec_terminal(container)
    io = stdio.make_fifos(container_id, stdin=stdin or terminal, terminal=terminal)
    streams = stdio.open_streams(io)
    try:
        waiter = lifecycle.start(conn, container_id, wait=True, io=io)["waiter"]
        if waiter is None:
            raise FailedPrecondition(f"container {container_id!r} is running already")
    except BaseException:
        streams.close()
        stdio.remove_fifos(io)
        raise
    return Session(container_id, "", io, streams, waiter)


def attach(conn: Connection, container_id: str) -> Session:
    """Connect to the running task's FIFOs (the paths Tasks.Get reports)."""
    get_container(conn, container_id)
    process = tasks.get_process(conn, container_id)
    if process is None or process["status"] != tasks.STATUS_RUNNING:
        raise FailedPrecondition(f"container {container_id!r} is not running")
    io = stdio.attachable(container_id, process)
    streams = stdio.open_streams(io)
    try:
        waiter = tasks.wait(conn, container_id)
    except BaseException:
        streams.close()
        raise
    return Session(container_id, "", io, streams, waiter)


def resize(conn: Connection, session: Session, columns: int, lines: int) -> None:
    tasks.resize_pty(conn, session.container_id, columns, lines, exec_id=session.exec_id)


def close_stdin(conn: Connection, session: Session) -> None:
    """End of input: close this client's writer, then the shim's (CloseIO), as ctr's
    ``stdinCloser`` does; only then does the process read end of file."""
    session.streams.close_stdin()
    tasks.close_io(conn, session.container_id, exec_id=session.exec_id)


def forward_signal(conn: Connection, session: Session, signum: int) -> None:
    with contextlib.suppress(OcirtError):  # it may have exited meanwhile
        tasks.kill(conn, session.container_id, signum, exec_id=session.exec_id)


def leave(session: Session, exited: bool) -> None:
    """Close this client's ends; the FIFOs go too once the process has exited (a detached
    client leaves them for the next ``attach``)."""
    session.streams.close()
    session.waiter.cancel()
    if exited:
        stdio.remove_fifos(session.io)

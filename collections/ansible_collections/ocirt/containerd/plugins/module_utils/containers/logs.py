"""A container's output: the log file the shim appends stdout and stderr to.

containerd's ``file://`` logging writes raw bytes, without timestamps or stream tags, so
``since`` a point in time cannot be answered from the file. What is offered instead is a
byte offset: every read returns the offset it stopped at, and a later read (or follow) from
that offset returns exactly what came after. A timestamped log needs a logging binary
(``binary://`` URI) and is the seam for that.
"""

from __future__ import annotations

import os
import time
from typing import Any, Callable, Dict, Iterator, Optional

from ..api import tasks
from ..common.errors import InvalidInput, OcirtError
from ..transport.connection import Connection
from . import labels as L
from .record import get_container

CHUNK = 64 * 1024


def log_path(conn: Connection, container_id: str) -> str:
    """The container's log file as stored on its record ('' if it has none: not ocirt's)."""
    return (get_container(conn, container_id).get("labels") or {}).get(L.LOG_PATH, "")


def _tail_offset(f: Any, size: int, lines: int) -> int:
    """Offset where the last ``lines`` lines of the file start."""
    if lines <= 0:
        return size
    pos = size
    found = 0
    end = size
    # a final newline terminates the last line; it does not start another one
    f.seek(max(size - 1, 0))
    if size and f.read(1) == b"\n":
        end = size - 1
    pos = end
    while pos > 0:
        step = min(CHUNK, pos)
        pos -= step
        f.seek(pos)
        block = f.read(step)
        idx = len(block)
        while True:
            idx = block.rfind(b"\n", 0, idx)
            if idx < 0:
                break
            found += 1
            if found == lines:
                return pos + idx + 1
    return 0


def read_log(
    path: str, tail: Optional[int] = None, offset: Optional[int] = None, since: Any = None
) -> Dict[str, Any]:
    """{'data': bytes, 'offset': end offset} of the whole log, its last ``tail`` lines, or
    what follows ``offset``. A missing file is an empty log (nothing was written yet)."""
    if since is not None:
        raise InvalidInput(
            "since: containerd's file logging stores no timestamps, so logs cannot be cut "
            "at a time; use tail, or the offset a previous read returned"
        )
    if not path:
        raise InvalidInput("this container has no log file (it was not made by ocirt)")
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return {"data": b"", "offset": 0}
    with f:
        size = os.fstat(f.fileno()).st_size
        if offset is not None:
            start = min(max(offset, 0), size)
            if offset > size:  # the file was truncated or replaced: start over
                start = 0
        elif tail is not None:
            start = _tail_offset(f, size, tail)
        else:
            start = 0
        f.seek(start)
        data = f.read(size - start)
    return {"data": data, "offset": start + len(data)}


def follow_log(
    conn: Connection,
    container_id: str,
    tail: Optional[int] = None,
    offset: Optional[int] = None,
    interval: float = 0.25,
    should_stop: Optional[Callable[[], bool]] = None,
) -> Iterator[bytes]:
    """Yield new output as it is written; ends once the task is no longer running (after a
    last read), or when ``should_stop()`` says so."""
    path = log_path(conn, container_id)
    first = read_log(path, tail=tail, offset=offset)
    if first["data"]:
        yield first["data"]
    pos = first["offset"]
    while True:
        try:
            task = tasks.get_process(conn, container_id)
        except OcirtError:
            task = None
        running = task is not None and task["status"] in (
            tasks.STATUS_RUNNING,
            tasks.STATUS_PAUSED,
            tasks.STATUS_PAUSING,
        )
        chunk = read_log(path, offset=pos)
        pos = chunk["offset"]
        if chunk["data"]:
            yield chunk["data"]
        if not running or (should_stop is not None and should_stop()):
            return
        time.sleep(interval)

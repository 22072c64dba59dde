"""A container's output, as its log files hold it: the one reader of the library.

Two formats, told apart by the file's name (the container's ``io.ocirt/log-path`` label):

- ``<id>-json.log``, written by ocirt's log driver (``logs/driver.py``, the ``json-file``
  log driver): JSON lines with the stream and a time, rotated to ``<id>-json.log.1`` ...
  So logs can be cut at a time (``since``/``until``), shown with timestamps, kept apart by
  stream, and followed across a rotation (the follower keeps the file it reads open; once the
  name points at a new file it reads the old one to its end, then goes on with the next).
- ``<id>.log``, containerd's ``file://`` logging (the ``file`` driver, and every container
  made before the driver existed): raw bytes, stdout and stderr mixed, no times.

Every read returns entries (``LogEntry``): stream, bytes and time (the last two empty for a
plain file). A follow ends, as docker's, once the container's task is no longer running.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import IO, Any, Callable, Dict, Iterator, List, Optional, Tuple

from ..api import tasks
from ..common.errors import InvalidInput, OcirtError
from ..logs import driver
from ..logs.times import parse_time
from ..transport.connection import Connection
from . import labels as L
from .record import get_container

CHUNK = 64 * 1024
JSON_SUFFIX = "-json.log"
PLAIN_SUFFIX = ".log"
#: after the task ended, how long the follower still reads what the driver writes last
SETTLE = 0.3
_LIVE = (tasks.STATUS_RUNNING, tasks.STATUS_PAUSED, tasks.STATUS_PAUSING)


@dataclass(frozen=True)
class LogEntry:
    stream: str  # "stdout", "stderr"; "" in a plain file (both streams mixed)
    data: bytes
    time: str = ""  # RFC 3339 UTC with nanoseconds; "" in a plain file


@dataclass(frozen=True)
class Window:
    """Which entries a read returns: the last ``tail`` of those between since and until
    (Unix nanoseconds, both included)."""

    tail: Optional[int] = None
    since: Optional[int] = None
    until: Optional[int] = None

    def bounds(self) -> Tuple[str, str]:
        low = driver.timestamp(self.since) if self.since is not None else ""
        high = driver.timestamp(self.until) if self.until is not None else "~"
        return low, high

    @property
    def timed(self) -> bool:
        return self.since is not None or self.until is not None


def is_json_log(path: str) -> bool:
    return path.endswith(JSON_SUFFIX)


def log_path(conn: Connection, container_id: str) -> str:
    """The container's log file as stored on its record ('' if it has none)."""
    return (get_container(conn, container_id).get("labels") or {}).get(L.LOG_PATH, "")


def log_files(path: str) -> List[str]:
    """The files of a log, oldest first: the rotated ones, then the live one."""
    older = []
    index = 1
    while os.path.exists(driver.rotated(path, index)):
        older.append(driver.rotated(path, index))
        index += 1
    return [*older[::-1], path]


def remove_log_files(path: str) -> None:
    """Remove a log and its rotated files (what is missing is no error)."""
    for name in log_files(path):
        try:
            os.unlink(name)
        except FileNotFoundError:
            pass


# --- reading whole files ------------------------------------------------------------------


def _tail_offset(f: IO[bytes], size: int, lines: int) -> int:
    """Offset where the last ``lines`` lines of the file start."""
    if lines <= 0:
        return size
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


def _records(data: bytes) -> List[LogEntry]:
    """The records of whole JSON lines (a line that is not one is skipped)."""
    out = []
    for line in data.splitlines():
        decoded = driver.decode(line)
        if decoded is not None:
            out.append(LogEntry(*decoded))
    return out


def _complete(data: bytes) -> bytes:
    """Up to the last newline: a record still being written is read next time."""
    return data[: data.rfind(b"\n") + 1]


def _read_file(path: str, start: int = 0, tail: Optional[int] = None) -> Tuple[bytes, int]:
    """(bytes, end offset) of a file from ``start`` or of its last ``tail`` lines."""
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return b"", 0
    with f:
        size = os.fstat(f.fileno()).st_size
        begin = _tail_offset(f, size, tail) if tail is not None else min(max(start, 0), size)
        if start > size:  # truncated or replaced: start over
            begin = 0
        f.seek(begin)
        data = f.read(size - begin)
    return data, begin + len(data)


def _select(entries: List[LogEntry], window: Window) -> List[LogEntry]:
    if window.timed:
        low, high = window.bounds()
        entries = [e for e in entries if low <= e.time <= high]
    if window.tail is not None:
        entries = entries[max(len(entries) - window.tail, 0) :] if window.tail > 0 else []
    return entries


def _older_entries(path: str, skip_inode: int, window: Window, have: int) -> List[LogEntry]:
    """The records of the rotated files, as many as ``window`` still needs."""
    older = [n for n in log_files(path)[:-1] if _inode(n) != skip_inode]
    if window.tail is None or window.timed:
        return [e for name in older for e in _records(_complete(_read_file(name)[0]))]
    entries: List[LogEntry] = []
    for name in reversed(older):
        need = window.tail - have - len(entries)
        if need <= 0:
            break
        entries = _records(_complete(_read_file(name, tail=need)[0]))[-need:] + entries
    return entries


def _first_read(follower: _Follower, window: Window) -> List[LogEntry]:
    """What ``window`` selects, read through the follower's open file for the live part
    (so that following goes on exactly where this read stopped)."""
    if window.timed and not follower.json:
        raise InvalidInput(
            "since/until: this container logs through containerd's plain file, which stores "
            "no timestamps (recreate it with log_driver json-file); use tail"
        )
    if window.tail is not None and not window.timed:
        follower.seek_tail(window.tail)
    live = follower.read()
    if not follower.json:
        return live
    if window.tail is not None and not window.timed and len(live) >= window.tail:
        return live[len(live) - window.tail :]
    older = _older_entries(follower.path, follower.inode(), window, len(live))
    return _select(older + live, window)


def _refuse_no_log(path: str) -> None:
    if not path:
        raise InvalidInput("this container keeps no log (log_driver none, or not made by ocirt)")


def read_entries(path: str, window: Window = Window()) -> List[LogEntry]:
    """The entries of a container's log (a missing file is an empty log)."""
    _refuse_no_log(path)
    follower = _Follower(path)
    try:
        return _first_read(follower, window)
    finally:
        follower.close()


def read_log(
    path: str, tail: Optional[int] = None, offset: Optional[int] = None, since: Any = None
) -> Dict[str, Any]:
    """{'data': the output's bytes, 'offset': where the live file was read to}: the whole
    log, its last ``tail`` lines (records), those since a time, or what follows ``offset``
    (from a previous read)."""
    _refuse_no_log(path)
    if offset is not None:
        data, end = _read_file(path, start=offset)
        if not is_json_log(path):
            return {"data": data, "offset": end}
        whole = _complete(data)
        return {
            "data": b"".join(e.data for e in _records(whole)),
            "offset": end - len(data) + len(whole),
        }
    window = Window(tail=tail, since=None if since is None else parse_time(since, "since"))
    follower = _Follower(path)
    try:
        entries = _first_read(follower, window)
        return {"data": b"".join(e.data for e in entries), "offset": follower.position()}
    finally:
        follower.close()


# --- following ------------------------------------------------------------------------------


class _Follower:
    """The file being followed: kept open, switched when the log is rotated."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.json = is_json_log(path)
        self.file: Optional[IO[bytes]] = None
        self.pending = b""
        self._open(path)

    def _open(self, name: str) -> None:
        try:
            self.file = open(name, "rb")
        except FileNotFoundError:
            self.file = None
        self.pending = b""

    def seek_tail(self, lines: int) -> None:
        if self.file is not None:
            size = os.fstat(self.file.fileno()).st_size
            self.file.seek(_tail_offset(self.file, size, lines))

    def inode(self) -> int:
        return os.fstat(self.file.fileno()).st_ino if self.file is not None else -1

    def position(self) -> int:
        return self.file.tell() - len(self.pending) if self.file is not None else 0

    def read(self) -> List[LogEntry]:
        if self.file is None:
            self._open(self.path)
            if self.file is None:
                return []
        if os.fstat(self.file.fileno()).st_size < self.file.tell():  # truncated
            self.file.seek(0)
            self.pending = b""
        data = self.file.read()
        if not data:
            return []
        if not self.json:
            return [LogEntry("", data)]
        self.pending += data
        whole = _complete(self.pending)
        self.pending = self.pending[len(whole) :]
        return _records(whole)

    def rotated(self) -> bool:
        """Whether the name now points at a newer file (then, move on to the next file)."""
        if self.file is None or not self.json:
            return False
        try:
            live = os.stat(self.path).st_ino
        except FileNotFoundError:
            return False  # between the driver's rename and its new file
        return live != os.fstat(self.file.fileno()).st_ino

    def next_file(self) -> None:
        """Open the file that follows the one read to its end."""
        if self.file is None:
            return
        inode = os.fstat(self.file.fileno()).st_ino
        self.file.close()
        files = log_files(self.path)
        inodes = [_inode(name) for name in files]
        at = inodes.index(inode) + 1 if inode in inodes else 0
        self._open(files[min(at, len(files) - 1)])

    def close(self) -> None:
        if self.file is not None:
            self.file.close()


def _inode(name: str) -> int:
    try:
        return os.stat(name).st_ino
    except FileNotFoundError:
        return -1


def _task_running(conn: Connection, container_id: str) -> bool:
    try:
        task = tasks.get_process(conn, container_id)
    except OcirtError:
        return False
    return task is not None and task["status"] in _LIVE


def _settled(follower: _Follower) -> Iterator[LogEntry]:
    """What the driver still writes after the task ended (bounded)."""
    deadline = time.monotonic() + SETTLE
    while time.monotonic() < deadline:
        yield from follower.read()
        time.sleep(SETTLE / 5)
    yield from follower.read()


def _followed(
    follower: _Follower, running: Callable[[], bool], interval: float, until: str
) -> Iterator[LogEntry]:
    while True:
        entries = follower.read()
        for entry in entries:
            if entry.time and entry.time > until:
                return
            yield entry
        if entries:
            continue
        if follower.rotated():
            yield from follower.read()
            follower.next_file()
            continue
        if not running() or (until != "~" and driver.timestamp(time.time_ns()) > until):
            yield from _settled(follower)
            return
        time.sleep(interval)


def follow_entries(
    conn: Connection,
    container_id: str,
    window: Window = Window(),
    interval: float = 0.25,
    should_stop: Optional[Callable[[], bool]] = None,
) -> Iterator[LogEntry]:
    """The entries ``window`` selects, then new ones as they are written, until the task is
    no longer running (after a last read), or ``should_stop()`` says so."""
    path = log_path(conn, container_id)
    _refuse_no_log(path)

    def running() -> bool:
        stop = should_stop is not None and should_stop()
        return not stop and _task_running(conn, container_id)

    follower = _Follower(path)
    try:
        yield from _first_read(follower, window)
        yield from _followed(follower, running, interval, window.bounds()[1])
    finally:
        follower.close()


def follow_log(
    conn: Connection,
    container_id: str,
    tail: Optional[int] = None,
    offset: Optional[int] = None,
    interval: float = 0.25,
    should_stop: Optional[Callable[[], bool]] = None,
) -> Iterator[bytes]:
    """The output's bytes (both streams) as ``follow_entries`` gives them (none, until the
    task ends, for a container that keeps no log: ``run`` in the foreground waits so)."""
    if offset is not None:
        raise InvalidInput("offset: follow from a read's offset is no longer offered; use tail")
    if not log_path(conn, container_id):  # log_driver none: nothing to show, wait for the end
        while _task_running(conn, container_id) and not (should_stop and should_stop()):
            time.sleep(interval)
        return
    window = Window(tail=tail)
    for entry in follow_entries(conn, container_id, window, interval, should_stop):
        yield entry.data

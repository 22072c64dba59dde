"""ocirt's log driver: the program containerd's shim starts for a ``binary://`` log URI.

The protocol is the shim's (``NewBinaryIO`` in containerd's
``cmd/containerd-shim-runc-v2/process/io.go``, ``pkg/process/io.go`` in 1.6; the same in 1.6,
1.7 and 2.x): the driver is started with the container's stdout on fd 3 and its stderr on
fd 4 (the read ends of two pipes), and the write end of a "ready" pipe on fd 5. The shim
waits until it reads a byte or end-of-file there before it starts the process, so the driver
opens its log file first, then writes one byte and closes fd 5 (a byte is what 2.2's
``binary-v2`` scheme asks; EOF alone satisfies ``binary``). The environment holds only
``CONTAINER_ID`` and ``CONTAINER_NAMESPACE``, no PATH. Each query parameter of the URI
becomes two arguments, key then value, in Go's map order (random), so every argument here is
a ``--name value`` pair. When the task goes, the shim closes the pipes and sends SIGTERM
(waiting 12 s before SIGKILL): the driver drains what is left and exits. For a terminal
the shim copies the console to fd 3 and never closes the writer of fd 4, so the end of
stdout ends the driver after a short grace for stderr.

The file is docker's json-file format: one JSON object per line, ``{"log": text, "stream":
"stdout"|"stderr", "time": RFC 3339 with nanoseconds, UTC}``; ``log`` keeps the line's
newline, a line longer than 16 KiB (docker's limit) or one cut by the end of the stream is
written in parts without it. Invalid UTF-8 becomes U+FFFD, as docker does. With
``--max-size`` the file is rotated before a record would make it larger (``log`` ->
``log.1`` -> ... -> ``log.N-1``, as docker renames them, ``--max-files`` files in all; one
file means it is truncated). A write that fails (disk full) drops that record and is tried
again with the next one: the container is never blocked or killed by its log.

This module imports only the standard library and nothing of ocirt: ``install.py`` writes
it, behind a ``#!`` line naming the node's python3, to an executable file the URI names, and
the reader (``containers/logs.py``) imports its format functions, so writer and reader share
one definition. Keep its arguments compatible: URIs stored on existing containers (the
restart monitor's label) name the installed file.
"""

from __future__ import annotations

import argparse
import errno
import json
import os
import select
import signal
import sys
import time
from typing import Dict, List, Optional, Sequence, Tuple

STDOUT_FD, STDERR_FD, READY_FD = 3, 4, 5
STREAMS = {STDOUT_FD: "stdout", STDERR_FD: "stderr"}
#: docker's limit of one log message; a longer line is written in parts
PARTIAL_LIMIT = 16 * 1024
READ_SIZE = 64 * 1024
#: how long stderr may still deliver once stdout ended (a terminal's never ends)
STDERR_GRACE = 0.5
LOG_MODE = 0o640


# --- the format (the reader imports these) --------------------------------------------------


def timestamp(ns: int) -> str:
    """RFC 3339 in UTC with all nine digits of nanoseconds (sortable as text)."""
    seconds, fraction = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{fraction:09d}Z"


def encode(stream: str, data: bytes, ns: int) -> bytes:
    """One record: a JSON line."""
    text = data.decode("utf-8", "replace")
    record = {"log": text, "stream": stream, "time": timestamp(ns)}
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> Optional[Tuple[str, bytes, str]]:
    """(stream, data, time) of a record; None for a line that is not one (a torn write)."""
    try:
        record = json.loads(line)
        return str(record["stream"]), str(record["log"]).encode(), str(record["time"])
    except (ValueError, KeyError, TypeError):
        return None


def rotated(path: str, index: int) -> str:
    """The name of the ``index``-th older file (0: the live one)."""
    return path if index == 0 else f"{path}.{index}"


# --- the file ----------------------------------------------------------------------------------


class LogFile:
    """The live log file, rotated by size; failures drop records, never the driver."""

    def __init__(self, path: str, max_size: int, max_files: int) -> None:
        self.path = path
        self.max_size = max_size
        self.max_files = max(max_files, 1)
        self.fd: Optional[int] = None

    def open(self) -> None:
        try:
            os.makedirs(os.path.dirname(self.path), mode=0o755, exist_ok=True)
            flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC
            self.fd = os.open(self.path, flags, LOG_MODE)
        except OSError:
            self.fd = None

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def rotate(self) -> None:
        self.close()
        try:
            if self.max_files == 1:
                os.truncate(self.path, 0)
            else:
                for index in range(self.max_files - 1, 0, -1):
                    older = rotated(self.path, index - 1)
                    if os.path.exists(older):
                        os.rename(older, rotated(self.path, index))
        except OSError:
            pass
        self.open()

    def write(self, record: bytes) -> None:
        if self.fd is None:
            self.open()
        if self.fd is None:
            return
        try:
            size = os.fstat(self.fd).st_size
            if self.max_size and size and size + len(record) > self.max_size:
                self.rotate()
                if self.fd is None:
                    return
            view = memoryview(record)
            while view:
                view = view[os.write(self.fd, view) :]
        except OSError:
            self.close()  # opened again for the next record


# --- the streams -------------------------------------------------------------------------------


class Stream:
    """One pipe of the container: bytes in, records of whole lines (or parts) out."""

    def __init__(self, fd: int, log: LogFile) -> None:
        self.fd = fd
        self.name = STREAMS[fd]
        self.log = log
        self.pending = b""

    def feed(self, data: bytes) -> None:
        now = time.time_ns()
        self.pending += data
        while True:
            cut = self.pending.find(b"\n") + 1
            if not cut or cut > PARTIAL_LIMIT:
                if len(self.pending) < PARTIAL_LIMIT:
                    return
                cut = _partial_cut(self.pending)
            self.log.write(encode(self.name, self.pending[:cut], now))
            self.pending = self.pending[cut:]

    def flush(self) -> None:
        if self.pending:
            self.log.write(encode(self.name, self.pending, time.time_ns()))
            self.pending = b""

    def read(self) -> bool:
        """Copy what the pipe has; False at its end."""
        try:
            data = os.read(self.fd, READ_SIZE)
        except BlockingIOError:
            return True
        except OSError as exc:
            if exc.errno == errno.EINTR:
                return True
            data = b""
        if not data:
            self.flush()
            return False
        self.feed(data)
        return True


def _partial_cut(data: bytes) -> int:
    """Where to cut a line at the limit without splitting a UTF-8 sequence."""
    cut = PARTIAL_LIMIT
    while cut > PARTIAL_LIMIT - 4 and (data[cut] & 0xC0) == 0x80:
        cut -= 1
    return cut


def _signal_ready() -> None:
    try:
        os.write(READY_FD, b"1")
        os.close(READY_FD)
    except OSError:
        pass  # not started by a shim (a test, a person)


def _copy(streams: Dict[int, Stream], wakeup: int) -> bool:
    """Copy until both pipes end (stderr gets a grace once stdout ended); True when SIGTERM
    came first. A signal only wakes the loop, so no record is ever cut by it."""
    open_fds: List[int] = list(streams)
    while open_fds:
        grace = STDOUT_FD not in open_fds
        ready, _, _ = select.select([*open_fds, wakeup], [], [], STDERR_GRACE if grace else None)
        if wakeup in ready:
            return True
        if not ready and grace:
            return False
        for fd in ready:
            if not streams[fd].read():
                open_fds.remove(fd)
    return False


def _drain(streams: Dict[int, Stream]) -> None:
    """After SIGTERM: what the pipes still hold, without waiting for more."""
    for stream in streams.values():
        try:
            os.set_blocking(stream.fd, False)
            while stream.read():
                ready, _, _ = select.select([stream.fd], [], [], 0)
                if not ready:
                    break
        except OSError:
            pass
        stream.flush()


def _wakeup_on_sigterm() -> int:
    """The read end of a pipe that SIGTERM writes to (signal.set_wakeup_fd)."""
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    signal.set_wakeup_fd(write_end)
    signal.signal(signal.SIGTERM, lambda signum, frame: None)
    signal.signal(signal.SIGPIPE, signal.SIG_IGN)
    return read_end


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ocirt-log-driver", add_help=False)
    parser.add_argument("--path", required=True)
    parser.add_argument("--max-size", type=int, default=0)
    parser.add_argument("--max-files", type=int, default=1)
    args, _unknown = parser.parse_known_args(argv)  # a newer ocirt's arguments: ignored
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    log = LogFile(args.path, args.max_size, args.max_files)
    log.open()
    streams = {fd: Stream(fd, log) for fd in STREAMS}
    wakeup = _wakeup_on_sigterm()
    _signal_ready()
    if _copy(streams, wakeup):
        _drain(streams)
    for stream in streams.values():
        stream.flush()
    log.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Where a process's standard streams go: the container's log file, or FIFOs a client copies.

A task without a terminal writes to its log file (``file://`` URI, appended by the shim). A
terminal process, or one whose input a client gives (``run -i``, ``exec -i``), gets FIFOs in
a private directory, as containerd's ``cio.NewFIFOSetInDir``: ``stdin``, ``stdout`` and,
without a terminal, ``stderr`` (a pty merges the two output streams, so the shim ignores a
stderr path then). The client opens its ends before Create or Exec: the read ends
non-blocking (Linux lets that succeed with no writer yet), stdin ``O_RDWR`` (an open that
Linux never blocks), non-blocking too so that a process not reading its input cannot
stall the client. The shim keeps a writer of its own on stdin (CloseIO closes it) and a
reader of its own on a terminal's stdout, which is what lets a client detach and another
attach later through the paths Tasks.Get reports.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from typing import Any, Dict, Iterator, Mapping, Optional

from ..common.errors import FailedPrecondition
from ..logs.install import ensure_installed
from ..transport.connection import PendingCall
from . import labels as L
from .record import labels_of

#: Parent of the FIFO directories (a tmpfs: nothing outlives a reboot); a user who cannot
#: write there gets the system's temporary directory.
FIFO_ROOT = "/run/ocirt/fifo"
_PREFIX = "ocirt-"


@dataclass(frozen=True)
class TaskIO:
    """The stdio fields of CreateTaskRequest and ExecProcessRequest."""

    stdin: str = ""
    stdout: str = ""
    stderr: str = ""
    terminal: bool = False

    @classmethod
    def log(cls, uri: str) -> TaskIO:
        """stdout and stderr to one URI (``file://`` path, ``binary://`` driver), no stdin."""
        return cls(stdout=uri, stderr=uri)

    def fields(self) -> Dict[str, Any]:
        return {
            "stdin": self.stdin,
            "stdout": self.stdout,
            "stderr": self.stderr,
            "terminal": self.terminal,
        }


def _fifo_dir(name: str) -> str:
    try:
        os.makedirs(FIFO_ROOT, mode=0o700, exist_ok=True)
        return tempfile.mkdtemp(prefix=f"{_PREFIX}{name}-", dir=FIFO_ROOT)
    except PermissionError:
        return tempfile.mkdtemp(prefix=f"{_PREFIX}{name}-")


def make_fifos(name: str, stdin: bool, terminal: bool) -> TaskIO:
    """New FIFOs (mode 0600) in a new private directory named after ``name``."""
    directory = _fifo_dir(name)
    wanted = {"stdin": stdin, "stdout": True, "stderr": not terminal}
    paths = {key: os.path.join(directory, key) if on else "" for key, on in wanted.items()}
    for path in paths.values():
        if path:
            os.mkfifo(path, 0o600)
    return TaskIO(paths["stdin"], paths["stdout"], paths["stderr"], terminal)


def remove_fifos(io: TaskIO) -> None:
    """Remove the directory of FIFOs made by ``make_fifos`` (nothing else is touched)."""
    for path in (io.stdout, io.stdin, io.stderr):
        directory = os.path.dirname(path) if path and "://" not in path else ""
        if os.path.basename(directory).startswith(_PREFIX):
            shutil.rmtree(directory, ignore_errors=True)
            return


def spec_terminal(container: Mapping[str, Any]) -> bool:
    """Whether the container's OCI spec asks for a terminal (``process.terminal``)."""
    spec = json.loads(bytes((container.get("spec") or {}).get("value") or b"{}"))
    return bool((spec.get("process") or {}).get("terminal"))


def task_io(container: Mapping[str, Any]) -> TaskIO:
    """The streams of a task started without a client: FIFOs for a terminal (the shim
    keeps them open until ``ocirt attach``), else the log: the URI the container was made
    with (the log driver's ``binary://`` one is put back first if it went missing), or, on a
    container made before there was one, ``file://`` and its log path."""
    if spec_terminal(container):
        return make_fifos(container["id"], stdin=True, terminal=True)
    labels = labels_of(container)
    if L.LOG_URI in labels:
        uri = labels[L.LOG_URI]
        if not uri:
            return TaskIO()  # log_driver none
        ensure_installed(uri)
        return TaskIO.log(uri)
    log_path = labels.get(L.LOG_PATH, "")
    if not log_path:
        return TaskIO()
    os.makedirs(os.path.dirname(log_path), mode=0o755, exist_ok=True)
    return TaskIO.log("file://" + log_path)


def _is_fifo_path(path: str) -> bool:
    return bool(path) and "://" not in path


def process_io(process: Mapping[str, Any]) -> TaskIO:
    """The streams a process (Tasks.Get) was created with."""
    return TaskIO(process["stdin"], process["stdout"], process["stderr"], process["terminal"])


def attachable(container_id: str, process: Mapping[str, Any]) -> TaskIO:
    """The FIFOs of a running process (Tasks.Get), refused when it writes to a log."""
    io = process_io(process)
    if not _is_fifo_path(io.stdout) or not os.path.exists(io.stdout):
        raise FailedPrecondition(
            f"container {container_id!r} has no terminal or input to attach to (its output "
            "goes to its log: `ocirt logs -f` follows it)"
        )
    return io


@dataclass
class Streams:
    """The client's ends of a process's FIFOs (None where the process has none)."""

    stdin: Optional[int]
    stdout: Optional[int]
    stderr: Optional[int]

    def close_stdin(self) -> None:
        if self.stdin is not None:
            os.close(self.stdin)
            self.stdin = None

    def close(self) -> None:
        self.close_stdin()
        for fd in (self.stdout, self.stderr):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.stdout = self.stderr = None


def open_streams(io: TaskIO) -> Streams:
    """Open the client's ends without blocking, before the shim opens its own."""
    streams = Streams(None, None, None)
    try:
        for attr in ("stdout", "stderr"):
            path = getattr(io, attr)
            if _is_fifo_path(path):
                setattr(streams, attr, os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        if _is_fifo_path(io.stdin):
            streams.stdin = os.open(io.stdin, os.O_RDWR | os.O_NONBLOCK)
    except BaseException:
        streams.close()
        raise
    return streams


@contextlib.contextmanager
def held_open(io: TaskIO) -> Iterator[Streams]:
    """Client ends open while the shim opens its own: its blocking open of a terminal's
    stdout waits for a reader (a task started with nobody attached still gets one)."""
    streams = open_streams(io)
    try:
        yield streams
    finally:
        streams.close()


@dataclass
class Session:
    """A process whose streams a client copies: which one, its FIFOs and its Wait."""

    container_id: str
    exec_id: str  # "" for the task's init process
    io: TaskIO
    streams: Streams
    waiter: PendingCall

    @property
    def terminal(self) -> bool:
        return self.io.terminal

"""Run a command in a running container and collect its output, exit code, within a timeout.

Output comes through FIFOs made here: their read ends are opened (non-blocking) before
Tasks.Exec so the shim, which opens the write ends, never blocks; Wait is registered before
Start so a fast process cannot exit unseen.
"""

from __future__ import annotations

import contextlib
import copy
import errno
import json
import os
import secrets
import select
import shutil
import tempfile
import time
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, TypedDict

from ..api import snapshots, tasks
from ..common.errors import InvalidInput, NotFound, OcirtError, Timeout
from ..transport.connection import Connection, PendingCall
from . import rootfs, stdio
from .record import get_container
from .stdio import Session
from .users import resolve_user

MAX_OUTPUT = 16 * 1024 * 1024  # per stream; more is cut (and reported)
DRAIN_TIMEOUT = 5.0


class ExecFailed(OcirtError):
    """The runtime could not start the command (missing binary, bad user, ...)."""


class ExecTimeout(Timeout):
    """The command ran longer than allowed; it was killed. Partial output is attached."""

    def __init__(self, message: str, stdout: bytes, stderr: bytes) -> None:
        super().__init__(message)
        self.stdout = stdout
        self.stderr = stderr


def _process_spec(
    conn: Connection,
    container: Mapping[str, Any],
    command: Sequence[str],
    env: Optional[Mapping[str, str]],
    user: Optional[str],
    workdir: Optional[str],
    terminal: bool = False,
) -> Dict[str, Any]:
    """The container's own process spec with ``command`` and these settings (as ctr copies
    ``spec.Process``); a terminal gets ``TERM=xterm`` unless the container sets one."""
    spec = json.loads(bytes((container.get("spec") or {}).get("value") or b"{}"))
    proc = copy.deepcopy(spec.get("process") or {})
    proc["args"] = list(command)
    proc["terminal"] = terminal
    proc.pop("consoleSize", None)
    if terminal and not any(e.startswith("TERM=") for e in proc.get("env") or []):
        proc["env"] = [*(proc.get("env") or []), "TERM=xterm"]
    if env:
        current = [e for e in proc.get("env") or [] if e.partition("=")[0] not in env]
        proc["env"] = current + [f"{k}={v}" for k, v in sorted(env.items())]
    if workdir:
        proc["cwd"] = workdir
    if user:
        mounts = snapshots.mounts(conn, container["snapshotter"], container["snapshot_key"])
        dirs = rootfs.layer_dirs(mounts) or []
        who = resolve_user(
            user,
            rootfs.read_from_dirs(dirs, "/etc/passwd"),
            rootfs.read_from_dirs(dirs, "/etc/group"),
        )
        proc["user"] = {"uid": who["uid"], "gid": who["gid"]}
        if who["additional_gids"]:
            proc["user"]["additionalGids"] = who["additional_gids"]
        proc["env"] = [e for e in proc.get("env") or [] if not e.startswith("HOME=")] + [
            f"HOME={who['home'] or '/'}"
        ]
    return proc


def _read_available(fd: int, sink: bytearray) -> bool:
    """Read what is there; False at end of file."""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError as exc:
            if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                return True
            raise
        if not chunk:
            return False
        if len(sink) < MAX_OUTPUT:
            sink += chunk[: MAX_OUTPUT - len(sink)]


def _check_command(command: Sequence[str]) -> None:
    if not command or isinstance(command, str):
        raise InvalidInput("command: expected a non-empty list of strings")


class ExecResult(TypedDict):
    rc: int
    stdout: bytes
    stderr: bytes


def _running_container(conn: Connection, container_id: str) -> Dict[str, Any]:
    container = get_container(conn, container_id)
    task = tasks.get_process(conn, container_id)
    if task is None or task["status"] != tasks.STATUS_RUNNING:
        raise OcirtError(f"container {container_id!r} is not running: cannot exec into it")
    return container


@contextlib.contextmanager
def _output_fifos() -> Iterator[Tuple[List[str], List[int]]]:
    """stdout and stderr FIFOs, their read ends open before the shim opens the write ends."""
    tmp = tempfile.mkdtemp(prefix="ocirt-exec-")
    fds: List[int] = []
    try:
        names = [os.path.join(tmp, n) for n in ("stdout", "stderr")]
        for name in names:
            os.mkfifo(name, 0o600)
            fds.append(os.open(name, os.O_RDONLY | os.O_NONBLOCK))
        yield names, fds
    finally:
        for fd in fds:
            os.close(fd)
        shutil.rmtree(tmp, ignore_errors=True)


def _new_exec_id() -> str:
    return "exec-" + secrets.token_hex(6)


def _start(
    conn: Connection, container_id: str, exec_id: str, command: Sequence[str]
) -> PendingCall:
    """Wait registered before Start, so that a fast process cannot exit unseen."""
    waiter = tasks.wait(conn, container_id, exec_id)
    try:
        tasks.start(conn, container_id, exec_id)
    except OcirtError as exc:
        waiter.cancel()
        raise ExecFailed(
            f"cannot run {' '.join(command)!r} in container {container_id!r}: {exc}"
        ) from None
    except BaseException:
        waiter.cancel()
        raise
    return waiter


def _collect(waiter: PendingCall, sinks: Dict[int, bytearray], deadline: Optional[float]) -> None:
    """Read both streams until they end, the process exited DRAIN_TIMEOUT ago, or the
    deadline passed while it still ran."""
    open_fds = set(sinks)
    exited_at: Optional[float] = None
    while open_fds:
        ready, _, _ = select.select(list(open_fds), [], [], 0.05)
        for fd in ready:
            # select reports a FIFO only once a writer came: EOF is a real end here
            if not _read_available(fd, sinks[fd]):
                open_fds.discard(fd)
        if exited_at is None and waiter.done():
            exited_at = time.monotonic()
        if exited_at is not None and time.monotonic() - exited_at > DRAIN_TIMEOUT:
            break
        if exited_at is None and deadline is not None and time.monotonic() > deadline:
            break


def _kill(conn: Connection, container_id: str, exec_id: str, waiter: PendingCall) -> None:
    try:
        tasks.kill(conn, container_id, 9, exec_id=exec_id)
        waiter.result(10)
    except (NotFound, Timeout):
        pass
    waiter.cancel()


def exec_command(
    conn: Connection,
    container_id: str,
    command: Sequence[str],
    env: Optional[Mapping[str, str]] = None,
    user: Optional[str] = None,
    workdir: Optional[str] = None,
    timeout: Optional[float] = 60.0,
) -> ExecResult:
    """Run ``command`` in the container: {'rc', 'stdout', 'stderr'} (bytes).

    ``env`` adds or overrides variables of the container's process; ``user`` is resolved
    against the container's own /etc/passwd. After ``timeout`` seconds the process is
    killed and ExecTimeout raised with the output so far.
    """
    _check_command(command)
    container = _running_container(conn, container_id)
    spec = _process_spec(conn, container, command, env, user, workdir)
    exec_id = _new_exec_id()
    out, err = bytearray(), bytearray()
    with _output_fifos() as (names, fds):
        tasks.exec_process(conn, container_id, exec_id, spec, stdout=names[0], stderr=names[1])
        try:
            waiter = _start(conn, container_id, exec_id, command)
            deadline = None if timeout is None else time.monotonic() + timeout
            sinks = {fds[0]: out, fds[1]: err}
            _collect(waiter, sinks, deadline)
            left = None if deadline is None else max(deadline - time.monotonic(), 0.01)
            try:
                result = waiter.result(left)
            except Timeout:
                _kill(conn, container_id, exec_id, waiter)
                for fd in fds:
                    _read_available(fd, sinks[fd])
                raise ExecTimeout(
                    f"{' '.join(command)!r} in container {container_id!r} did not finish "
                    f"within {timeout} s and was killed",
                    bytes(out),
                    bytes(err),
                ) from None
            return {"rc": result["exit_status"], "stdout": bytes(out), "stderr": bytes(err)}
        finally:
            _delete_exec(conn, container_id, exec_id)


@dataclass(frozen=True)
class ExecSettings:
    """How ``open_exec`` runs its command, beyond the container's own process settings."""

    terminal: bool = False
    stdin: bool = False
    env: Optional[Mapping[str, str]] = None
    user: Optional[str] = None
    workdir: Optional[str] = None


def open_exec(
    conn: Connection, container_id: str, command: Sequence[str], settings: ExecSettings
) -> Session:
    """Start ``command`` with FIFOs the caller copies (``exec -i``, ``exec -t``); end the
    session with ``close_exec``."""
    _check_command(command)
    container = _running_container(conn, container_id)
    s = settings
    spec = _process_spec(conn, container, command, s.env, s.user, s.workdir, s.terminal)
    exec_id = _new_exec_id()
    io = stdio.make_fifos(exec_id, stdin=s.stdin, terminal=s.terminal)
    streams = stdio.open_streams(io)
    try:
        tasks.exec_process(conn, container_id, exec_id, spec, **io.fields())
        waiter = _start(conn, container_id, exec_id, command)
    except BaseException:
        _delete_exec(conn, container_id, exec_id)
        streams.close()
        stdio.remove_fifos(io)
        raise
    return Session(container_id, exec_id, io, streams, waiter)


def _delete_exec(conn: Connection, container_id: str, exec_id: str) -> None:
    with contextlib.suppress(OcirtError):
        tasks.delete_process(conn, container_id, exec_id)


def close_exec(conn: Connection, session: Session) -> None:
    """Close the client's ends, delete the process (killed first if it still runs: a
    client interrupted) and remove its FIFOs."""
    session.streams.close()
    if not session.waiter.done():
        with contextlib.suppress(OcirtError):
            _kill(conn, session.container_id, session.exec_id, session.waiter)
    session.waiter.cancel()
    _delete_exec(conn, session.container_id, session.exec_id)
    stdio.remove_fifos(session.io)

"""The local end of an interactive session (`run -it`, `exec -it`, `attach`).

As ``ctr`` and docker do it: the local terminal in raw mode (restored however the session
ends), one ResizePty at the start and one on every SIGWINCH, keystrokes copied to the
process's stdin FIFO and its output to fd 1 (and fd 2 without a terminal). Without a
terminal, end of local input closes the process's stdin (CloseIO) and the signals a user
sends (Ctrl-C, kill) are forwarded to the process. With a terminal Ctrl-C is a byte for the
process; a signal to ocirt itself ends the session and leaves the process running. The
detach keys (docker's ``ctrl-p,ctrl-q``) leave it running too. Python runs signal handlers
only between bytecodes of the main thread, so they just wake the select loop (a
``set_wakeup_fd`` pipe) and the loop does the calls.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import select
import signal
import termios
import time
import tty
from dataclasses import dataclass
from typing import TYPE_CHECKING, Dict, Iterator, List, Optional, Sequence

from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    InvalidInput,
)

if TYPE_CHECKING:  # the attach part of the library is loaded by the relay that uses it
    from ansible_collections.ocirt.containerd.plugins.module_utils.containers.stdio import (
        Session,
    )
    from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
        Connection,
    )

DEFAULT_DETACH_KEYS = "ctrl-p,ctrl-q"
#: What a user sends a foreground command; forwarded to a process without a terminal.
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
FORWARDED_MORE = (signal.SIGUSR1, signal.SIGUSR2)
POLL = 0.1  # seconds between looks at the Wait
DRAIN_TIMEOUT = 2.0  # output still read after the process exited, at most
CHUNK = 65536
_CTRL_KEYS = "@abcdefghijklmnopqrstuvwxyz[\\]^_"


def parse_detach_keys(spec: str) -> bytes:
    """docker's syntax: comma-separated keys, each one character or ``ctrl-X``."""
    keys = bytearray()
    for word in spec.split(","):
        if len(word) == 1:
            keys.append(ord(word))
        elif word.lower().startswith("ctrl-") and len(word) == 6 and word[5].lower() in _CTRL_KEYS:
            keys.append(ord(word[5].upper()) - 64)  # ctrl-a is 1, ctrl-@ 0, ctrl-_ 31
        else:
            raise InvalidInput(
                f"--detach-keys: {word!r} is not a key: give characters or ctrl-<a-z, @, [, "
                f"\\, ], ^, _> separated by commas (default {DEFAULT_DETACH_KEYS})"
            )
    return bytes(keys)


class DetachScanner:
    """Finds the detach sequence in typed input; bytes that may start it are held back
    until the next key says whether they do (as docker's escape proxy)."""

    def __init__(self, keys: bytes) -> None:
        self.keys = keys
        self.held = b""

    def feed(self, data: bytes) -> Optional[bytes]:
        """The bytes to send on, or None once the whole sequence was typed."""
        out = bytearray()
        for byte in data:
            candidate = self.held + bytes([byte])
            if self.keys and self.keys.startswith(candidate):
                if candidate == self.keys:
                    return None
                self.held = candidate
            else:
                out += candidate
                self.held = b""
        return bytes(out)


@dataclass
class Outcome:
    """How a session ended: the process's exit status, or that the client left it."""

    exit_code: int
    detached: bool = False


@contextlib.contextmanager
def raw_mode(fd: int, enabled: bool) -> Iterator[None]:
    """The terminal on ``fd`` in raw mode, restored on every way out (the saved mode is
    taken here: Python 3.11's ``tty.setraw`` does not return it)."""
    if not enabled:
        yield
        return
    saved = termios.tcgetattr(fd)
    try:
        tty.setraw(fd)
        yield
    finally:
        with contextlib.suppress(termios.error):  # the terminal itself went away
            termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _ignore(signum: int, frame: object) -> None:
    """Handled by the select loop (woken through the wakeup fd)."""


@contextlib.contextmanager
def signal_pipe(signals: Sequence[int]) -> Iterator[int]:
    """A fd that becomes readable with the number of each of ``signals`` received."""
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)
    previous = {s: signal.signal(s, _ignore) for s in signals}
    old_wakeup = signal.set_wakeup_fd(write_end)
    try:
        yield read_end
    finally:
        signal.set_wakeup_fd(old_wakeup)
        for s, handler in previous.items():
            signal.signal(s, handler)
        os.close(read_end)
        os.close(write_end)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read(fd: int) -> Optional[bytes]:
    """What is there (b"" at end of file), or None if nothing is."""
    try:
        return os.read(fd, CHUNK)
    except OSError as exc:
        if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
            return None
        raise


class _Relay:
    """One session's copy loop and its state."""

    def __init__(
        self, conn: Connection, session: Session, stdin: bool, detach: Optional[bytes]
    ) -> None:
        from ansible_collections.ocirt.containerd.plugins.module_utils.containers import attach

        self.attach = attach
        self.conn, self.session = conn, session
        streams = session.streams
        self.local_in: Optional[int] = 0 if stdin and streams.stdin is not None else None
        self.outputs: Dict[int, int] = {}
        if streams.stdout is not None:
            self.outputs[streams.stdout] = 1
        if streams.stderr is not None:
            self.outputs[streams.stderr] = 2
        self.pending = b""  # typed, not yet taken by the process
        self.scanner = DetachScanner(detach) if detach and session.terminal else None

    def resize(self) -> None:
        try:
            size = os.get_terminal_size(1)
        except OSError:
            return
        self.attach.resize(self.conn, self.session, size.columns, size.lines)

    def on_signals(self, wake: int) -> Optional[Outcome]:
        for signum in _read(wake) or b"":
            if signum == signal.SIGWINCH:
                self.resize()
            elif self.session.terminal:  # ocirt itself is asked to go: leave the process
                return Outcome(128 + signum, detached=True)
            else:
                self.attach.forward_signal(self.conn, self.session, signum)
        return None

    def on_input(self) -> Optional[Outcome]:
        data = _read(0)
        if data is None:
            return None
        if not data:
            self.local_in = None
            if not self.session.terminal:
                self.attach.close_stdin(self.conn, self.session)
            return None
        sent = self.scanner.feed(data) if self.scanner else data
        if sent is None:
            return Outcome(0, detached=True)
        self.pending += sent
        return None

    def on_output(self, fd: int) -> None:
        chunk = _read(fd)
        if chunk:
            _write_all(self.outputs[fd], chunk)
        elif chunk == b"":
            del self.outputs[fd]

    def feed_stdin(self) -> None:
        fd = self.session.streams.stdin
        if fd is None:
            return
        try:
            self.pending = self.pending[os.write(fd, self.pending) :]
        except BlockingIOError:  # select said writable, another writer was first
            pass

    def step(self, wake: int, timeout: float) -> Optional[Outcome]:
        """Wait for one round of events (at most ``timeout`` s) and handle them."""
        readers: List[int] = [wake, *self.outputs]
        if self.local_in is not None and not self.pending:
            readers.append(self.local_in)
        stdin_fd = self.session.streams.stdin
        writers = [stdin_fd] if self.pending and stdin_fd is not None else []
        ready, writable, _ = select.select(readers, writers, [], timeout)
        if writable:
            self.feed_stdin()
        for fd in ready:
            ended = None
            if fd == wake:
                ended = self.on_signals(wake)
            elif fd == self.local_in:
                ended = self.on_input()
            else:
                self.on_output(fd)
            if ended is not None:
                return ended
        return None

    def run(self, wake: int) -> Outcome:
        if self.session.terminal:
            self.resize()
        while not self.session.waiter.done():
            ended = self.step(wake, POLL)
            if ended is not None:
                return ended
        self.local_in, self.pending = None, b""
        deadline = time.monotonic() + DRAIN_TIMEOUT
        while self.outputs and time.monotonic() < deadline:
            self.step(wake, max(deadline - time.monotonic(), 0.0))
        return Outcome(self.session.waiter.result(0)["exit_status"])


def relay(
    conn: Connection, session: Session, stdin: bool, detach_keys: Optional[bytes] = None
) -> Outcome:
    """Copy between this terminal (or pipes) and the session until its process exits or
    the user detaches; the process's exit status (128+N for signal N) or the detach."""
    terminal = session.terminal and os.isatty(0)
    signals = [signal.SIGWINCH] if session.terminal else []
    signals += [*FORWARDED, *FORWARDED_MORE]
    with raw_mode(0, terminal and stdin), signal_pipe(signals) as wake:
        return _Relay(conn, session, stdin, detach_keys).run(wake)


def attend(
    conn: Connection, session: Session, stdin: bool, detach_keys: Optional[bytes] = None
) -> Outcome:
    """``relay``, then leave the task's session: its FIFOs go once the process exited, a
    detached (or interrupted) client leaves them for ``ocirt attach``."""
    from ansible_collections.ocirt.containerd.plugins.module_utils.containers import attach

    outcome: Optional[Outcome] = None
    try:
        outcome = relay(conn, session, stdin, detach_keys)
    finally:
        attach.leave(session, exited=outcome is not None and not outcome.detached)
    return outcome


def add_detach_keys_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--detach-keys",
        default=DEFAULT_DETACH_KEYS,
        metavar="KEYS",
        help="keys that leave the container running and end ocirt (default %(default)s)",
    )

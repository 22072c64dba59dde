"""`ocirt pod exec -i/-t`: the local end of a CRI streaming session (WebSocket).

A reader thread copies the stream's stdout/stderr channels to fds 1 and 2; the main thread
copies local input to the stdin channel and, with a terminal, sends the window size at the
start and on every SIGWINCH (as ``crictl exec -it`` does). The local terminal is raw while
the session lasts and restored however it ends. The exit status is the process's, from the
stream's v4 Status message.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import sys
import threading
from typing import Sequence

from ansible_collections.ocirt.containerd.plugins.module_utils.cri import streaming
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)

from .terminal import raw_mode, signal_pipe

POLL = 0.2


def _pump_out(stream: streaming.ChannelStream, done: threading.Event) -> None:
    try:
        while True:
            got = stream.receive()
            if got is None:
                return
            channel, data = got
            os.write(2 if channel == streaming.STDERR else 1, data)
    except OSError:
        return
    finally:
        done.set()


def _resize(stream: streaming.ChannelStream) -> None:
    size = shutil.get_terminal_size()
    stream.resize(size.columns, size.lines)


def _pump_in(
    stream: streaming.ChannelStream, done: threading.Event, tty: bool, stdin: bool
) -> None:
    with signal_pipe([signal.SIGWINCH]) as wake:
        watched = [wake] + ([sys.stdin.fileno()] if stdin else [])
        while not done.is_set():
            ready, _, _ = select.select(watched, [], [], POLL)
            if wake in ready:
                os.read(wake, 64)
                if tty:
                    _resize(stream)
            if stdin and sys.stdin.fileno() in ready:
                data = os.read(sys.stdin.fileno(), 4096)
                if not data:  # end of local input: nothing more to send
                    watched = [wake]
                    continue
                stream.send_stdin(data)


def exec_interactive(
    conn: Connection, container_id: str, cmd: Sequence[str], tty: bool, stdin: bool
) -> int:
    stream = streaming.open_exec(conn, container_id, cmd, tty=tty, stdin=stdin)
    done = threading.Event()
    reader = threading.Thread(target=_pump_out, args=(stream, done), daemon=True)
    use_raw = tty and sys.stdin.isatty()
    try:
        with raw_mode(sys.stdin.fileno(), use_raw):
            if tty:
                _resize(stream)
            reader.start()
            _pump_in(stream, done, tty, stdin)
    finally:
        stream.close()
    return stream.exit_code if stream.exit_code is not None else 1

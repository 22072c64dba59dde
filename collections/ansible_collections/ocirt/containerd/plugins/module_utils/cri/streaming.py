"""Exec and Attach through the CRI's streaming server: the RPC returns a URL, the session
is a WebSocket there (protocol ``v4.channel.k8s.io``, see websocket.py).

The URL's token is single-use and valid for one minute (containerd ``request_cache.go``),
so the connection is made at once. containerd first sends an empty message on the lowest
output channel; v4 ends with a JSON Status on channel 3: ``{"status": "Success"}``, or
``Failure`` with reason ``NonZeroExitCode`` and the code in ``details.causes``
(``v4WriteStatusFunc`` in httpstream.go). Resize messages are JSON ``{"Width": W,
"Height": H}`` on channel 4.
"""

from __future__ import annotations

import json
from typing import Optional, Sequence, Tuple

from ..common.errors import OcirtError
from ..transport.connection import Connection
from ..wire.schema import BOOL, STRING, Field
from .linux_messages import V1
from .runtime_service import RUNTIME
from .websocket import WebSocket

STDIN, STDOUT, STDERR, ERROR, RESIZE = 0, 1, 2, 3, 4
SUBPROTOCOLS = ("v4.channel.k8s.io", "channel.k8s.io")

EXEC = RUNTIME.method(
    "Exec",
    V1.message(
        "ExecRequest",
        Field(1, "container_id", STRING),
        Field(2, "cmd", STRING, repeated=True),
        Field(3, "tty", BOOL),
        Field(4, "stdin", BOOL),
        Field(5, "stdout", BOOL),
        Field(6, "stderr", BOOL),
    ),
    V1.message("ExecResponse", Field(1, "url", STRING)),
)
ATTACH = RUNTIME.method(
    "Attach",
    V1.message(
        "AttachRequest",
        Field(1, "container_id", STRING),
        Field(2, "stdin", BOOL),
        Field(3, "tty", BOOL),
        Field(4, "stdout", BOOL),
        Field(5, "stderr", BOOL),
    ),
    V1.message("AttachResponse", Field(1, "url", STRING)),
)


class ChannelStream:
    """One exec or attach session: send stdin and resizes, receive (channel, data)."""

    def __init__(self, ws: WebSocket) -> None:
        self.ws = ws
        self.exit_code: Optional[int] = None

    def send_stdin(self, data: bytes) -> None:
        self.ws.send(bytes([STDIN]) + data)

    def resize(self, width: int, height: int) -> None:
        self.ws.send(bytes([RESIZE]) + json.dumps({"Width": width, "Height": height}).encode())

    def receive(self) -> Optional[Tuple[int, bytes]]:
        """The next (channel, data) of stdout or stderr; None at the end (``exit_code``
        then holds the process's status when the server sent one)."""
        while True:
            message = self.ws.receive()
            if message is None:
                return None
            if not message:
                continue
            channel, data = message[0], message[1:]
            if channel == ERROR:
                self.exit_code = exit_code(data)
                continue
            if data:
                return channel, data

    def close(self) -> None:
        self.ws.close()


def exit_code(status: bytes) -> int:
    """The exit code a v4 Status message on channel 3 carries."""
    try:
        value = json.loads(status.decode() or "{}")
    except ValueError:
        text = status.decode(errors="replace")
        raise OcirtError(f"the stream ended with an error: {text}") from None
    if value.get("status") == "Success":
        return 0
    for cause in (value.get("details") or {}).get("causes") or []:
        if cause.get("reason") == "ExitCode":
            return int(cause.get("message") or 1)
    raise OcirtError(f"the stream ended with an error: {value.get('message') or value}")


def open_exec(
    conn: Connection, container_id: str, cmd: Sequence[str], tty: bool, stdin: bool
) -> ChannelStream:
    """Exec, then connect to its URL at once (the token expires within a minute)."""
    reply = conn.call(
        EXEC,
        {
            "container_id": container_id,
            "cmd": list(cmd),
            "tty": tty,
            "stdin": stdin,
            "stdout": True,
            "stderr": not tty,  # a terminal merges stderr into stdout
        },
        namespace=None,
    )
    return ChannelStream(WebSocket.connect(reply["url"], SUBPROTOCOLS))


def open_attach(conn: Connection, container_id: str, tty: bool, stdin: bool) -> ChannelStream:
    reply = conn.call(
        ATTACH,
        {
            "container_id": container_id,
            "stdin": stdin,
            "tty": tty,
            "stdout": True,
            "stderr": not tty,
        },
        namespace=None,
    )
    return ChannelStream(WebSocket.connect(reply["url"], SUBPROTOCOLS))

"""A minimal WebSocket client (RFC 6455) on the standard library, for the CRI's streams.

containerd's streaming server (``pkg/cri/streaming``) serves exec and attach over a
WebSocket with the subprotocol ``v4.channel.k8s.io``: every binary message starts with a
channel byte (0 stdin, 1 stdout, 2 stderr, 3 error/status, 4 resize). Only what that
needs is here: the HTTP/1.1 upgrade on a plain TCP socket (the server listens on
127.0.0.1 without TLS by default), masked client frames, unfragmented or fragmented
server messages, ping/pong and close.
"""

from __future__ import annotations

import base64
import hashlib
import os
import socket
import struct
import urllib.parse
from typing import Optional, Tuple

from ..common.errors import OcirtError

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CONTINUATION, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
CONNECT_TIMEOUT = 10.0


class WebSocketError(OcirtError):
    """The streaming server refused the upgrade or broke the protocol."""


class WebSocket:
    def __init__(self, sock: socket.socket, subprotocol: str) -> None:
        self.sock = sock
        self.subprotocol = subprotocol
        self._buffer = b""

    @classmethod
    def connect(cls, url: str, subprotocols: Tuple[str, ...]) -> WebSocket:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "ws"):
            raise WebSocketError(f"{url}: only plain http streaming is supported (no TLS)")
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT)
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            f"GET {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1\r\n"
            f"Host: {host}:{port}\r\nOrigin: http://{host}:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: {', '.join(subprotocols)}\r\n\r\n"
        )
        sock.sendall(request.encode())
        ws = cls(sock, "")
        head = ws._read_until(b"\r\n\r\n")
        ws.subprotocol = _check_upgrade(head, key, url)
        sock.settimeout(None)
        return ws

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self._buffer:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise WebSocketError("the streaming server closed the connection")
            self._buffer += chunk
        head, _, self._buffer = self._buffer.partition(marker)
        return head

    def _read_exact(self, n: int) -> bytes:
        while len(self._buffer) < n:
            chunk = self.sock.recv(max(4096, n - len(self._buffer)))
            if not chunk:
                raise EOFError
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def send(self, payload: bytes, opcode: int = BINARY) -> None:
        """One masked, final frame (clients must mask)."""
        head = bytes([0x80 | opcode])
        n = len(payload)
        if n < 126:
            head += bytes([0x80 | n])
        elif n < 1 << 16:
            head += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(head + mask + masked)

    def _frame(self) -> Tuple[bool, int, bytes]:
        b0, b1 = self._read_exact(2)
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack("!H", self._read_exact(2))
        elif n == 127:
            (n,) = struct.unpack("!Q", self._read_exact(8))
        mask = self._read_exact(4) if b1 & 0x80 else b""
        data = self._read_exact(n)
        if mask:
            data = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        return bool(b0 & 0x80), b0 & 0x0F, data

    def receive(self) -> Optional[bytes]:
        """The next data message; None when the server closed the stream."""
        message, kind = b"", None
        while True:
            try:
                final, opcode, data = self._frame()
            except EOFError:
                return None
            if opcode == PING:
                self.send(data, PONG)
                continue
            if opcode == CLOSE:
                return None
            if opcode in (TEXT, BINARY):
                kind = opcode
            if kind is None or opcode == PONG:
                continue
            message += data
            if final:
                return message

    def close(self) -> None:
        try:
            self.send(b"", CLOSE)
        except OSError:
            pass
        self.sock.close()


def _check_upgrade(head: bytes, key: str, url: str) -> str:
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ", 2)
    if len(status) < 2 or status[1] != "101":
        raise WebSocketError(f"{url}: the streaming server answered {lines[0]!r}, not an upgrade")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    accept = base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()
    if headers.get("sec-websocket-accept") != accept:
        raise WebSocketError(f"{url}: the upgrade answer does not match the key")
    return headers.get("sec-websocket-protocol", "")

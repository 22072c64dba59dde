"""A fault-injecting HTTP proxy on 127.0.0.1 in front of a harness Registry.

Requests are passed to the real registry and its answers back, unless a programmed fault
matches the request first. A fault is armed for a number of matching requests (``times``)
and then passes them through again, so a test can say "the first two GETs of this layer get a
503" and see the client's retry succeed. Every request is recorded (method, path, Range,
which fault hit it, when), so a test can count the retries the client made.

Kinds of fault:
  status    answer ``status`` with ``headers`` (503 bursts, 429 with Retry-After); the
            registry is not asked
  reset     the registry's headers and the first ``after`` bytes of its body, then a TCP RST
  stall     the registry's headers and the first ``after`` bytes, then nothing until the
            client gives up or the proxy stops (bounded by ``STALL_LIMIT``)
  truncate  the registry's headers (full Content-Length) and ``after`` bytes, then a clean
            close: the body ends early without an error on the wire
  corrupt   the whole body with the byte at ``after`` flipped: same size, wrong digest
  redirect  a 307 to the same path (with a counter in the query): a redirect loop
"""

from __future__ import annotations

import http.client
import re
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, List, Optional, Tuple
from urllib.parse import urlsplit

KINDS = ("status", "reset", "stall", "truncate", "corrupt", "redirect")
STALL_LIMIT = 120.0  # seconds a stalled answer waits at most, should nobody stop the proxy
HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length"}


@dataclass
class Fault:
    """``kind`` for the next ``times`` requests whose "METHOD /path" matches ``match``."""

    match: str
    kind: str
    times: int = 1
    status: int = 503
    headers: Dict[str, str] = field(default_factory=dict)
    after: int = 0
    hits: int = 0

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; known: {', '.join(KINDS)}")


@dataclass
class Seen:
    """One request as the proxy saw it."""

    method: str
    path: str
    range: str
    fault: Optional[str]
    at: float


class FaultProxy:
    """``FaultProxy(registry).start()``; ``.host`` is what clients use instead of the
    registry's; ``.add(Fault(...))`` arms a fault; ``.seen`` lists the requests."""

    def __init__(self, upstream_host: str) -> None:
        self.upstream_host = upstream_host
        self.faults: List[Fault] = []
        self.seen: List[Seen] = []
        self.released = threading.Event()  # ends every stall at once
        self._lock = threading.Lock()
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None
        self.host = ""
        self.hosts_dir = ""  # set by write_hosts_toml

    def start(self) -> FaultProxy:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def requests(self, pattern: str = "") -> List[Seen]:
        """The requests whose "METHOD /path" matches ``pattern`` (all by default)."""
        with self._lock:
            return [s for s in self.seen if re.search(pattern, f"{s.method} {s.path}")]

    def write_hosts_toml(self, hosts_dir: str) -> str:
        """<hosts_dir>/<proxy host>/hosts.toml: the proxy as a plain-HTTP registry (its only
        endpoint, so each request is made once per attempt). Returns ``hosts_dir``."""
        directory = Path(hosts_dir) / self.host
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "hosts.toml").write_text(f'server = "http://{self.host}"\n')
        self.hosts_dir = hosts_dir
        return hosts_dir

    def _take(self, method: str, path: str, range_header: str) -> Optional[Fault]:
        """The fault for this request (its count spent), recorded with the request."""
        with self._lock:
            chosen = None
            for fault in self.faults:
                if fault.hits < fault.times and re.search(fault.match, f"{method} {path}"):
                    fault.hits += 1
                    chosen = fault
                    break
            kind = chosen.kind if chosen else None
            self.seen.append(Seen(method, path, range_header, kind, time.monotonic()))
            return chosen

    def fetch(self, method: str, target: str, headers: Dict[str, str]) -> Tuple[int, list, bytes]:
        """The registry's answer: status, headers, body (whole; test blobs are small)."""
        conn = http.client.HTTPConnection(self.upstream_host, timeout=30)
        try:
            conn.request(method, target, headers=headers)
            response = conn.getresponse()
            body = response.read()
            return response.status, response.getheaders(), body
        finally:
            conn.close()


def _handler_for(proxy: FaultProxy) -> type:
    class Handler(_FaultHandler):
        pass

    Handler.proxy = proxy
    return Handler


class _FaultHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as registries do: the client reuses sockets
    proxy: FaultProxy

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def _serve(self) -> None:
        path = urlsplit(self.path).path
        fault = self.proxy._take(self.command, path, self.headers.get("Range", ""))
        if fault is not None and fault.kind == "status":
            return self._answer(fault.status, list(fault.headers.items()), b'{"errors":[]}')
        if fault is not None and fault.kind == "redirect":
            loop = f"{path}?loop={fault.hits}"
            return self._answer(307, [("Location", loop)], b"")
        forwarded = {k: v for k, v in self.headers.items() if k.lower() not in ("host",)}
        status, headers, body = self.proxy.fetch(self.command, self.path, forwarded)
        if fault is None or self.command == "HEAD":
            return self._answer(status, headers, body)
        if fault.kind == "corrupt":
            flipped = bytearray(body)
            flipped[min(fault.after, len(body) - 1)] ^= 0xFF
            return self._answer(status, headers, bytes(flipped))
        self._head(status, headers, len(body))
        self.wfile.write(body[: fault.after])
        self.wfile.flush()
        self.close_connection = True
        if fault.kind == "stall":
            self.proxy.released.wait(STALL_LIMIT)
        elif fault.kind == "reset":
            # SO_LINGER with a zero timeout: close() sends RST instead of FIN
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()

    def _head(self, status: int, headers: list, length: int) -> None:
        self.send_response_only(status)
        for name, value in headers:
            if name.lower() not in HOP_BY_HOP:
                self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def _answer(self, status: int, headers: list, body: bytes) -> None:
        if self.command == "HEAD":
            # a HEAD answer carries the length the GET would have, and no body
            known = [v for k, v in headers if k.lower() == "content-length"]
            self._head(status, headers, int(known[0]) if known else len(body))
        else:
            self._head(status, headers, len(body))
            self.wfile.write(body)
        self.wfile.flush()

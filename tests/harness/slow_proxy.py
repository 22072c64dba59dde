"""A registry front on 127.0.0.1 that serves blob bodies slowly, for tests that must act
while a pull is in the middle of a layer (kill containerd, press Ctrl-C).

Every request goes to the real registry; only the bodies of GET .../blobs/... answers are
throttled, and the bytes served so far are counted, so a test can wait until a pull is
exactly as far as it needs (``wait_served``). Registry faults (errors, resets, wrong bytes)
are tests/harness/fault_proxy.py's business, not this one's.
"""

from __future__ import annotations

import http.client
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Optional

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


class SlowProxy:
    """``SlowProxy(upstream_host, rate)``: blob bodies at ``rate`` bytes/s; ``.host`` is
    "127.0.0.1:PORT". Use as a context manager or call ``start()``/``stop()``."""

    def __init__(self, upstream: str, rate: int = 512 * 1024, piece: int = 64 * 1024) -> None:
        self.upstream = upstream
        self.rate = rate
        self.piece = piece
        self.served = 0  # blob body bytes sent so far
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> SlowProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> SlowProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_served(self, n: int, timeout: float = 60) -> None:
        """Block until ``n`` blob bytes went out (AssertionError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self.served < n:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"only {self.served} of {n} blob bytes served")
                self._changed.wait(left)

    def _count(self, n: int) -> None:
        with self._changed:
            self.served += n
            self._changed.notify_all()

    def _handler(self) -> type:
        return type("Handler", (_Handler,), {"proxy": self})


class _Handler(BaseHTTPRequestHandler):
    """Forwards a request to the upstream registry; blob bodies go out at the proxy's rate."""

    protocol_version = "HTTP/1.1"
    proxy: SlowProxy  # set per proxy by SlowProxy._handler

    def log_message(self, *args: object) -> None:
        pass

    def _forward(self) -> None:
        upstream = http.client.HTTPConnection(self.proxy.upstream, timeout=60)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Host"] = self.proxy.upstream
        upstream.request(self.command, self.path, headers=headers)
        answer = upstream.getresponse()
        self.send_response(answer.status)
        for key, value in answer.getheaders():
            if key.lower() not in HOP_BY_HOP:
                self.send_header(key, value)
        self.end_headers()
        slow = self.command == "GET" and "/blobs/" in self.path
        try:
            self._copy(answer, slow)
        finally:
            upstream.close()

    def _copy(self, answer: http.client.HTTPResponse, slow: bool) -> None:
        size: Optional[int] = self.proxy.piece if slow else 1024 * 1024
        while True:
            data = answer.read(size)
            if not data:
                return
            self.wfile.write(data)
            self.wfile.flush()
            if slow:
                self.proxy._count(len(data))
                time.sleep(len(data) / self.proxy.rate)

    def do_GET(self) -> None:
        try:
            self._forward()
        except OSError:
            self.close_connection = True

    do_HEAD = do_GET

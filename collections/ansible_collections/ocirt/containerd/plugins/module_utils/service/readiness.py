"""Waiting (bounded) until containerd answers Version on its socket, through the library's
own connection: the socket file existing is not enough, the daemon must serve gRPC."""

from __future__ import annotations

import socket
import time
from typing import Callable, Optional

from ..api.version import VersionInfo, get_version
from ..common.errors import NotServing, OcirtError
from ..transport.connection import Connection


def _accepts(address: str) -> bool:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.settimeout(1)
        s.connect(address)
        return True
    except OSError:
        return False
    finally:
        s.close()


def version_if_serving(address: str, timeout: float = 2.0) -> Optional[VersionInfo]:
    """The daemon's Version answer, or None when nothing serves on ``address``."""
    if not _accepts(address):
        return None
    try:
        with Connection(address, namespace=None, timeout=timeout) as conn:
            return get_version(conn)
    except OcirtError:
        return None


def wait_serving(
    address: str,
    timeout: float,
    still_running: Callable[[], bool],
    log_tail: Callable[[], str],
    what: str = "containerd",
) -> VersionInfo:
    """Poll until Version answers; fail early if the process died, else after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        answer = version_if_serving(address)
        if answer is not None:
            return answer
        if not still_running():
            raise NotServing(
                f"{what} exited before it answered on {address}; its last log lines:\n{log_tail()}"
            )
        if time.monotonic() > deadline:
            raise NotServing(
                f"{what} did not answer Version on {address} within {timeout:g} s; its last "
                f"log lines:\n{log_tail()}"
            )
        time.sleep(0.1)

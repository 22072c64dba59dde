"""Where the library keeps files of its own on the managed node: logs, named volumes and the
log driver.

The roots are configurable (tests point them into a temporary directory); the log path of a
container is stored on the container itself, so later runs find it whatever the default is.

Logs are kept per daemon: ``<log_root>/<daemon>/<namespace>/<id>-json.log``, ``<daemon>``
a short hash of the socket containerd answers on (``daemon_key``), so two containerds with
the same namespace and container name never share a file. Containers made before keep the
``<log_root>/<namespace>/<id>.log`` their label names.

The log driver is a program the shim executes, so it is not kept under ``/var/log`` (which
hardened systems mount ``noexec``) but in ``/var/lib/ocirt/libexec``; a relocated log root
without its own ``libexec_dir`` keeps the driver beside its logs, so a test's files all stay
in its temporary directory.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

DEFAULT_LOG_ROOT = "/var/log/ocirt"
DEFAULT_VOLUME_ROOT = "/var/lib/ocirt/volumes"
DEFAULT_LIBEXEC_DIR = "/var/lib/ocirt/libexec"


def daemon_key(address: str) -> str:
    """12 hex digits naming the daemon behind a socket path (symlinks resolved)."""
    return hashlib.sha256(os.path.realpath(address).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class Paths:
    log_root: str = DEFAULT_LOG_ROOT
    volume_root: str = DEFAULT_VOLUME_ROOT
    libexec_dir: str = ""  # "": see the module's docstring

    @property
    def driver_dir(self) -> str:
        """Where the log driver is installed."""
        if self.libexec_dir:
            return self.libexec_dir
        if self.log_root == DEFAULT_LOG_ROOT:
            return DEFAULT_LIBEXEC_DIR
        return os.path.join(self.log_root, ".libexec")

    def log_path(
        self, namespace: str, container_id: str, daemon: str = "", json: bool = True
    ) -> str:
        """The container's log: JSON lines (``-json.log``, the log driver's) or containerd's
        plain file (``.log``), under the daemon's own directory when ``daemon`` is given."""
        name = container_id + ("-json.log" if json else ".log")
        return os.path.join(self.log_root, daemon, namespace, name)

    def volume_path(self, namespace: str, name: str) -> str:
        """The host directory behind the named volume ``name`` (made on first use)."""
        return os.path.join(self.volume_root, namespace, name)

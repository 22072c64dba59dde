"""Where the library keeps files of its own on the managed node: logs and named volumes.

Both roots are configurable (tests point them into a temporary directory); the log path of a
container is stored on the container itself, so later runs find it whatever the default is.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_LOG_ROOT = "/var/log/ocirt"
DEFAULT_VOLUME_ROOT = "/var/lib/ocirt/volumes"


@dataclass(frozen=True)
class Paths:
    log_root: str = DEFAULT_LOG_ROOT
    volume_root: str = DEFAULT_VOLUME_ROOT

    def log_path(self, namespace: str, container_id: str) -> str:
        """stdout and stderr of the container, appended by the shim (file:// URI)."""
        return os.path.join(self.log_root, namespace, container_id + ".log")

    def volume_path(self, namespace: str, name: str) -> str:
        """The host directory behind the named volume ``name`` (made on first use)."""
        return os.path.join(self.volume_root, namespace, name)

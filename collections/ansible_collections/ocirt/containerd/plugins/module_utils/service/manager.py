"""The one small interface behind which containerd runs as a service: systemd
(``systemd.py``) or a detached process with a pid file (``detached.py``).

The reconciler (reconcile/service.py) plans from a manager's ``status()``, a plain
``ProcessStatus``, and applies through the verbs below; tests inject a manager of their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..api.version import VersionInfo
from .readiness import version_if_serving, wait_serving


@dataclass
class ProcessStatus:
    """Whether containerd runs, under which pid, and (systemd only) whether it starts at boot."""

    running: bool = False
    pid: Optional[int] = None
    enabled: Optional[bool] = None  # None: the manager has no notion of it (detached)


class Manager:
    """How containerd is started, stopped and watched on this machine."""

    name = ""

    def status(self) -> ProcessStatus:
        raise NotImplementedError

    def start(self) -> Optional[int]:
        """Start containerd; its pid."""
        raise NotImplementedError

    def stop(self, pid: Optional[int], timeout: float) -> None:
        raise NotImplementedError

    def restart(self, pid: Optional[int], timeout: float) -> Optional[int]:
        """Stop, then start again; the new pid."""
        self.stop(pid, timeout)
        return self.start()

    def enable(self, enabled: bool) -> None:
        """Start at boot, or not (a manager without boot-time start ignores it)."""

    def reload(self) -> None:
        """Make the manager read changed unit files (where it has any)."""

    def still_running(self, pid: int) -> bool:
        raise NotImplementedError

    def log_tail(self, lines: int = 30) -> str:
        raise NotImplementedError

    def version(self, address: str) -> Optional[VersionInfo]:
        """The daemon's Version answer on ``address``, or None when nothing serves there."""
        return version_if_serving(address)

    def wait_serving(self, address: str, timeout: float, pid: Optional[int]) -> VersionInfo:
        """Wait (bounded) until containerd answers; fail early if process ``pid`` died."""
        return wait_serving(
            address,
            timeout,
            still_running=(lambda: self.still_running(pid)) if pid else (lambda: True),
            log_tail=self.log_tail,
        )

"""containerd under systemd: systemctl for state, journalctl for the log."""

from __future__ import annotations

import os
import subprocess
from typing import List, Optional

from ..common.command import run_command
from ..common.errors import ServiceError
from .manager import Manager, ProcessStatus
from .unit import UNIT_NAME

RUN_DIR = "/run/systemd/system"
TIMEOUT = 120


def systemd_runs() -> bool:
    """systemd is PID 1 (its documented test, as sd_booted() does)."""
    return os.path.isdir(RUN_DIR)


class Systemd(Manager):
    name = "systemd"

    def __init__(self, unit: str = UNIT_NAME):
        self.unit = unit

    def _run(self, args: List[str], check: bool = True) -> subprocess.CompletedProcess:
        r = run_command(args, ServiceError, TIMEOUT)
        if check and r.returncode != 0:
            raise ServiceError(
                f"{' '.join(args)} failed ({r.returncode}): {(r.stderr or r.stdout).strip()}"
            )
        return r

    def systemctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return self._run(["systemctl", *args], check=check)

    def is_active(self) -> bool:
        return self.systemctl("is-active", "--quiet", self.unit, check=False).returncode == 0

    def is_enabled(self) -> bool:
        return self.systemctl("is-enabled", "--quiet", self.unit, check=False).returncode == 0

    def pid(self) -> Optional[int]:
        r = self.systemctl("show", "--property=MainPID", "--value", self.unit, check=False)
        try:
            pid = int(r.stdout.strip() or 0)
        except ValueError:
            return None
        return pid or None

    def status(self) -> ProcessStatus:
        active = self.is_active()
        return ProcessStatus(
            running=active, pid=self.pid() if active else None, enabled=self.is_enabled()
        )

    def start(self) -> Optional[int]:
        self.systemctl("start", self.unit)
        return self.pid()

    def stop(self, pid: Optional[int], timeout: float) -> None:
        self.systemctl("stop", self.unit)

    def restart(self, pid: Optional[int], timeout: float) -> Optional[int]:
        self.systemctl("restart", self.unit)
        return self.pid()

    def enable(self, enabled: bool) -> None:
        self.systemctl("enable" if enabled else "disable", self.unit)

    def reload(self) -> None:
        self.systemctl("daemon-reload")

    def still_running(self, pid: int) -> bool:
        return self.is_active() or self.systemctl(
            "is-active", self.unit, check=False
        ).stdout.strip() in ("activating", "reloading")

    def log_tail(self, lines: int = 30) -> str:
        r = self._run(
            ["journalctl", "-u", self.unit, "-n", str(lines), "--no-pager", "-o", "cat"],
            check=False,
        )
        return r.stdout.strip() or r.stderr.strip() or "(journal empty)"

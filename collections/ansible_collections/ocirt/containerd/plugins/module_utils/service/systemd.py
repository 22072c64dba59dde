"""containerd under systemd: systemctl for state, journalctl for the log."""

from __future__ import annotations

import os
import subprocess
from typing import List, Optional

from ..common.errors import ServiceError

RUN_DIR = "/run/systemd/system"


def systemd_runs() -> bool:
    """systemd is PID 1 (its documented test, as sd_booted() does)."""
    return os.path.isdir(RUN_DIR)


class Systemd:
    name = "systemd"

    def __init__(self, unit: str = "containerd.service"):
        self.unit = unit

    def _run(self, args: List[str], check: bool = True) -> subprocess.CompletedProcess:
        try:
            r = subprocess.run(
                args,
                capture_output=True,
                text=True,
                timeout=120,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ServiceError(f"running {' '.join(args)}: {exc}") from None
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

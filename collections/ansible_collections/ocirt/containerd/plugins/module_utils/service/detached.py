"""The fallback where PID 1 is not systemd (containers, CI): containerd runs detached
(new session, stdin /dev/null, output appended to a log file) and is known by a pid file.

Stopping signals only the daemon's pid (SIGTERM, then SIGKILL after a grace period); the
shims run in their own sessions, so containers keep running, as with KillMode=process.
"""

from __future__ import annotations

import os
import subprocess
from typing import Dict, List, Optional

from ..common import procfs
from ..common.atomic_file import atomic_write, remove
from ..common.defaults import DEFAULT_CONFIG_FILE, SYSTEM_PATH
from ..common.errors import ServiceError
from .manager import Manager, ProcessStatus
from .unit import exec_start

DEFAULT_PID_FILE = "/run/containerd/containerd.pid"
DEFAULT_LOG_FILE = "/var/log/containerd.log"


def _config_arg(argv: List[str]) -> Optional[str]:
    for i, arg in enumerate(argv[1:], start=1):
        if arg in ("--config", "-c") and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--config="):
            return arg.split("=", 1)[1]
    return None


class Detached(Manager):
    name = "detached"

    def __init__(
        self,
        binary: str,
        config_path: str,
        address: Optional[str],
        pid_file: str = DEFAULT_PID_FILE,
        log_file: str = DEFAULT_LOG_FILE,
        environment: Optional[Dict[str, str]] = None,
        default_config: str = DEFAULT_CONFIG_FILE,
    ):
        self.binary = binary
        self.config_path = config_path
        self.address = address
        self.pid_file = pid_file
        self.log_file = log_file
        self.environment = dict(environment or {})
        self.default_config = default_config
        self._log_offset = 0
        self._child: Optional[subprocess.Popen] = None  # reaped by still_running/stop

    def _pid_from_file(self) -> Optional[int]:
        try:
            with open(self.pid_file) as f:
                return int(f.read().strip() or 0) or None
        except (OSError, ValueError):
            return None

    def _is_ours(self, pid: int) -> bool:
        argv = procfs.cmdline(pid)
        if not argv or os.path.basename(argv[0]) != "containerd":
            return False
        config = _config_arg(argv) or self.default_config
        return os.path.abspath(config) == os.path.abspath(self.config_path)

    def pid(self) -> Optional[int]:
        """The running daemon: the pid file's, or a containerd started with this config."""
        pid = self._pid_from_file()
        if pid and procfs.alive(pid) and self._is_ours(pid):
            return pid
        for entry in os.listdir("/proc"):
            if entry.isdigit() and procfs.alive(int(entry)) and self._is_ours(int(entry)):
                return int(entry)
        return None

    def status(self) -> ProcessStatus:
        pid = self.pid()
        return ProcessStatus(running=pid is not None, pid=pid)

    def env(self) -> Dict[str, str]:
        """The daemon's environment: no CONTAINERD_* variables; the binary's directory (and
        its sibling sbin, where runc goes) first on PATH so the matching shim is found."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("CONTAINERD_")}
        bin_dir = os.path.dirname(os.path.abspath(self.binary))
        sbin = os.path.join(os.path.dirname(bin_dir), "sbin")
        env["PATH"] = ":".join([bin_dir, sbin, SYSTEM_PATH])
        env.update(self.environment)
        return env

    def start(self) -> int:
        os.makedirs(os.path.dirname(os.path.abspath(self.log_file)), exist_ok=True)
        try:
            self._log_offset = os.path.getsize(self.log_file)
        except OSError:
            self._log_offset = 0
        try:
            with open(self.log_file, "ab") as log:
                proc = subprocess.Popen(
                    exec_start(self.binary, self.config_path, self.address),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    env=self.env(),
                    cwd="/",
                    start_new_session=True,
                    close_fds=True,
                )
        except OSError as exc:
            raise ServiceError(f"cannot start {self.binary}: {exc.strerror or exc}") from None
        self._child = proc
        try:
            atomic_write(self.pid_file, f"{proc.pid}\n".encode(), mode=0o644)
        except OSError:  # a daemon nobody could find again is not left running
            self.stop(proc.pid, 5.0)
            raise
        return proc.pid

    def still_running(self, pid: int) -> bool:
        child = self._child
        if child is not None and child.pid == pid:
            return child.poll() is None
        return procfs.alive(pid)

    def stop(self, pid: Optional[int], timeout: float) -> None:
        """SIGTERM to the daemon only (SIGKILL after ``timeout``); its shims keep running."""
        if not pid:
            return
        procfs.terminate(pid, timeout)
        child = self._child
        if child is not None and child.pid == pid:
            child.wait()
        if self._pid_from_file() == pid:
            remove(self.pid_file)

    def log_tail(self, lines: int = 30) -> str:
        """The log written since this start (or its end), at most ``lines`` lines."""
        try:
            with open(self.log_file, "rb") as f:
                f.seek(self._log_offset)
                text = f.read().decode("utf-8", "replace")
        except OSError as exc:
            return f"(no log: {self.log_file}: {exc.strerror})"
        return "\n".join(text.strip().splitlines()[-lines:]) or f"({self.log_file} is empty)"

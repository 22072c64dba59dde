"""A private containerd that the service module (not the harness) starts and stops.

ContainerdDaemon only provides the temporary root/state/socket and config.toml; the daemon
is started by ocirt.containerd.service with a pid file and log file in that directory.
Teardown kills tasks, the daemon by its pid file, leftover shims and mounts."""

from __future__ import annotations

import os
import signal
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest
from harness.daemon import ContainerdDaemon, ensure_containerd
from harness.plugin import selected_series
from harness.util import kill_tree


class ManagedDaemon:
    def __init__(self, series: str):
        ensure_containerd(series)
        self.daemon = ContainerdDaemon(series)  # never .start()ed: the module starts it
        self.pid_file = self.daemon.tmpdir / "containerd.pid"
        self.log_file = self.daemon.tmpdir / "service.log"

    def args(self, **extra: Any) -> Dict[str, Any]:
        return {
            "binary": str(self.daemon.containerd_bin),
            "config_path": str(self.daemon.config_path),
            "address": self.daemon.address,
            "pid_file": str(self.pid_file),
            "log_file": str(self.log_file),
            "wait_timeout": 30,
            **extra,
        }

    def pid(self) -> int:
        return int(self.pid_file.read_text())

    def teardown(self) -> None:
        d = self.daemon
        if d._socket_ready():
            d.kill_all_tasks()
        if self.pid_file.exists():
            try:
                pid = self.pid()
                os.kill(pid, signal.SIGTERM)
                kill_tree(pid)
            except (ValueError, ProcessLookupError):
                pass
        d.stop()


@pytest.fixture(params=selected_series(), ids=str)
def managed(request: pytest.FixtureRequest) -> Iterator[ManagedDaemon]:
    m = ManagedDaemon(request.param)
    yield m
    m.teardown()


@pytest.fixture
def unit_dir(tmp_path: Path) -> Path:
    return tmp_path

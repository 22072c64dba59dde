"""A private containerd that ``ocirt node apply`` (its service section, not the harness)
starts and restarts, detached: the harness only provides the temporary root, state, socket
and config.toml (as tests/service does)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator, Optional

import pytest
from harness.daemon import ContainerdDaemon, ensure_containerd
from harness.plugin import selected_series
from harness.util import kill_tree


class Node:
    """The daemon's files, and ``ocirt node`` run on them as a node runs it."""

    def __init__(self, series: str, tmp: Path):
        ensure_containerd(series)
        self.daemon = ContainerdDaemon(series)  # never .start()ed: the node document starts it
        self.pid_file = self.daemon.tmpdir / "containerd.pid"
        self.tmp = tmp

    def service(self, **extra: Any) -> Dict[str, Any]:
        d = self.daemon
        return {
            "manager": "detached",
            "binary": str(d.containerd_bin),
            "config_path": str(d.config_path),
            "pid_file": str(self.pid_file),
            "log_file": str(d.tmpdir / "service.log"),
            "wait_timeout": 30,
            **extra,
        }

    def config(self, **options: Any) -> Dict[str, Any]:
        return {
            "path": str(self.daemon.config_path),
            "containerd_binary": str(self.daemon.containerd_bin),
            **options,
        }

    def ocirt(self, verb: str, document: Any, *flags: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "ocirt.cli.main",
                "--address",
                self.daemon.address,
                "node",
                verb,
                *flags,
                "-f",
                "-",
            ],
            input=json.dumps(document),
            capture_output=True,
            text=True,
            timeout=120,
        )

    def report(self, verb: str, document: Any, code: int = 0) -> Dict[str, Any]:
        ran = self.ocirt(verb, document, "--json")
        assert ran.returncode == code, ran.stderr
        return json.loads(ran.stdout)

    def pid(self) -> Optional[int]:
        return int(self.pid_file.read_text()) if self.pid_file.exists() else None

    def teardown(self) -> None:
        pid = self.pid()
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
                kill_tree(pid)
            except ProcessLookupError:
                pass
        self.daemon.stop()


@pytest.fixture(params=selected_series(), ids=str)
def node(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Node]:
    n = Node(request.param, tmp_path)
    yield n
    n.teardown()

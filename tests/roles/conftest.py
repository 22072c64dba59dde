"""The role tests install from the release archives that tests/install builds and serves,
and run against a temporary root that is cleaned up with the daemon they started."""

import os
import shutil
import signal
import tempfile
from pathlib import Path

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.common import procfs
from harness.util import unmount_all_under
from install.conftest import release_server, releases  # noqa: F401 (fixtures)


@pytest.fixture
def root():
    path = Path(tempfile.mkdtemp(prefix="ocirt-role-", dir="/tmp"))  # short: socket paths
    yield path
    pid_file = path / "run" / "containerd.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text())
        if procfs.alive(pid):
            os.kill(pid, signal.SIGTERM)
            procfs.terminate(pid, 10)
    _kill_leftovers(str(path))  # shims of containers the plays started outlive the daemon
    unmount_all_under(str(path))
    shutil.rmtree(path, ignore_errors=True)


def _kill_leftovers(root: str) -> None:
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as f:
                cmdline = f.read().decode(errors="replace")
        except OSError:
            continue
        if root in cmdline:
            try:
                os.kill(int(entry), signal.SIGKILL)
            except OSError:
                pass

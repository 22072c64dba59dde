"""The service module on a read-only file system: one clear failure naming the file, never a
traceback, and no daemon left running that nobody could find again. The directories are
read-only bind mounts (tests run as root, so a chmod would not deny anything)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Iterator

import pytest
from harness.ansible_runner import run_module

MODULE = "ocirt.containerd.service"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="bind mounts need root"),
    pytest.mark.skipif(os.path.isdir("/run/systemd/system"), reason="tests the detached fallback"),
]


@pytest.fixture
def read_only_dir(tmp_path: Path) -> Iterator[Path]:
    ro = tmp_path / "ro"
    ro.mkdir()
    subprocess.run(["mount", "-o", "bind,ro", str(ro), str(ro)], check=True)
    try:
        yield ro
    finally:
        subprocess.run(["umount", str(ro)], check=True)


def _no_traceback(result: dict) -> None:
    assert result["failed"] is True
    assert "Traceback" not in str(result), result  # one fail_json, not a crash
    assert "MODULE FAILURE" not in result["msg"]


def test_log_directory_on_a_read_only_mount(managed, read_only_dir):
    log_file = read_only_dir / "logs" / "containerd.log"
    failed = run_module(MODULE, **managed.args(log_file=str(log_file)))
    _no_traceback(failed)
    assert failed["msg"] == f"the file system is read-only ({read_only_dir / 'logs'})"
    assert not managed.daemon._socket_ready()


def test_pid_file_on_a_read_only_mount(managed, read_only_dir):
    pid_file = read_only_dir / "containerd.pid"
    failed = run_module(MODULE, **managed.args(pid_file=str(pid_file)))
    _no_traceback(failed)
    assert failed["msg"].startswith(f"cannot write {pid_file}: Read-only file system")
    assert not pid_file.exists()
    assert not managed.daemon._socket_ready()  # the daemon it started was stopped again

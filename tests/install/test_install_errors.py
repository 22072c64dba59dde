"""ocirt.containerd.install where the file system says no: one fail_json naming the file,
never a traceback. The read-only directory is a bind mount (tests run as root, so a chmod
would not deny anything)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from harness.ansible_runner import run_module

MODULE = "ocirt.containerd.install"


def _args(tmp_path: Path, release, **extra: str) -> dict:
    return {
        "method": "archive",
        "prefix": str(tmp_path / "prefix"),
        "cni_bin_dir": str(tmp_path / "cni"),
        "manifest_path": str(tmp_path / "state" / "install.json"),
        "runc": {"path": str(release.path), "sha256": release.sha256},
        **extra,
    }


def _one_message(result: dict) -> str:
    assert result["failed"] is True, result
    assert "Traceback" not in str(result) and "MODULE FAILURE" not in result["msg"], result
    return result["msg"]


def test_a_manifest_path_that_is_a_directory(tmp_path, releases):
    for check in (True, False):
        result = run_module(
            MODULE, check=check, **_args(tmp_path, releases["runc"], manifest_path=str(tmp_path))
        )
        assert _one_message(result) == f"Is a directory ({tmp_path})"
    assert not (tmp_path / "prefix").exists()


@pytest.mark.skipif(os.geteuid() != 0, reason="bind mounts need root")
def test_a_read_only_prefix(tmp_path, releases):
    prefix = tmp_path / "prefix"
    (prefix / "sbin").mkdir(parents=True)
    subprocess.run(["mount", "-o", "bind,ro", str(prefix), str(prefix)], check=True)
    try:
        result = run_module(MODULE, **_args(tmp_path, releases["runc"]))
    finally:
        subprocess.run(["umount", str(prefix)], check=True)
    assert _one_message(result).startswith(
        f"installing failed at {prefix / 'sbin' / 'runc'}: Read-only file system"
    )
    assert "already replaced: nothing" in result["msg"]
    assert not (tmp_path / "state" / "install.json").exists()

"""ocirt.containerd.registry when its directory cannot be written or read: one clear failure
naming the file and the reason, never a traceback, and nothing written."""

from __future__ import annotations

import os

from harness.ansible_runner import run_module
from read_only import assert_clean_failure, read_only

TASK = {"host": "registry.test:5000", "server": "https://registry.test:5000"}


def test_read_only_config_path_fails_clearly(tmp_path):
    certs = tmp_path / "certs.d"
    certs.mkdir()
    with read_only(certs):
        result = run_module("ocirt.containerd.registry", config_path=str(certs), **TASK)
    assert_clean_failure(result, "registry.test:5000", "Read-only file system")
    assert os.listdir(certs) == []


def test_a_file_where_the_config_path_should_be_fails_clearly(tmp_path):
    (tmp_path / "certs.d").write_text("not a directory\n")
    result = run_module("ocirt.containerd.registry", config_path=str(tmp_path / "certs.d"),
                        **TASK)
    assert_clean_failure(result, "Not a directory")
    assert (tmp_path / "certs.d").read_text() == "not a directory\n"

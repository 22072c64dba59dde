"""ocirt.containerd.config when the file cannot be written or read: one clear failure
naming the file and the reason, never a traceback, and nothing changed."""

from __future__ import annotations

from harness.ansible_runner import run_module
from harness.daemon import ensure_containerd
from harness.plugin import selected_series
from read_only import assert_clean_failure, read_only

OLD = b"version = 2\n[debug]\n  level = 'info'\n"


def _args(path) -> dict:
    series = selected_series()[0]
    binary = ensure_containerd(series) / "containerd"
    return {"path": str(path), "containerd_binary": str(binary), "debug_level": "debug",
            "config_version": 2 if series.startswith("1.") else 3}


def test_read_only_directory_fails_clearly(tmp_path):
    directory = tmp_path / "etc"
    directory.mkdir()
    (directory / "config.toml").write_bytes(OLD)
    with read_only(directory):
        result = run_module("ocirt.containerd.config", **_args(directory / "config.toml"))
    assert_clean_failure(result, str(directory / "config.toml"), "Read-only file system")
    assert (directory / "config.toml").read_bytes() == OLD


def test_a_file_where_the_directory_should_be_fails_clearly(tmp_path):
    (tmp_path / "etc").write_text("not a directory\n")
    result = run_module("ocirt.containerd.config", **_args(tmp_path / "etc" / "config.toml"))
    assert_clean_failure(result, "Not a directory", str(tmp_path / "etc" / "config.toml"))
    assert (tmp_path / "etc").read_text() == "not a directory\n"

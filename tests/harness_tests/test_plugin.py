"""The pytest plugin itself: version selection and the log tail in failure reports."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from harness.daemon import ALL_SERIES
from harness.plugin import selected_series

TESTS_DIR = Path(__file__).resolve().parents[1]


def test_selected_series(monkeypatch):
    monkeypatch.setenv("OCIRT_CONTAINERD_VERSIONS", " 2.1, 1.6,2.1 ")
    assert selected_series() == ["2.1", "1.6"]
    monkeypatch.delenv("OCIRT_CONTAINERD_VERSIONS")
    assert selected_series() == list(ALL_SERIES)
    monkeypatch.setenv("OCIRT_CONTAINERD_VERSIONS", "1.5")
    with pytest.raises(pytest.UsageError, match=r"1\.5"):
        selected_series()


def test_failure_report_shows_containerd_log(tmp_path):
    """A failing test that used `containerd` gets the daemon's log tail in its report."""
    (tmp_path / "conftest.py").write_text(
        f"import sys\nsys.path.insert(0, {str(TESTS_DIR)!r})\npytest_plugins = ['harness.plugin']\n"
    )
    (tmp_path / "test_fails.py").write_text(
        textwrap.dedent("""
            def test_fails(containerd_namespace, containerd):
                assert containerd.ctr("version", namespace=None).returncode == 0
                assert False, "deliberate"
        """)
    )
    env = dict(os.environ, OCIRT_CONTAINERD_VERSIONS=selected_series()[0])
    r = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir",
         str(tmp_path), str(tmp_path)],
        capture_output=True, text=True, env=env, cwd=tmp_path, stdin=subprocess.DEVNULL,
        timeout=120, check=False,
    )  # fmt: skip
    assert r.returncode == 1, r.stdout + r.stderr
    assert "deliberate" in r.stdout
    assert "containerd " in r.stdout and "last 40 lines" in r.stdout
    assert "level=" in r.stdout.split("last 40 lines", 1)[1]

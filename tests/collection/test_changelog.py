"""CHANGELOG.rst is what antsibull-changelog generates from changelogs/changelog.yaml (nobody
edits it by hand, nobody forgets to regenerate it after a release)."""

from __future__ import annotations

import os
import shutil
import subprocess

from harness.ansible_runner import BIN, REPO

COLLECTION = REPO / "collections" / "ansible_collections" / "ocirt" / "containerd"


def test_changelog_rst_is_generated_from_changelog_yaml(tmp_path):
    for name in ("galaxy.yml", "CHANGELOG.rst"):
        shutil.copy(COLLECTION / name, tmp_path / name)
    shutil.copytree(
        COLLECTION / "changelogs",
        tmp_path / "changelogs",
        ignore=shutil.ignore_patterns(".plugin-cache.yaml"),
    )
    (tmp_path / "CHANGELOG.rst").write_text("stale\n")
    env = dict(os.environ, PATH=f"{BIN}:{os.environ.get('PATH', '')}")
    proc = subprocess.run(
        [str(BIN / "antsibull-changelog"), "generate"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (tmp_path / "CHANGELOG.rst").read_text() == (COLLECTION / "CHANGELOG.rst").read_text(), (
        "CHANGELOG.rst differs from what changelog.yaml generates: run antsibull-changelog "
        "generate in the collection"
    )

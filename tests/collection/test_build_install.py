"""The collection as a user gets it: `ansible-galaxy collection build`, the tarball installed
offline into an empty path, and a module run from that installed copy alone. Catches files
the build leaves out (build_ignore, a module_utils package the tarball lacks) that every
other test misses because it loads the collection from the source tree.

One containerd series is enough: the question is what the tarball holds, not the daemon.
"""

from __future__ import annotations

import json
import re
import subprocess
import tarfile
from pathlib import Path
from typing import List

import pytest
import yaml
from harness.ansible_runner import BIN, MARKER, REPO, ansible_env

COLLECTION = REPO / "collections" / "ansible_collections" / "ocirt" / "containerd"


def _run(argv: List[str], cwd: Path, env: dict) -> subprocess.CompletedProcess:
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert proc.returncode == 0, f"{argv}\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}"
    return proc


def _galaxy(*args: str, cwd: Path) -> None:
    cfg = cwd / "ansible.cfg"  # nothing from the repository's ansible.cfg
    cfg.write_text("[defaults]\n")
    _run(
        [str(BIN / "ansible-galaxy"), "collection", *args],
        cwd,
        ansible_env({"ANSIBLE_CONFIG": str(cfg)}),
    )


@pytest.fixture(scope="module")
def tarball(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ansible-galaxy collection build of the source tree."""
    top = tmp_path_factory.mktemp("galaxy-build")
    _galaxy("build", "--output-path", str(top / "dist"), str(COLLECTION), cwd=top)
    version = yaml.safe_load((COLLECTION / "galaxy.yml").read_text())["version"]
    return top / "dist" / f"ocirt-containerd-{version}.tar.gz"


@pytest.fixture(scope="module")
def installed(tarball: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tarball installed offline into a path of its own; returns that collections path."""
    top = tmp_path_factory.mktemp("galaxy-install")
    _galaxy("install", "--offline", "-p", str(top / "collections"), str(tarball), cwd=top)
    return top / "collections"


def test_tarball_holds_what_users_need_and_nothing_of_the_tests(tarball):
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    for wanted in (
        "README.md",
        "CHANGELOG.rst",
        "changelogs/changelog.yaml",
        "meta/runtime.yml",
        "plugins/modules/info.py",
        "plugins/module_utils/transport/connection.py",
        "plugins/doc_fragments/connection.py",
        "roles/containerd/tasks/main.yml",
        "roles/workloads/meta/argument_specs.yml",
    ):
        assert wanted in names, f"{wanted} missing from the tarball"
    leaked = sorted(
        n
        for n in names
        if n.startswith("tests/output")
        or "__pycache__" in n
        or n.endswith((".pyc", ".tar.gz"))
        or ".plugin-cache" in n
    )
    assert leaked == []


@pytest.mark.containerd_series("2.1")
def test_a_module_runs_from_the_installed_copy(installed, containerd, tmp_path):
    """ansible with ANSIBLE_COLLECTIONS_PATH = only the install path, from a directory with
    no collections beside it; -vvv names the module file it used."""
    cfg = tmp_path / "ansible.cfg"
    cfg.write_text("[defaults]\n")
    env = ansible_env({"ANSIBLE_CONFIG": str(cfg), "ANSIBLE_COLLECTIONS_PATH": str(installed)})
    proc = _run(
        [
            str(BIN / "ansible"),
            "localhost",
            "-vvv",
            "-m",
            "ocirt.containerd.info",
            "-a",
            f"address={containerd.address}",
        ],
        tmp_path,
        env,
    )
    used = re.findall(r"Using module file (\S+)", proc.stdout)
    assert used and all(u.startswith(str(installed)) for u in used), used
    (line,) = [x for x in proc.stdout.splitlines() if x.startswith(MARKER)]
    result = json.loads(line[len(MARKER) :])["result"]
    assert result.get("failed") is not True, result
    server = containerd.ctr("version").stdout.split("Server:", 1)[1]
    assert f"Version:  {result['version']}" in server


def test_installed_role_documents_its_variables(installed, tmp_path):
    """ansible-doc reads the role's argument_specs from the installed copy."""
    env = ansible_env(
        {"ANSIBLE_CONFIG": str(tmp_path / "none.cfg"), "ANSIBLE_COLLECTIONS_PATH": str(installed)}
    )
    proc = _run(
        [str(BIN / "ansible-doc"), "-t", "role", "--json", "ocirt.containerd.containerd"],
        tmp_path,
        env,
    )
    doc = json.loads(proc.stdout)["ocirt.containerd.containerd"]
    assert str(installed) in doc["path"]
    assert "containerd_profile" in doc["entry_points"]["main"]["options"]

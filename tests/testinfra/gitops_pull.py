"""Pull mode: a node that applies its state from a git repository on a systemd timer.

Only molecule/gitops runs this file (its verifier names it in additional_files_or_dirs); it
is not called test_*.py so that the other scenarios, which verify with every test_*.py of
this directory, do not collect it. It needs the controller's side too: the bare repository
the node pulls from, $MOLECULE_EPHEMERAL_DIRECTORY/git/state.git (molecule/shared/
gitserver.py), or OCIRT_GITOPS_REPO. The test commits to it there and waits for the node.

Driven by ocirt_test_gitops (conftest.py: fails when not declared), a mapping with:
  checkout  where ansible-pull checks the repository out on the node
  document  the state document's path in the repository
  agent     the node agent (ocirt.pyz), run with the node's python3 for `ocirt diff`
  service, timer   the systemd units that run ansible-pull
  ansible_pull  the ansible-pull the service runs (ansible-core installed from wheels)
  timeout   seconds to wait for the node to converge after a commit (bounded)
and ocirt_test_namespace, the namespace of the document's containers.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any, Dict, Tuple

import pytest

BRANCH = "main"
POLL = 5.0
IDENTITY = {
    "GIT_AUTHOR_NAME": "ocirt testinfra",
    "GIT_AUTHOR_EMAIL": "testinfra@ocirt.test",
    "GIT_COMMITTER_NAME": "ocirt testinfra",
    "GIT_COMMITTER_EMAIL": "testinfra@ocirt.test",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(scope="module")
def pull(declared: Any) -> Dict[str, Any]:
    return dict(declared.need("ocirt_test_gitops"))


@pytest.fixture(scope="module")
def repo() -> Path:
    given = os.environ.get("OCIRT_GITOPS_REPO")
    eph = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY")
    path = Path(given) if given else Path(eph or "/nonexistent") / "git" / "state.git"
    if not (path / "HEAD").is_file():
        pytest.fail(f"no bare repository at {path} (set OCIRT_GITOPS_REPO outside Molecule)")
    return path


def _git(*args: str, cwd: Path) -> str:
    out = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **IDENTITY},
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


def _node_at(host: Any, pull: Dict[str, Any]) -> Tuple[str, str]:
    """The commit checked out on the node, and whether ansible-pull is running right now."""
    res = host.run(
        "git -C %s rev-parse HEAD 2>/dev/null || echo none; systemctl is-active %s",
        pull["checkout"],
        pull["service"],
    )
    words = res.stdout.split()
    return words[0], words[-1]


def _diff(host: Any, pull: Dict[str, Any]) -> Any:
    document = f"{pull['checkout']}/{pull['document']}"
    return host.run("python3 %s diff -f %s", pull["agent"], document)


def _journal(host: Any, pull: Dict[str, Any]) -> str:
    return host.run("journalctl -u %s -n 60 --no-pager", pull["service"]).stdout


def wait_converged(host: Any, pull: Dict[str, Any], head: str) -> float:
    """Seconds until the node has checked out ``head`` and `ocirt diff` exits 0 on it.

    `ocirt diff` (tens of seconds under emulation) runs only once the run of ansible-pull
    that checked ``head`` out has finished, and again after each later run if it failed.
    """
    start = time.monotonic()
    deadline = start + float(pull["timeout"])
    seen, diffed = "", False
    while time.monotonic() < deadline:
        at, state = _node_at(host, pull)
        if at != head:
            seen = f"the node's checkout is at {at}"
        elif state == "activating":
            diffed = False  # a run is applying it: diff (again) after that run
        elif not diffed:
            diff = _diff(host, pull)
            if diff.rc == 0:
                return time.monotonic() - start
            seen, diffed = f"ocirt diff exited {diff.rc}:\n{diff.stdout}{diff.stderr}", True
        time.sleep(POLL)
    pytest.fail(
        f"the node did not converge to {head} within {pull['timeout']} s; {seen}\n"
        f"{_journal(host, pull)}"
    )


def test_timer_runs_ansible_pull(host: Any, pull: Dict[str, Any]) -> None:
    timer = host.service(pull["timer"])
    assert timer.is_running, host.run("systemctl status %s", pull["timer"]).stdout
    assert timer.is_enabled
    unit = host.run("systemctl cat %s", pull["service"]).stdout
    assert "ansible-pull" in unit, unit


def test_node_runs_the_controllers_ansible_core(host: Any, pull: Dict[str, Any]) -> None:
    # the collection needs ansible-core >= 2.19: the node runs the one the controller has
    out = host.check_output("%s --version", pull["ansible_pull"])
    assert f"core {importlib.metadata.version('ansible-core')}]" in out, out


def test_node_converged_to_the_repository(host: Any, pull: Dict[str, Any], repo: Path) -> None:
    head = _git("rev-parse", BRANCH, cwd=repo)
    seconds = wait_converged(host, pull, head)
    print(f"converged to {head[:12]} {seconds:.0f} s after verify began")
    result = host.run("systemctl show -p Result --value %s", pull["service"]).stdout.strip()
    assert result == "success", _journal(host, pull)


def _commit_second_container(repo: Path, work: Path, document: str, revision: str) -> str:
    _git("clone", "-q", "-b", BRANCH, str(repo), str(work), cwd=repo)
    doc = json.loads((work / document).read_text())
    web = next(c for c in doc["containers"] if c["name"] == "web")
    second = {**web, "name": "second", "labels": {"ocirt.test/revision": revision}}
    doc["containers"] = [c for c in doc["containers"] if c["name"] != "second"] + [second]
    (work / document).write_text(json.dumps(doc, indent=2) + "\n")
    _git("commit", "-q", "-am", f"second container, revision {revision}", cwd=work)
    _git("push", "-q", "origin", BRANCH, cwd=work)
    return _git("rev-parse", "HEAD", cwd=work)


def test_commit_converges_on_next_tick(
    host: Any, pull: Dict[str, Any], repo: Path, declared: Any, tmp_path: Path
) -> None:
    ns = declared.need("ocirt_test_namespace")
    revision = uuid.uuid4().hex[:12]
    head = _commit_second_container(repo, tmp_path / "work", pull["document"], revision)
    seconds = wait_converged(host, pull, head)
    print(f"commit {head[:12]} applied on the node within {seconds:.0f} s")
    info = json.loads(host.check_output("ctr -n %s containers info second", ns))
    assert info["Labels"].get("ocirt.test/revision") == revision, info["Labels"]
    tasks = host.check_output("ctr -n %s tasks ls", ns).splitlines()[1:]
    status = {c[0]: c[2] for c in (line.split() for line in tasks) if len(c) >= 3}
    assert status.get("second") == "RUNNING" and status.get("web") == "RUNNING", status

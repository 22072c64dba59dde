"""deploy.py, the pyinfra reference deployment, run by the real pyinfra CLI on @local
against the harness's private containerd (its address and a fresh namespace given as host
data, never the machine's own daemon): the first run changes, the second says "No changes"
for every operation with the demo container's pid unchanged, and an edit (another memory
limit) then ``--dry`` shows that one change and nothing else. The node's side runs as a
node runs it: the agent uploaded by the deploy, run by Debian's /usr/bin/python3 (no
virtualenv on PATH)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PYINFRA = Path(sys.executable).with_name("pyinfra")


def _node_path() -> str:
    return ":".join(p for p in os.environ.get("PATH", "").split(":") if ".venv" not in p)


@pytest.fixture
def deploy(containerd, containerd_namespace, tmp_path):
    """Run deploy.py with pyinfra; returns (exit code, stdout JSON or text, stderr)."""
    agent = tmp_path / "dist" / "ocirt.pyz"
    built = subprocess.run(
        ["bash", str(ROOT / "scripts" / "build-agent.sh"), str(agent)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    data = {
        "ocirt_address": containerd.address,
        "ocirt_namespace": containerd_namespace,
        "ocirt_agent_src": str(agent),
        "ocirt_agent": str(tmp_path / "node" / "ocirt.pyz"),
        "ocirt_python": "/usr/bin/python3",  # Debian's, with python3-grpcio (not pyenv's)
        "ocirt_archive_dir": str(tmp_path / "node" / "images"),
        "demo_image_archive": str(tmp_path / "demo-image.tar"),
    }
    env = {**os.environ, "PATH": _node_path()}
    for key in ("CONTAINERD_ADDRESS", "CONTAINERD_NAMESPACE", "VIRTUAL_ENV"):
        env.pop(key, None)

    def run(*args: str, **more: str) -> subprocess.CompletedProcess:
        flags = [f"--data={k}={v}" for k, v in {**data, **more}.items()]
        return subprocess.run(
            [str(PYINFRA), *args, *flags, "@local", str(ROOT / "deploy.py")],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=240,
        )

    yield run
    for verb in (["task", "kill", "-s", "SIGKILL"], ["task", "rm", "-f"], ["containers", "rm"]):
        containerd.ctr(*verb, "ocirt-demo", namespace=containerd_namespace, check=False)
    shutil.rmtree(f"/run/containerd/runc/{containerd_namespace}", ignore_errors=True)


def _results(ran: subprocess.CompletedProcess) -> dict:
    assert ran.returncode == 0, ran.stderr
    return {op["name"]: op for op in json.loads(ran.stdout)["results"]["operations"]}


def _demo_task(containerd, namespace) -> str:
    tasks = containerd.ctr("task", "ls", namespace=namespace).stdout.splitlines()[1:]
    return next(line for line in tasks if line.split()[0] == "ocirt-demo")


def test_deploy_converges_then_no_changes_then_dry_shows_the_one_edit(
    deploy, containerd, containerd_namespace
):
    first = _results(deploy("-y", "--json"))
    assert first["Demo image and container"]["success"] == ["@local"], first
    assert first["Demo image archive"]["success"] == ["@local"], first
    task = _demo_task(containerd, containerd_namespace)
    assert task.split()[-1] == "RUNNING", task
    images = containerd.ctr("images", "ls", "-q", namespace=containerd_namespace).stdout
    assert images.split() == ["demo.ocirt.local/busybox:1"]

    second_run = deploy("-y", "--json", "-v")
    second = _results(second_run)
    # -v logs each fact's arguments: the document on stdin shows only its placeholder
    assert "_stdin=<ocirt state document>" in second_run.stderr, second_run.stderr
    assert {name: op["no_change"] for name, op in second.items()} == {
        name: ["@local"] for name in first
    }, second_run.stderr
    assert _demo_task(containerd, containerd_namespace) == task  # same pid: not restarted

    dry = deploy("--dry", "--diff", demo_memory="96m")
    assert dry.returncode == 0, dry.stderr
    changes = [line.strip() for line in dry.stderr.splitlines() if ": recreate (" in line]
    assert changes == ["[@local] container ocirt-demo: recreate (configuration differs: memory)"]
    assert '-    "memory": 67108864,' in dry.stderr, dry.stderr  # --diff: before/after
    assert '+    "memory": 100663296,' in dry.stderr, dry.stderr
    planned = json.loads(deploy("--dry", "--json", demo_memory="96m").stdout)["plan"]
    assert {op["name"]: op["hosts_with_change"] for op in planned} == {
        "ocirt node agent, python3-grpcio, python3-tomlkit, python3-yaml": [],
        "Demo image archive": [],
        "Demo image and container": ["@local"],
    }
    assert _demo_task(containerd, containerd_namespace) == task  # a dry run changes nothing

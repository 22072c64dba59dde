"""deploy.py, the pyinfra reference deployment, run by the real pyinfra CLI on @local
against a private containerd that the deploy itself configures and starts (the harness's
files, given as host data: its config.toml, root, state, socket, pid and log file, the
detached service manager; never the machine's own daemon; installing is left out, as it
would be this machine's apt): the first run writes config.toml, starts containerd, imports
the demo image and runs the demo container; the second says "No changes" for every
operation with containerd's and the demo container's pids unchanged; an edit (another
memory limit) then ``--dry`` shows that one change and nothing else, and a config.toml edit
``--dry`` shows the config change and the restart it brings. The node's side runs as a node
runs it: the agent uploaded by the deploy, run by Debian's /usr/bin/python3 (no virtualenv
on PATH)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from harness.agent import build_agent
from harness.daemon import ContainerdDaemon, ensure_containerd
from harness.plugin import selected_series
from harness.util import kill_tree

ROOT = Path(__file__).resolve().parents[2]
PYINFRA = Path(sys.executable).with_name("pyinfra")


def _node_path() -> str:
    return ":".join(p for p in os.environ.get("PATH", "").split(":") if ".venv" not in p)


NAMESPACE = "pyinfra-deploy"


@pytest.fixture(params=selected_series(), ids=str)
def containerd(request, tmp_path):
    """The harness's files for a containerd that the deploy starts (never .start()ed)."""
    ensure_containerd(request.param)
    daemon = ContainerdDaemon(request.param)
    daemon.pid_file = daemon.tmpdir / "containerd.pid"
    yield daemon
    if daemon._socket_ready():
        daemon.kill_all_tasks()
    if daemon.pid_file.exists():
        try:
            pid = int(daemon.pid_file.read_text())
            os.kill(pid, signal.SIGTERM)
            kill_tree(pid)
        except (ValueError, ProcessLookupError):
            pass
    daemon.stop()


@pytest.fixture
def deploy(containerd, tmp_path):
    """Run deploy.py with pyinfra; returns (exit code, stdout JSON or text, stderr)."""
    agent = build_agent(tmp_path / "dist" / "ocirt.pyz")
    data = {
        "ocirt_address": containerd.address,
        "ocirt_namespace": NAMESPACE,
        "ocirt_agent_src": str(agent),
        "ocirt_agent": str(tmp_path / "node" / "ocirt.pyz"),
        "ocirt_python": "/usr/bin/python3",  # Debian's, with python3-grpcio (not pyenv's)
        "ocirt_archive_dir": str(tmp_path / "node" / "images"),
        "demo_image_archive": str(tmp_path / "demo-image.tar"),
        "containerd_install_enabled": "false",
        "containerd_config_path": str(containerd.config_path),
        "containerd_binary": str(containerd.containerd_bin),
        "containerd_root_dir": str(containerd.root),
        "containerd_state_dir": str(containerd.state),
        "containerd_registry_config_path": str(containerd.hosts_dir),
        "containerd_service_manager": "detached",
        "containerd_service_pid_file": str(containerd.pid_file),
        "containerd_service_log_file": str(containerd.tmpdir / "service.log"),
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
    if containerd._socket_ready():
        for verb in (["task", "kill", "-s", "SIGKILL"], ["task", "rm", "-f"], ["containers", "rm"]):
            containerd.ctr(*verb, "ocirt-demo", namespace=NAMESPACE, check=False)
    shutil.rmtree(f"/run/containerd/runc/{NAMESPACE}", ignore_errors=True)


def _results(ran: subprocess.CompletedProcess) -> dict:
    assert ran.returncode == 0, ran.stderr
    return {op["name"]: op for op in json.loads(ran.stdout)["results"]["operations"]}


def _demo_task(containerd, namespace) -> str:
    tasks = containerd.ctr("task", "ls", namespace=namespace).stdout.splitlines()[1:]
    return next(line for line in tasks if line.split()[0] == "ocirt-demo")


def test_deploy_converges_then_no_changes_then_dry_shows_the_one_edit(deploy, containerd):
    first = _results(deploy("-y", "--json"))
    for name in ("config.toml for the profile plain-host", "Demo image and container"):
        assert first[name]["success"] == ["@local"], first
    started = first["containerd running (restarted if the install or config.toml changed it)"]
    assert started["success"] == ["@local"], first
    daemon = int(containerd.pid_file.read_text())
    task = _demo_task(containerd, NAMESPACE)
    assert task.split()[-1] == "RUNNING", task
    images = containerd.ctr("images", "ls", "-q", namespace=NAMESPACE).stdout
    assert images.split() == ["demo.ocirt.local/busybox:1"]
    assert "io.containerd.grpc.v1.cri" in containerd.config_path.read_text()  # the profile

    second_run = deploy("-y", "--json", "-v")
    second = _results(second_run)
    # -v logs each fact's arguments: the document on stdin shows only its placeholder
    assert "_stdin=<ocirt state document>" in second_run.stderr, second_run.stderr
    assert {name: op["no_change"] for name, op in second.items()} == {
        name: ["@local"] for name in first
    }, second_run.stderr
    assert int(containerd.pid_file.read_text()) == daemon  # containerd not restarted
    assert _demo_task(containerd, NAMESPACE) == task  # same pid: not restarted

    dry = deploy("--dry", "--diff", demo_memory="96m")
    assert dry.returncode == 0, dry.stderr
    changes = [line.strip() for line in dry.stderr.splitlines() if ": recreate (" in line]
    assert changes == ["[@local] container ocirt-demo: recreate (configuration differs: memory)"]
    assert '-    "memory": 67108864,' in dry.stderr, dry.stderr  # --diff: before/after
    assert '+    "memory": 100663296,' in dry.stderr, dry.stderr
    planned = json.loads(deploy("--dry", "--json", demo_memory="96m").stdout)["plan"]
    assert {op["name"]: op["hosts_with_change"] for op in planned} == {
        **{name: [] for name in first},
        "Demo image and container": ["@local"],
    }
    assert _demo_task(containerd, NAMESPACE) == task  # a dry run changes nothing

    edit = json.loads(
        deploy("--dry", "--json", containerd_config_settings='{"oom_score": -10}').stdout
    )
    changed = {op["name"] for op in edit["plan"] if op["hosts_with_change"]}
    assert changed == {
        "config.toml for the profile plain-host",
        "containerd running (restarted if the install or config.toml changed it)",
    }, edit
    assert int(containerd.pid_file.read_text()) == daemon

"""Two ansible-playbook runs converging one node at once.

The node's state is read with containerd's own ctr afterwards: the containers listed and
nothing else, one running task each, one active snapshot per container and no other, no
ocirt lease, the image recorded once; then one more run must report no change and leave
every task's pid as it was.

What is acceptable for two runs at once: both succeed, or one of them fails naming the
container the other one created first (an "already exists" error); the winner's run, or
the next run, converges. Anything else (a traceback, a second container, a stray snapshot,
a run that hangs) is a defect.

Two series (1.6, 2.1): the races are between ocirt's calls to containerd's metadata store,
whose locking differs between 1.x and 2.x; 1.7 sits between them.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from typing import Dict, List, Optional, Tuple

import pytest
from harness.ansible_runner import BIN, MARKER, REPO, ansible_env, run_playbook
from harness.images import busybox_image, push

pytestmark = [pytest.mark.containerd_series("1.6", "2.1"), pytest.mark.timeout(420)]

#: A container that stops at once on SIGTERM (sh as PID 1 would ignore it otherwise).
COMMAND = ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]


@pytest.fixture(scope="module")
def image(registry_http) -> str:
    push(registry_http, "ocirt/concurrency", "1", busybox_image())
    return f"{registry_http.host}/ocirt/concurrency:1"


def containers_task(containerd, ns: str, image: str, names: List[str], group: str) -> dict:
    items = [{"name": n, "image": image, "command": COMMAND} for n in names]
    return {
        "name": "converge",
        "ocirt.containerd.containers": {
            "address": containerd.address,
            "namespace": ns,
            "group": group,
            "registry_config_path": "/nonexistent",
            "containers": items,
        },
        "ignore_errors": True,
    }


def start_playbook(tasks: List[dict], environ: Optional[Dict[str, str]] = None):
    """ansible-playbook in its own session (so its whole process group can be killed)."""
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    fd, path = tempfile.mkstemp(suffix=".yml", prefix="ocirt-play-")
    with os.fdopen(fd, "w") as f:
        json.dump(play, f)
    proc = subprocess.Popen(
        [str(BIN / "ansible-playbook"), path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
        env=ansible_env(environ),
        start_new_session=True,
    )
    return proc, path


def finish_playbook(proc: subprocess.Popen, path: str, timeout: float = 300) -> List[dict]:
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        os.unlink(path)
    results = [
        json.loads(line[len(MARKER) :])["result"]
        for line in out.splitlines()
        if line.startswith(MARKER)
    ]
    assert results, f"ansible-playbook reported no task result:\n{out}\n{err}"
    return results


# ------------------------------------------------------------------ the node's state


def ctr_rows(containerd, ns: str, *args: str) -> List[List[str]]:
    return [line.split() for line in containerd.ctr(*args, namespace=ns).stdout.splitlines()[1:]]


def tasks_by_name(containerd, ns: str) -> Dict[str, Tuple[str, str]]:
    """{container: (pid, status)} from `ctr task ls`."""
    return {r[0]: (r[1], r[2]) for r in ctr_rows(containerd, ns, "task", "ls")}


def active_snapshots(containerd, ns: str) -> List[str]:
    rows = ctr_rows(containerd, ns, "snapshots", "ls")
    return sorted(r[0] for r in rows if r[-1] == "Active")


def ocirt_leases(containerd, ns: str) -> List[str]:
    return [r[0] for r in ctr_rows(containerd, ns, "leases", "ls")]


def assert_converged(containerd, ns: str, names: List[str], image: str) -> Dict[str, str]:
    """Exactly ``names`` exist, each with one running task and its one snapshot; returns
    {name: pid}."""
    containers = sorted(containerd.ctr("containers", "ls", "-q", namespace=ns).stdout.split())
    assert containers == sorted(names)
    tasks = tasks_by_name(containerd, ns)
    assert sorted(tasks) == sorted(names) and {s for _, s in tasks.values()} == {"RUNNING"}
    assert active_snapshots(containerd, ns) == sorted(names), "a stray or missing snapshot"
    images = containerd.ctr("images", "ls", "-q", namespace=ns).stdout.split()
    assert images == [image]
    return {name: pid for name, (pid, _) in tasks.items()}


def assert_rerun_changes_nothing(containerd, ns, image, names, group, pids) -> None:
    again = run_playbook([containers_task(containerd, ns, image, names, group)])[0]
    assert again["failed"] is False and again["changed"] is False, again
    assert assert_converged(containerd, ns, names, image) == pids


# ------------------------------------------------------------------ the tests


def _acceptable(result: dict) -> bool:
    if not result["failed"]:
        return True
    msg = result.get("msg", "")
    return "already exists" in msg and "Traceback" not in json.dumps(result)


def test_two_runs_at_once_converge_the_same_set(containerd, containerd_namespace, image):
    ns, group = containerd_namespace, "pair"
    names = [f"c{i}" for i in range(6)]
    task = containers_task(containerd, ns, image, names, group)
    runs = [start_playbook([task]) for _ in range(2)]  # both pull the image, both create
    first, second = (finish_playbook(proc, path)[0] for proc, path in runs)

    assert _acceptable(first) and _acceptable(second), (first, second)
    assert not (first["failed"] and second["failed"]), "both runs failed"
    winner = second if first["failed"] else first
    assert [c["status"] for c in winner["containers"]] == ["running"] * len(names)
    # a failed entry lists what its plan meant to do; the loser's create is what failed
    creations = [
        c["name"]
        for run in (first, second)
        for c in run.get("containers", [])
        if not c.get("failed")
        for action in c["actions"]
        if action["action"] == "create"
    ]
    assert sorted(creations) == sorted(set(creations)), "a container was created twice"
    assert ocirt_leases(containerd, ns) == []
    pids = assert_converged(containerd, ns, names, image)
    assert_rerun_changes_nothing(containerd, ns, image, names, group, pids)

"""A module killed (SIGKILL) while it creates containers, then the same run again.

The rerun must converge: every listed container running once, one snapshot each, then no
change on a further run. When the kill lands while containerd waits on the shim's Create
(most runs on 2.1, some on 1.7), containerd keeps the task's bundle for a few seconds and
then runc's state of the created container; task_recovery waits that out.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Dict

import pytest
from harness.ansible_runner import run_playbook

from faults.test_concurrency import (
    assert_converged,
    assert_rerun_changes_nothing,
    containers_task,
    image,  # noqa: F401  (the fixture)
    start_playbook,
)

# All three series (about 10 s each): the kill lands at other points of the Create on each.
pytestmark = [pytest.mark.containerd_series("1.6", "1.7", "2.1"), pytest.mark.timeout(420)]


def _wait_for_some_container(containerd, ns: str, proc, limit: float) -> int:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and proc.poll() is None:
        out = containerd.ctr("containers", "ls", "-q", namespace=ns, check=False).stdout
        if out.split():
            return len(out.split())
        time.sleep(0.05)
    raise AssertionError(f"no container appeared within {limit} s (run ended: {proc.poll()})")


def _module_processes(marker: str) -> Dict[int, bytes]:
    """{pid: argv} of the processes of one run, recognised by ``marker`` in their env."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            environ = Path(f"/proc/{pid}/environ").read_bytes()
            argv = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if marker.encode() in environ.split(b"\0"):
            found[int(pid)] = argv
    return found


def kill_run(marker: str) -> Dict[int, bytes]:
    """SIGKILL every process of a run: Ansible's workers call setsid(), so killing
    ansible-playbook's process group would leave the module running. The module goes first."""
    processes = _module_processes(marker)
    for pid in sorted(processes, key=lambda p: b"AnsiballZ" not in processes[p]):
        try:
            group = os.getpgid(pid)
            if group != os.getpgid(0):  # never the test's own group
                os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return processes


def test_module_killed_mid_apply_then_run_again(containerd, containerd_namespace, image):  # noqa: F811
    ns, group = containerd_namespace, "killed"
    names = [f"k{i}" for i in range(8)]
    task = containers_task(containerd, ns, image, names, group)
    marker = f"OCIRT_KILL_RUN={os.urandom(6).hex()}"
    proc, path = start_playbook([task], dict([marker.split("=")]))
    try:
        existing = _wait_for_some_container(containerd, ns, proc, limit=120)
        killed = kill_run(marker)
        proc.wait(timeout=30)
    finally:
        kill_run(marker)
        os.unlink(path)
    assert any(b"AnsiballZ_containers" in argv for argv in killed.values()), killed
    deadline = time.monotonic() + 10
    while _module_processes(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _module_processes(marker) == {}, "a process of the killed run outlived it"
    assert 1 <= existing <= len(names)

    rerun = run_playbook([task])[0]
    assert rerun["failed"] is False, rerun
    assert [c["status"] for c in rerun["containers"]] == ["running"] * len(names)
    pids = assert_converged(containerd, ns, names, image)
    assert_rerun_changes_nothing(containerd, ns, image, names, group, pids)

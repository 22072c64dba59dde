"""containerd SIGKILLed in the middle of converging 20 containers through the containers
module: the run fails saying so, the same run after containerd is back converges, and
nothing ocirt manages is lost, duplicated or left half-made."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import stat
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.paths import daemon_key
from harness.ansible_runner import run_module
from harness.daemon import ContainerdDaemon
from harness.images import busybox_image, write_oci_archive

IMAGE = "example.test/faults/busybox:1"
COUNT = 20
KILL_AT = "app07"  # containerd is killed while it creates this container's task
LOG_ROOT = Path("/var/log/ocirt")


@pytest.fixture
def own_daemon(containerd, tmp_path) -> Iterator[ContainerdDaemon]:
    """A daemon of the session's series that this test may SIGKILL."""
    daemon = ContainerdDaemon(containerd.series).start()
    try:
        yield daemon
    finally:
        daemon.stop()


def desired(ns: str, daemon: ContainerdDaemon, generation: str = "a") -> Dict[str, Any]:
    containers = [
        {
            "name": f"app{i:02d}",
            "image": IMAGE,
            "command": ["sh", "-c", "trap 'exit 0' TERM; while true; do sleep 0.2; done"],
            "restart_policy": "always" if i % 2 else "no",
            "env": {"INDEX": f"{i}{generation}"},
        }
        for i in range(COUNT)
    ]
    return {
        "address": daemon.address,
        "namespace": ns,
        "containers": containers,
        "registry_config_path": "/nonexistent",
    }


def ctr_lines(daemon: ContainerdDaemon, ns: str, *args: str) -> List[str]:
    return daemon.ctr(*args, namespace=ns, check=False, timeout=30).stdout.splitlines()


def sigkill_during_task_create(daemon: ContainerdDaemon, ns: str, name: str) -> bool:
    """SIGKILL containerd while it creates the task of ``name``: its shim's bundle exists,
    runc has not written the init pid yet. Whether that window was hit (else it is killed
    just after)."""
    bundle = Path(daemon.state) / "io.containerd.runtime.v2.task" / ns / name
    deadline = time.monotonic() + 240
    while not bundle.exists() and time.monotonic() < deadline:
        time.sleep(0.002)
    hit = bundle.exists() and not (bundle / "init.pid").exists()
    assert daemon.proc is not None
    daemon.proc.send_signal(signal.SIGKILL)
    daemon.proc.wait(timeout=30)
    daemon.proc = None
    return hit


def sigkill_during_remove(daemon: ContainerdDaemon, ns: str, name: str) -> bool:
    """SIGKILL containerd as soon as the remove of ``name`` has deleted its task (its
    bundle is gone), before the record and snapshot are; whether that point was seen."""
    bundle = Path(daemon.state) / "io.containerd.runtime.v2.task" / ns / name
    deadline = time.monotonic() + 240
    while bundle.exists() and time.monotonic() < deadline:
        time.sleep(0.002)
    hit = not bundle.exists()
    assert daemon.proc is not None
    daemon.proc.send_signal(signal.SIGKILL)
    daemon.proc.wait(timeout=30)
    daemon.proc = None
    return hit


def interrupted_run(args: Dict[str, Any], kill: Callable[[], bool]) -> bool:
    """Run the containers module and ``kill`` containerd meanwhile; the module must fail
    saying so, and changed. What ``kill`` returned."""
    results: List[Dict[str, Any]] = []
    run = threading.Thread(
        target=lambda: results.append(run_module("ocirt.containerd.containers", **args))
    )
    run.start()
    hit = kill()
    run.join(timeout=300)
    assert not run.is_alive(), "the module did not return after containerd died"
    assert results[0].get("failed") is True, results[0]
    assert "containerd" in results[0]["msg"], results[0]["msg"]
    # containers before the one it failed on were converged: the failure says changed
    assert results[0]["changed"] is True, results[0]
    return hit


def check_nothing_stray(daemon: ContainerdDaemon, ns: str) -> None:
    """One record, one running task and one active snapshot per container; no ocirt lease
    or FIFO left, one log file per container."""
    names = sorted(f"app{i:02d}" for i in range(COUNT))
    assert sorted(ctr_lines(daemon, ns, "containers", "ls", "-q")) == names
    tasks = [line.split() for line in ctr_lines(daemon, ns, "tasks", "ls")[1:]]
    assert sorted((t[0], t[2]) for t in tasks) == [(n, "RUNNING") for n in names]
    active = [
        line.split()[0]
        for line in ctr_lines(daemon, ns, "snapshots", "ls")[1:]
        if line.split()[-1] == "Active"
    ]
    assert sorted(active) == names
    leases = [line for line in ctr_lines(daemon, ns, "leases", "ls", "-q") if "ocirt" in line]
    assert leases == []
    # each live shim keeps its own log FIFO in its task's state dir; nothing else may
    live = {Path(daemon.state) / "io.containerd.runtime.v2.task" / ns / n / "log" for n in names}
    fifos = [
        p
        for p in Path(daemon.tmpdir).rglob("*")
        if not p.is_symlink() and p.exists() and stat.S_ISFIFO(p.stat().st_mode)
    ]
    assert sorted(map(str, set(fifos) - live)) == []
    logs = LOG_ROOT / daemon_key(daemon.address) / ns  # the log driver's, one per daemon
    assert sorted(p.name for p in logs.iterdir()) == [n + "-json.log" for n in names]


# heavy (20 containers, five converges, two daemon kills): the series Debian 12 ships only
@pytest.mark.containerd_series("1.6")
def test_sigkill_of_containerd_while_converging_20_containers(own_daemon, tmp_path):
    ns = f"faults-{secrets.token_hex(3)}"
    archive = write_oci_archive(busybox_image(), tmp_path / "busybox.tar", ref_name=IMAGE)
    own_daemon.ctr("images", "import", str(archive), namespace=ns)
    args = desired(ns, own_daemon)
    try:
        hit = interrupted_run(args, lambda: sigkill_during_task_create(own_daemon, ns, KILL_AT))
        print(f"containerd killed {'during' if hit else 'just after'} the Create of {KILL_AT}")

        own_daemon.start()
        converged = run_module("ocirt.containerd.containers", **args)
        assert not converged.get("failed") and converged["changed"] is True, converged
        assert all(c["status"] == "running" for c in converged["containers"]), converged
        check_nothing_stray(own_daemon, ns)
        again = run_module("ocirt.containerd.containers", **args)
        assert not again.get("failed") and again["changed"] is False, again

        # every container recreated (env differs); containerd killed during a remove
        changed = desired(ns, own_daemon, generation="b")
        hit = interrupted_run(changed, lambda: sigkill_during_remove(own_daemon, ns, KILL_AT))
        print(f"containerd killed {'during' if hit else 'after'} the remove of {KILL_AT}")
        own_daemon.start()
        converged = run_module("ocirt.containerd.containers", **changed)
        assert not converged.get("failed") and converged["changed"] is True, converged
        check_nothing_stray(own_daemon, ns)
        again = run_module("ocirt.containerd.containers", **changed)
        assert not again.get("failed") and again["changed"] is False, again
    finally:
        own_daemon.cleanup_namespace(ns)
        shutil.rmtree(LOG_ROOT / ns, ignore_errors=True)
        os.sync()

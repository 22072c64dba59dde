"""Create, start, stop, kill, restart, remove against the private containerd, checked with
containerd's own ctr where it can see the result."""

import json
import os
import subprocess
import time

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.api import leases, snapshots
from ansible_collections.ocirt.containerd.plugins.module_utils.common import procfs
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    AlreadyExists,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers import (
    inspect,
    lifecycle,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.exec import (
    exec_command,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.labels import CREATOR
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.logs import read_log
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.record import (
    get_container,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.state import (
    container_state,
)

TRAP_TERM = [
    "sh",
    "-c",
    "trap 'echo got TERM; exit 3' TERM; echo ready; while true; do sleep 0.1; done",
]


def wait_for(predicate, timeout, interval=0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return predicate()


def ctr_task_line(containerd, ns, cid):
    for line in containerd.ctr("task", "ls", namespace=ns).stdout.splitlines()[1:]:
        cols = line.split()
        if cols and cols[0] == cid:
            return cols
    return None


def test_lifecycle(conn, make, containerd, containerd_namespace, paths):
    made = make("life", start=False, command=TRAP_TERM)
    assert container_state(conn, "life")["status"] == "created"
    started = lifecycle.start(conn, "life")
    assert started["changed"] and started["pid"] > 0
    assert lifecycle.start(conn, "life")["changed"] is False  # idempotent
    state = container_state(conn, "life")
    assert state["status"] == "running" and state["pid"] == started["pid"]
    assert state["started_at"] is not None
    assert ctr_task_line(containerd, containerd_namespace, "life") == [
        "life",
        str(started["pid"]),
        "RUNNING",
    ]
    assert wait_for(lambda: b"ready" in read_log(made["log_path"])["data"], 10)

    stopped = lifecycle.stop(conn, "life", timeout=10)
    assert stopped["exit_code"] == 3 and stopped["killed"] is False
    assert b"got TERM" in read_log(made["log_path"])["data"]
    state = container_state(conn, "life")
    assert state["status"] == "stopped" and state["exit_code"] == 3
    assert ctr_task_line(containerd, containerd_namespace, "life") is None
    assert lifecycle.stop(conn, "life")["changed"] is False

    again = lifecycle.start(conn, "life")
    assert again["pid"] != started["pid"]
    with pytest.raises(lifecycle.ContainerRunning, match="stop it first or remove it with force"):
        lifecycle.remove(conn, "life")
    assert lifecycle.remove(conn, "life", force=True)["changed"]
    assert containerd.ctr("containers", "ls", "-q", namespace=containerd_namespace).stdout == ""
    assert snapshots.stat_snapshot(conn, "overlayfs", "life") is None
    assert not os.path.exists(made["log_path"])
    assert [s for s in containerd.shim_processes() if s[1] == containerd_namespace] == []
    assert lifecycle.remove(conn, "life")["changed"] is False


def test_stop_escalates_to_sigkill(conn, make):
    # sleep as pid 1 ignores SIGTERM (no handler): stop must fall back to SIGKILL
    make("stubborn", command=["sleep", "3600"])
    stopped = lifecycle.stop(conn, "stubborn", timeout=1)
    assert stopped["killed"] is True and stopped["exit_code"] == 137


def test_exit_codes(conn, make):
    made = make("exits", start=False, command=["sh", "-c", "echo bye; exit 7"])
    started = lifecycle.start(conn, "exits", wait=True)
    assert started["waiter"].result(30)["exit_status"] == 7
    state = container_state(conn, "exits")
    assert state["status"] == "stopped" and state["exit_code"] == 7
    assert state["exited_at"] is not None
    # a second start reaps the old task first
    again = lifecycle.start(conn, "exits", wait=True)
    assert again["waiter"].result(30)["exit_status"] == 7
    assert read_log(made["log_path"])["data"] == b"bye\nbye\n"
    assert lifecycle.stop(conn, "exits")["exit_code"] == 7
    assert container_state(conn, "exits")["exit_code"] == 7  # kept on the record


def test_oom_kill_is_reported(conn, make):
    make(
        "oom",
        start=False,
        memory="16m",
        command=["sh", "-c", "x=a; while true; do x=$x$x$x$x; done"],
    )
    started = lifecycle.start(conn, "oom", wait=True)
    assert started["waiter"].result(60)["exit_status"] == 137
    info = inspect.inspect_container(conn, "oom")
    assert info["status"] == "stopped" and info["exit_code"] == 137
    assert info["oom_killed"] is True
    assert info["spec"]["memory_limit"] == 16 * 1024 * 1024
    stopped = lifecycle.stop(conn, "oom")  # reaps the task; the verdict is kept on the record
    assert stopped["oom_killed"] is True
    assert inspect.inspect_container(conn, "oom")["oom_killed"] is True

    make("not-oom", start=False, memory="16m", command=["sh", "-c", "exit 137"])
    assert lifecycle.start(conn, "not-oom", wait=True)["waiter"].result(30)["exit_status"] == 137
    assert inspect.inspect_container(conn, "not-oom")["oom_killed"] is False


def test_restart_policy_brings_back_a_killed_process(conn, make, containerd):
    make("phoenix", command=["sleep", "3600"], restart_policy="always")
    before = container_state(conn, "phoenix")["pid"]
    lifecycle.kill(conn, "phoenix", "SIGKILL")
    assert wait_for(lambda: container_state(conn, "phoenix")["status"] == "stopped", 10)
    # containerd's monitor checks every 10 s: nothing of ours is involved from here
    back = wait_for(
        lambda: (
            (s := container_state(conn, "phoenix"))["status"] == "running"
            and s["pid"] != before
            and s
        ),
        25,
        0.5,
    )
    assert back, f"not restarted: {container_state(conn, 'phoenix')}"
    # a stop is respected by the monitor
    lifecycle.stop(conn, "phoenix", timeout=1)
    labels = get_container(conn, "phoenix")["labels"]
    assert labels["containerd.io/restart.status"] == "stopped"
    lifecycle.remove(conn, "phoenix", force=True)
    assert containerd.ctr("task", "ls", "-q", namespace=conn.namespace).stdout.strip() == ""


def test_containers_and_logs_survive_a_daemon_restart(conn, make, containerd):
    made = make(
        "survivor",
        command=[
            "sh",
            "-c",
            "echo before; trap 'echo after; exit 0' USR1; while true; do sleep 0.1; done",
        ],
    )
    pid = made["start"]["pid"]
    assert wait_for(lambda: b"before" in read_log(made["log_path"])["data"], 10)
    containerd.restart()
    state = wait_for(lambda: container_state(conn, "survivor"), 10)
    assert state["status"] == "running" and state["pid"] == pid
    assert exec_command(conn, "survivor", ["echo", "still here"])["stdout"] == b"still here\n"
    lifecycle.kill(conn, "survivor", "SIGUSR1")
    assert wait_for(lambda: container_state(conn, "survivor")["status"] == "stopped", 10)
    assert read_log(made["log_path"])["data"] == b"before\nafter\n"


def test_ctr_sees_and_kills_ocirt_containers(conn, make, containerd, containerd_namespace):
    made = make("interop", command=["sleep", "3600"])
    cols = ctr_task_line(containerd, containerd_namespace, "interop")
    assert cols == ["interop", str(made["start"]["pid"]), "RUNNING"]
    info = json.loads(
        containerd.ctr("containers", "info", "interop", namespace=containerd_namespace).stdout
    )
    assert info["Labels"]["io.ocirt/managed"] == "true"
    assert info["Runtime"]["Name"] == "io.containerd.runc.v2"
    assert info["Spec"]["process"]["args"] == ["sleep", "3600"]
    containerd.ctr("task", "kill", "-s", "SIGKILL", "interop", namespace=containerd_namespace)
    state = wait_for(
        lambda: (s := container_state(conn, "interop"))["status"] == "stopped" and s, 10
    )
    assert state["exit_code"] == 137


def test_ocirt_inspects_a_container_made_by_ctr_run(conn, containerd, containerd_namespace):
    from .conftest import BUSYBOX

    containerd.ctr(
        "run", "-d", BUSYBOX, "from-ctr", "sleep", "3600", namespace=containerd_namespace
    )
    try:
        rows = {r["id"]: r for r in inspect.list_containers(conn)}
        assert rows["from-ctr"]["status"] == "running" and rows["from-ctr"]["managed"] is False
        info = inspect.inspect_container(conn, "from-ctr")
        assert info["image"] == BUSYBOX
        assert info["spec"]["args"] == ["sleep", "3600"]
        assert info["config"] is None and info["log_path"] == ""
        pid = int(ctr_task_line(containerd, containerd_namespace, "from-ctr")[1])
        assert info["pid"] == pid
        assert exec_command(conn, "from-ctr", ["hostname"])["rc"] == 0
        stopped = lifecycle.stop(conn, "from-ctr", timeout=1)
        assert stopped["exit_code"] == 137
        assert lifecycle.remove(conn, "from-ctr")["changed"]
        assert containerd.ctr("containers", "ls", "-q", namespace=containerd_namespace).stdout == ""
    finally:
        containerd.ctr(
            "task", "kill", "-s", "SIGKILL", "from-ctr", namespace=containerd_namespace, check=False
        )
        containerd.ctr("task", "rm", "-f", "from-ctr", namespace=containerd_namespace, check=False)
        containerd.ctr("containers", "rm", "from-ctr", namespace=containerd_namespace, check=False)


def test_list_containers_uses_two_calls(conn, make):
    for i in range(3):
        make(f"many-{i}", command=["sleep", "3600"], start=i != 2)
    rows = {r["id"]: r for r in inspect.list_containers(conn)}
    assert [rows[f"many-{i}"]["status"] for i in range(3)] == ["running", "running", "created"]
    assert all(rows[f"many-{i}"]["managed"] for i in range(3))


def test_create_clears_the_snapshot_of_an_abandoned_create(conn, make):
    """A create cut short between snapshot and record (containerd or ocirt killed) leaves
    a snapshot labelled with its creator: cleared once that process is gone, refused while
    it runs, and one without the label (another client's) is left alone."""
    make("model", start=False)
    parent = snapshots.stat_snapshot(conn, "overlayfs", "model")["parent"]
    gone = subprocess.Popen(["true"])
    gone.wait(timeout=30)
    lease = leases.create_lease(conn)
    claim = {CREATOR: f"{procfs.identity_of(gone.pid)}|{lease}"}
    snapshots.prepare(conn, "overlayfs", "orphan", parent, claim, lease)
    make("orphan", start=False)
    assert get_container(conn, "orphan")["snapshot_key"] == "orphan"
    labels = snapshots.stat_snapshot(conn, "overlayfs", "orphan")["labels"]
    assert labels[CREATOR].startswith(procfs.owner_identity() + "|"), labels
    assert lease not in [x["id"] for x in leases.list_leases(conn)]

    alive = subprocess.Popen(["sleep", "60"])
    try:
        held = leases.create_lease(conn)  # as the live creator holds one
        snapshots.prepare(
            conn, "overlayfs", "busy", parent, {CREATOR: f"{procfs.identity_of(alive.pid)}|x"}, held
        )
        with pytest.raises(AlreadyExists, match=f"being created by process {alive.pid}"):
            make("busy", start=False)
        assert snapshots.stat_snapshot(conn, "overlayfs", "busy") is not None
    finally:
        alive.kill()
        alive.wait(timeout=30)
        snapshots.remove(conn, "overlayfs", "busy")
    snapshots.prepare(conn, "overlayfs", "foreign", parent, lease=held)
    with pytest.raises(AlreadyExists, match="left over by another client"):
        make("foreign", start=False)
    snapshots.remove(conn, "overlayfs", "foreign")
    leases.delete_lease(conn, held)

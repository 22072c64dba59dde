"""Stop and restart of containers that have a restart policy, raced by containerd's monitor.

containerd's restart monitor (runtime/restart/monitor) looks at every container carrying
``containerd.io/restart.status`` once per interval: a task that is not in the wanted status
is SIGKILLed and deleted (status=stopped) or deleted and started again (status=running).
With the default 10 s interval that lands inside a stop's grace period now and then; here
the daemon's monitor runs every 100 ms, so every stop of a PID 1 that ignores SIGTERM is
raced by it, deterministically.
"""

from __future__ import annotations

import secrets
import time
from typing import Any, Dict, Iterator

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.api.containers import update_labels
from ansible_collections.ocirt.containerd.plugins.module_utils.containers import (
    inspect,
    lifecycle,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers import (
    labels as L,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.create import (
    create_container,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.options import (
    ContainerOptions,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.paths import Paths
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.record import (
    get_container,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.state import (
    container_state,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import (
    container as container_reconciler,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile.container import (
    DesiredContainer,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)
from cli.test_ocirt_cli import ocirt
from harness.ansible_runner import run_module
from harness.daemon import ContainerdDaemon

from containers.conftest import BUSYBOX

#: PID 1 that ignores SIGTERM: every stop waits out its timeout, then needs SIGKILL.
IGNORES_TERM = ["sh", "-c", "trap '' TERM; echo ready; while true; do sleep 0.1; done"]
MONITOR_INTERVAL = "100ms"
ROUNDS = 3


def fast_monitor_config(series: str) -> str:
    """The restart monitor's interval setting: its plugin was renamed in 2.0."""
    plugin = (
        "io.containerd.internal.v1.restart"
        if series.startswith("1.")
        else "io.containerd.monitor.container.v1.restart"
    )
    return f'[plugins."{plugin}"]\n  interval = "{MONITOR_INTERVAL}"\n'


@pytest.fixture(scope="module")
def monitored(containerd) -> Iterator[ContainerdDaemon]:
    """A daemon of the session's series whose restart monitor checks every 100 ms."""
    daemon = ContainerdDaemon(
        containerd.series, extra_config=fast_monitor_config(containerd.series)
    )
    daemon.start()
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def race_ns(monitored, image_archives) -> Iterator[str]:
    ns = f"race-{secrets.token_hex(3)}"
    for archive in image_archives:
        monitored.ctr("images", "import", str(archive), namespace=ns)
    yield ns
    monitored.cleanup_namespace(ns)


@pytest.fixture
def race_conn(monitored, race_ns) -> Iterator[Connection]:
    with Connection(monitored.address, namespace=race_ns) as c:
        yield c


def make_stubborn(conn: Connection, tmp_path, daemon: ContainerdDaemon, policy: str) -> str:
    cid = f"stubborn-{secrets.token_hex(3)}"
    options = ContainerOptions.from_dict(
        {"image": BUSYBOX, "command": IGNORES_TERM, "restart_policy": policy, "stop_timeout": 1}
    )
    paths = Paths(log_root=str(tmp_path / "logs"), volume_root=str(tmp_path / "volumes"))
    create_container(conn, cid, options, paths=paths, daemon_version=daemon.version)
    lifecycle.start(conn, cid)
    return cid


def assert_running_and_monitored(conn: Connection, cid: str, old_pid: int) -> int:
    state = container_state(conn, cid)
    labels = get_container(conn, cid)["labels"]
    assert state["status"] == "running" and state["pid"] != old_pid, state
    assert labels.get(L.RESTART_STATUS) == "running", labels
    assert L.RESTART_EXPLICITLY_STOPPED not in labels, labels
    return state["pid"]


@pytest.mark.containerd_series("1.6", "2.1")  # 1.7's monitor is 1.6's plus labels 2.1 has
@pytest.mark.parametrize("policy", ["always", "unless-stopped"])
def test_restart_ends_running_while_the_monitor_races(race_conn, monitored, tmp_path, policy):
    cid = make_stubborn(race_conn, tmp_path, monitored, policy)
    try:
        pid = container_state(race_conn, cid)["pid"]
        for _ in range(ROUNDS):
            done = lifecycle.restart(race_conn, cid, timeout=1)
            # ocirt's own SIGKILL ended the grace period: the monitor stayed out of it
            assert done["changed"] is True and done["stopped"]["killed"] is True, done
            pid = assert_running_and_monitored(race_conn, cid, pid)
    finally:
        lifecycle.remove(race_conn, cid, force=True)


@pytest.mark.containerd_series("1.6", "2.1")
def test_stop_ends_stopped_and_stays_stopped_while_the_monitor_races(
    race_conn, monitored, tmp_path
):
    cid = make_stubborn(race_conn, tmp_path, monitored, "always")
    try:
        for _ in range(ROUNDS):
            done = lifecycle.stop(race_conn, cid, timeout=1)
            assert done["changed"] is True and done["killed"] is True, done
            assert done["exit_code"] == 137, done
            state = container_state(race_conn, cid)
            assert state["status"] == "stopped" and state["pid"] is None, state
            labels = get_container(race_conn, cid)["labels"]
            assert labels.get(L.RESTART_STATUS) == "stopped", labels
            lifecycle.start(race_conn, cid)
    finally:
        lifecycle.remove(race_conn, cid, force=True)


@pytest.mark.containerd_series("1.6", "2.1")
def test_cli_restart_ends_running_while_the_monitor_races(race_conn, monitored, tmp_path):
    cid = make_stubborn(race_conn, tmp_path, monitored, "always")
    env = {"CONTAINERD_ADDRESS": monitored.address, "CONTAINERD_NAMESPACE": race_conn.namespace}
    pid = container_state(race_conn, cid)["pid"]
    for _ in range(ROUNDS):
        done = ocirt("restart", "-t", "1", cid, env=env)
        assert (done.returncode, done.stdout, done.stderr) == (0, cid + "\n", "")
        pid = assert_running_and_monitored(race_conn, cid, pid)


def module_args(daemon: ContainerdDaemon, ns: str, name: str, **extra: Any) -> Dict[str, Any]:
    return {
        "address": daemon.address,
        "namespace": ns,
        "name": name,
        "image": BUSYBOX,
        "command": IGNORES_TERM,
        "restart_policy": "always",
        "stop_timeout": 1,
        "registry_config_path": "/nonexistent",
        **extra,
    }


@pytest.mark.containerd_series("1.6", "2.1")
def test_module_restart_ends_running_while_the_monitor_races(race_conn, monitored):
    args = module_args(monitored, race_conn.namespace, f"svc-{secrets.token_hex(3)}")
    first = run_module("ocirt.containerd.container", **args)
    assert first["changed"] is True and first["container"]["status"] == "running", first
    pid = first["container"]["pid"]
    for _ in range(ROUNDS):
        done = run_module("ocirt.containerd.container", restart=True, **args)
        assert not done.get("failed") and done["changed"] is True, done
        assert done["container"]["status"] == "running", done
        pid = assert_running_and_monitored(race_conn, args["name"], pid)
    gone = run_module("ocirt.containerd.container", **{**args, "state": "absent"})
    assert gone["changed"] is True, gone


@pytest.mark.containerd_series("1.6", "2.1")
def test_a_restart_that_cannot_start_again_says_so(race_conn, monitored):
    """The stop worked, the start cannot (the command is gone from the rootfs): the module
    fails with changed=true and why, and the monitor keeps the container's policy."""
    args = module_args(monitored, race_conn.namespace, f"broken-{secrets.token_hex(3)}")
    assert run_module("ocirt.containerd.container", **args)["changed"] is True
    monitored.ctr(
        "task",
        "exec",
        "--exec-id",
        "rm-sh",
        args["name"],
        "rm",
        "/bin/sh",
        namespace=race_conn.namespace,
    )
    done = run_module("ocirt.containerd.container", restart=True, **args)
    assert done.get("failed") is True and done["changed"] is True, done
    assert "was stopped but did not start again" in done["msg"], done["msg"]
    assert "restart monitor keeps trying" in done["msg"], done["msg"]
    labels = get_container(race_conn, args["name"])["labels"]
    assert labels.get(L.RESTART_STATUS) == "running", labels
    # a stop tells the monitor to give up, though there is no task to stop
    assert lifecycle.stop(race_conn, args["name"])["changed"] is True
    labels = get_container(race_conn, args["name"])["labels"]
    assert labels.get(L.RESTART_STATUS) == "stopped", labels
    assert lifecycle.stop(race_conn, args["name"])["changed"] is False
    lifecycle.remove(race_conn, args["name"], force=True)


def wait_for_new_task(conn: Connection, cid: str, old_pid: int) -> Dict[str, Any]:
    """The monitor (every 100 ms) replaces a killed task; bounded wait for the new one."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = container_state(conn, cid)
        if state["status"] == "running" and state["pid"] not in (None, old_pid):
            return state
        time.sleep(0.1)
    raise AssertionError(f"the monitor did not restart {cid}: {container_state(conn, cid)}")


@pytest.mark.containerd_series("1.6", "2.1")
def test_state_after_the_monitor_restarted_a_task(race_conn, monitored, tmp_path):
    """restart_count follows the monitor's restarts (1.7+ counts them, 1.6 cannot: unknown),
    started_at is the new process's and never before created_at, a start resets the
    count as docker's does."""
    cid = make_stubborn(race_conn, tmp_path, monitored, "always")
    first = inspect.inspect_container(race_conn, cid)
    assert first["restart_count"] == 0 and first["started_at"] >= first["created_at"], first
    previous = first
    for n in (1, 2):
        lifecycle.kill(race_conn, cid, "SIGKILL", all=True)
        wait_for_new_task(race_conn, cid, previous["pid"])
        now = inspect.inspect_container(race_conn, cid)
        assert now["restart_count"] == (None if monitored.series == "1.6" else n), now
        assert now["started_at"] > previous["started_at"] >= now["created_at"], (previous, now)
        previous = now
    row = next(r for r in inspect.list_containers(race_conn) if r["id"] == cid)
    assert row["restart_count"] == previous["restart_count"] and row["pid"] == previous["pid"]
    lifecycle.restart(race_conn, cid, timeout=1)
    assert inspect.inspect_container(race_conn, cid)["restart_count"] == 0


@pytest.mark.containerd_series("1.6", "2.1")
def test_an_exited_task_shows_no_pid(race_conn, monitored, tmp_path):
    paths = Paths(log_root=str(tmp_path / "logs"), volume_root=str(tmp_path / "volumes"))
    options = ContainerOptions.from_dict({"image": BUSYBOX, "command": ["sh", "-c", "exit 3"]})
    create_container(race_conn, "brief", options, paths, monitored.version)
    assert lifecycle.start(race_conn, "brief", wait=True)["waiter"].result(30)["exit_status"] == 3
    details = inspect.inspect_container(race_conn, "brief")
    assert (details["status"], details["exit_code"], details["pid"]) == ("stopped", 3, None)
    row = next(r for r in inspect.list_containers(race_conn) if r["id"] == "brief")
    assert (row["status"], row["pid"]) == ("stopped", None)


@pytest.mark.containerd_series("1.6", "2.1")
def test_a_policy_the_monitor_lost_is_handed_back(race_conn, monitored, tmp_path):
    """A start cut short after the monitor was held off leaves a running container whose
    policy nothing enforces: the next converge hands it back, then reports no change."""
    name = f"lost-{secrets.token_hex(3)}"
    options = ContainerOptions.from_dict(
        {"image": BUSYBOX, "command": IGNORES_TERM, "restart_policy": "always"}
    )
    desired = DesiredContainer(name=name, options=options, paths=Paths(str(tmp_path / "logs")))
    container_reconciler.apply(race_conn, container_reconciler.plan(race_conn, desired))
    update_labels(race_conn, name, {L.RESTART_STATUS: None})  # as a start cut short leaves it
    plan = container_reconciler.plan(race_conn, desired)
    assert [a.kind for a in plan.actions] == ["monitor"], plan.summaries()
    container_reconciler.apply(race_conn, plan)
    assert container_reconciler.plan(race_conn, desired).actions == []
    pid = container_state(race_conn, name)["pid"]
    lifecycle.kill(race_conn, name, "SIGKILL", all=True)
    wait_for_new_task(race_conn, name, pid)  # the monitor brings it back again
    lifecycle.remove(race_conn, name, force=True)

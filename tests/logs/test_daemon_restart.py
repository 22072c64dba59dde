"""The driver belongs to the shim, not to containerd: it keeps writing the same file when
containerd is SIGKILLed and started again, and the restart monitor's new tasks log through
it too (the ``containerd.io/restart.loguri`` label carries the ``binary://`` URI).

The daemon is the race tests' (``monitored``: its restart monitor checks every 100 ms), one
per module, so this module kills a daemon of its own."""

from __future__ import annotations

import secrets
from typing import List

from ansible_collections.ocirt.containerd.plugins.module_utils.containers import (
    labels as L,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers import lifecycle, logs
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
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)
from containers.conftest import BUSYBOX
from faults.support import sigkill, start_again
from harness.daemon import ContainerdDaemon
from harness.util import wait_for

TICKS = ["sh", "-c", "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done"]


def _made(conn: Connection, daemon: ContainerdDaemon, tmp_path, **options) -> str:
    cid = f"c-{secrets.token_hex(3)}"
    opts = ContainerOptions.from_dict({"image": BUSYBOX, **options})
    paths = Paths(log_root=str(tmp_path / "logs"))
    made = create_container(conn, cid, opts, paths=paths, daemon_version=daemon.version)
    lifecycle.start(conn, cid)
    return made["log_path"]


def _ticks(path: str) -> List[int]:
    return [int(e.data.split()[1]) for e in logs.read_entries(path) if e.data.startswith(b"tick")]


def test_the_restart_monitor_starts_tasks_that_log_through_the_driver(
    race_conn, monitored, tmp_path
):
    path = _made(
        race_conn, monitored, tmp_path, command=["sh", "-c", "echo run"], restart_policy="always"
    )
    labels = get_container(race_conn, path.rsplit("/", 1)[1][: -len("-json.log")])["labels"]
    assert labels[L.RESTART_LOG_URI] == labels[L.LOG_URI]
    assert labels[L.LOG_URI].startswith("binary:///")
    wait_for(lambda: len(logs.read_entries(path)) >= 3, 30, what="three runs logged")
    assert {e.data for e in logs.read_entries(path)} == {b"run\n"}


def test_logging_goes_on_through_a_containerd_sigkill(race_conn, monitored, tmp_path):
    path = _made(race_conn, monitored, tmp_path, command=TICKS)
    wait_for(lambda: len(_ticks(path)) >= 5, 10, what="ticks")
    sigkill(monitored)
    down = len(_ticks(path))
    wait_for(lambda: len(_ticks(path)) >= down + 5, 10, what="ticks while containerd is down")
    start_again(monitored)
    with Connection(monitored.address, namespace=race_conn.namespace) as conn:
        cid = path.rsplit("/", 1)[1][: -len("-json.log")]
        assert get_container(conn, cid)["labels"][L.LOG_PATH] == path
        seen = len(_ticks(path))
        wait_for(lambda: len(_ticks(path)) >= seen + 5, 10, what="ticks after the restart")
        lifecycle.stop(conn, cid, timeout=1)
    ticks = _ticks(path)
    assert ticks == list(range(len(ticks)))  # one file, nothing lost or repeated

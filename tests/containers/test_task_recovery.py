"""A Tasks.Create whose caller went away while containerd waited on the shim, then the
container started again through task_recovery (what a module killed mid-start leaves).

The interruption is a gRPC deadline, which cancels containerd's context like a killed
client does; it is tried at several points of the Create until one lands while the shim
creates the container (the bundle then stays with the created init's pid in it).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Optional

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.api import containers as api
from ansible_collections.ocirt.containerd.plugins.module_utils.api import snapshots, tasks
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    FailedPrecondition,
    OcirtError,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers import (
    lifecycle,
    task_recovery,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.stdio import TaskIO

pytestmark = pytest.mark.timeout(300)

#: Tries at cutting a Create short while runc creates the container.
ATTEMPTS = 20


def _request(conn, container: dict, log: Path) -> dict:
    """Create's request as lifecycle makes it: the output to a log file, which the shim
    waits to drain before it deletes a created task."""
    mounts = snapshots.mounts(conn, container["snapshotter"], container["snapshot_key"])
    uri = f"file://{log}"
    return {"container_id": container["id"], "rootfs": mounts, "stdout": uri, "stderr": uri}


def _interrupt_create(conn, containerd, request: dict) -> Optional[Path]:
    """Cancel Creates as soon as runc starts (its log.json appears in the bundle) until one
    leaves the bundle of a created init behind; that bundle, or None."""
    cid = request["container_id"]
    bundle = Path(containerd.state) / "io.containerd.runtime.v2.task" / conn.namespace / cid
    for _ in range(ATTEMPTS):
        pending = conn.call_future(tasks.CREATE, request, timeout=60)
        deadline = time.monotonic() + 30
        while not (bundle / "log.json").exists() and not pending.done():
            if time.monotonic() > deadline:
                break
            time.sleep(0.001)
        pending.cancel()
        try:
            pending.result(30)
        except OcirtError:  # cancelled (or answered with an error at that point)
            pass
        if tasks.get_process(conn, cid) is not None:  # too late: created, or the reply lost
            tasks.delete_task(conn, cid)
        elif _settled(bundle):
            return bundle
        _wait_gone(bundle)
    return None


def _settled(bundle: Path, limit: float = 5) -> bool:
    """Whether the bundle holds a created init's pid once runc create has had time to
    end (the shim writes init.pid after it)."""
    deadline = time.monotonic() + limit
    while bundle.exists() and not (bundle / "init.pid").exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return bundle.exists()


def _wait_gone(bundle: Path, limit: float = 30) -> None:
    deadline = time.monotonic() + limit
    while bundle.exists() and time.monotonic() < deadline:
        time.sleep(0.1)


@pytest.mark.containerd_series("1.6", "1.7", "2.1")
def test_create_after_an_interrupted_create_starts_the_container(
    conn, containerd, make, tmp_path, monkeypatch
):
    cid = make(start=False, command=["sleep", "3600"])["id"]
    container = api.list_containers(conn, [f"id=={cid}"])[0]
    request = _request(conn, container, tmp_path / "out.log")
    bundle = _interrupt_create(conn, containerd, request)
    assert bundle is not None, "no interrupted Create left a bundle behind"
    with pytest.raises(Exception, match=r"file exists|already exists"):
        conn.call(tasks.CREATE, request, timeout=60)  # what the module used to report
    with monkeypatch.context() as m:  # no time to wait: the error says what is left
        m.setattr(task_recovery, "RECOVERY_TIMEOUT", 0.0)
        with pytest.raises(FailedPrecondition) as refused:
            task_recovery.create_task(conn, cid, request["rootfs"], TaskIO.log(request["stdout"]))
    assert f"cannot create the task of {cid}: " in str(refused.value)
    assert "interrupted task creation" in str(refused.value)
    assert "restart containerd" in str(refused.value)

    task_recovery.create_task(conn, cid, request["rootfs"], TaskIO.log(request["stdout"]))
    tasks.start(conn, cid)
    task = tasks.get_process(conn, cid)
    assert task is not None and task["status"] == tasks.STATUS_RUNNING
    assert [t["id"] for t in tasks.list_tasks(conn)] == [cid]
    lifecycle.remove(conn, cid, force=True)
    _wait_gone(bundle)
    assert not bundle.exists()

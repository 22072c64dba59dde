"""Starts of one container by several clients at once: one task is created, by one client,
while the others wait for it (containers/start_claim.py).

Unserialised, two Task Creates of one container break each other inside containerd 2.1
(the loser's clean-up unmounts the rootfs the winner's process starts from). Here the other
client is a separate Python process holding the claim, or threads of this one, each with
its own connection.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import List

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.api import leases, tasks
from ansible_collections.ocirt.containerd.plugins.module_utils.common import procfs
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import (
    FailedPrecondition,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers import (
    lifecycle,
    start_claim,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.start_claim import (
    claim_id,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)
from harness.ansible_runner import REPO

pytestmark = pytest.mark.timeout(180)

SLEEPS = ["sleep", "3600"]

#: Another client: takes the claim, says so, holds it until its stdin closes (then drops
#: it), or is killed holding it.
HOLDER = """
import sys
from ansible_collections.ocirt.containerd.plugins.module_utils.api import leases
from ansible_collections.ocirt.containerd.plugins.module_utils.transport import connection
address, namespace, lease_id = sys.argv[1:]
with connection.Connection(address, namespace=namespace) as conn:
    leases.create_lease(conn, lease_id=lease_id)
    print("held", flush=True)
    sys.stdin.read()
    leases.delete_lease(conn, lease_id)
"""


def _hold_claim(containerd, namespace: str, container_id: str) -> subprocess.Popen:
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(REPO / "collections"), str(REPO / "src")])
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, containerd.address, namespace, claim_id(container_id)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def _ocirt_leases(conn: Connection) -> List[str]:
    return [le["id"] for le in leases.list_leases(conn)]


def test_a_start_waits_for_another_clients_claim(conn, make, containerd):
    cid = make(start=False, command=SLEEPS)["id"]
    holder = _hold_claim(containerd, conn.namespace, cid)
    started: list = []
    starter = threading.Thread(target=lambda: started.append(lifecycle.start(conn, cid)))
    starter.start()
    time.sleep(1.5)
    try:
        assert starter.is_alive(), "the start did not wait for the claim"
        assert tasks.get_process(conn, cid) is None, "a task was created under another's claim"
    finally:
        holder.communicate("", timeout=30)  # the holder drops its claim and exits
    starter.join(60)
    assert not starter.is_alive() and started, "the start did not go on after the claim ended"
    assert tasks.get_process(conn, cid)["status"] == tasks.STATUS_RUNNING
    assert started[0]["changed"] is True and started[0]["pid"] > 0
    assert _ocirt_leases(conn) == []


def test_a_dead_clients_claim_is_taken_over(conn, make, containerd):
    cid = make(start=False, command=SLEEPS)["id"]
    holder = _hold_claim(containerd, conn.namespace, cid)
    holder.kill()  # killed holding the claim: its lease stays
    holder.wait(30)
    assert _ocirt_leases(conn) == [claim_id(cid)]
    begun = time.monotonic()
    result = lifecycle.start(conn, cid)
    assert time.monotonic() - begun < 30, "waited out a claim whose owner is gone"
    assert result["changed"] is True
    assert tasks.get_process(conn, cid)["status"] == tasks.STATUS_RUNNING
    assert _ocirt_leases(conn) == []


def test_starts_at_once_create_one_task(conn, make, containerd):
    cid = make(start=False, command=SLEEPS)["id"]
    barrier = threading.Barrier(4)

    def start_with_own_connection():
        with Connection(containerd.address, namespace=conn.namespace) as own:
            barrier.wait(30)
            return lifecycle.start(own, cid)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: start_with_own_connection(), range(4)))
    pids = {r["pid"] for r in results}
    current = tasks.get_process(conn, cid)
    assert current["status"] == tasks.STATUS_RUNNING and pids == {current["pid"]}
    out = containerd.ctr("tasks", "ls", namespace=conn.namespace).stdout
    assert [line.split()[0] for line in out.splitlines()[1:]] == [cid]
    assert _ocirt_leases(conn) == []


def test_a_long_claim_is_named_in_the_error(conn, make, containerd, monkeypatch):
    cid = make(start=False, command=SLEEPS)["id"]
    holder = _hold_claim(containerd, conn.namespace, cid)
    monkeypatch.setattr(start_claim, "CLAIM_WAIT", 1.0)
    try:
        with pytest.raises(FailedPrecondition, match=f"{cid}.*another client.*{claim_id(cid)}"):
            lifecycle.start(conn, cid)
        assert tasks.get_process(conn, cid) is None
    finally:
        holder.communicate("", timeout=30)
    assert _ocirt_leases(conn) == []


def _dead_owner() -> str:
    """An owner identity (procfs.owner_identity's form) of a process that is gone."""
    boot, pidns, _pid, _ticks = procfs.owner_identity().split()
    return f"{boot} {pidns} 999999999 1"


def test_a_start_drops_the_dead_step_leases_but_keeps_what_a_pull_resumes(conn, make, containerd):
    """containerd killed mid-step leaves the step's lease (its owner could not drop it): a
    claim, a create's snapshot lease. The next start of any container drops those once
    their owner is gone; a dead pull's lease stays for the next pull to resume, and a lease
    that is not ocirt's is never touched."""
    left = make(start=False, command=SLEEPS)["id"]
    holder = _hold_claim(containerd, conn.namespace, left)
    holder.kill()
    holder.wait(30)
    dead = {leases.OWNER_LABEL: _dead_owner()}
    leases.create_lease(conn, labels=dead, lease_id="ocirt-dead-create")
    resumable = {**dead, leases.RESUMABLE_LABEL: "true"}
    leases.create_lease(conn, labels=resumable, lease_id="ocirt-dead-pull")
    conn.call(leases.CREATE, {"id": "not-ours", "labels": {}})
    try:
        lifecycle.start(conn, make(start=False, command=SLEEPS)["id"])
        assert sorted(_ocirt_leases(conn)) == ["not-ours", "ocirt-dead-pull"]
    finally:
        for lease_id in ("ocirt-dead-pull", "not-ours"):
            leases.delete_lease(conn, lease_id)

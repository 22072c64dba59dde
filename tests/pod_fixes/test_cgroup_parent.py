"""The cgroup parent of a pod under each cgroup driver (MU/pods/cgroup_parent.py).

This machine has no systemd as PID 1, so runc's systemd driver cannot run a pod here: the
driver is read from real daemons (a private containerd configured SystemdCgroup = true,
asked only to plan; the pods' daemon, SystemdCgroup = false, runs one), and the parent the
planner picks for each is checked; tests/reconcile/data/pod/systemd_*.yaml hold the
planner's cases. ``driver_of`` reads the CRI's loaded config as each series reports it."""

from __future__ import annotations

import json
from typing import Any, Dict, Iterator

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.cri import sandboxes
from ansible_collections.ocirt.containerd.plugins.module_utils.pods import reconciler
from ansible_collections.ocirt.containerd.plugins.module_utils.pods.cgroup_parent import (
    CGROUPFS,
    OCIRT_SLICE,
    SYSTEMD,
    cgroup_driver,
    driver_of,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.pods.desired import from_options
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)
from harness.cri import TEST_SANDBOX_IMAGE, import_image, import_sandbox_image
from harness.daemon import ContainerdDaemon, ensure_containerd, running
from harness.images import busybox_image
from harness.plugin import selected_series
from pods.conftest import BUSYBOX


def _runc(systemd: Any, kind: str = "io.containerd.runc.v2") -> Dict[str, Any]:
    return {"runtimeType": kind, "options": {"SystemdCgroup": systemd}}


def test_the_driver_is_the_handlers_runc_option() -> None:
    # the shape of CRI Status' info["config"] on 1.6 and 2.1 (containerd.runtimes.<h>)
    config = {
        "containerd": {
            "defaultRuntimeName": "runc",
            "runtimes": {"runc": _runc(True), "plain": _runc(False), "legacy": {}},
        }
    }
    assert driver_of(config, "") == SYSTEMD  # the default handler
    assert driver_of(config, "runc") == SYSTEMD
    assert driver_of(config, "plain") == CGROUPFS
    assert driver_of(config, "legacy") == CGROUPFS  # no options: runc's default
    assert driver_of(config, "unknown") == CGROUPFS  # the CRI refuses it itself
    assert driver_of({}, "") == CGROUPFS
    legacy = {"systemdCgroup": True, "containerd": {"defaultRuntimeName": "v1", "runtimes": {
        "v1": {"runtimeType": "io.containerd.runtime.v1.linux", "options": None}}}}
    assert driver_of(legacy, "") == SYSTEMD  # 1.x plugin-wide systemd_cgroup


def _desired(name: str, **extra: Any) -> Any:
    containers = [{"name": "app", "image": BUSYBOX, "command": ["sleep", "600"]}]
    return from_options({"name": name, "network": "host", "containers": containers, **extra})


@pytest.fixture(scope="module", params=selected_series(), ids=str)
def systemd_daemon(request: pytest.FixtureRequest) -> Iterator[ContainerdDaemon]:
    """A private CRI containerd whose runc uses the systemd cgroup driver."""
    ensure_containerd(request.param)
    daemon = ContainerdDaemon(request.param, sandbox_image=TEST_SANDBOX_IMAGE)
    text = daemon.config_text()
    assert text.count("SystemdCgroup = false") == 1
    daemon.config_path.write_text(text.replace("SystemdCgroup = false", "SystemdCgroup = true"))
    with running(daemon):
        import_sandbox_image(daemon)
        import_image(daemon, busybox_image(), BUSYBOX)
        yield daemon


def test_under_systemd_a_pod_without_parent_is_planned_in_ocirt_slice(systemd_daemon) -> None:
    with Connection(systemd_daemon.address, namespace="k8s.io") as conn:
        assert cgroup_driver(conn, "") == SYSTEMD
        plan = reconciler.plan(conn, _desired("web"))
        assert plan.desired is not None
        assert plan.desired.sandbox_config["linux"]["cgroup_parent"] == OCIRT_SLICE
        assert plan.after["config"]["config"]["linux"]["cgroup_parent"] == OCIRT_SLICE
        given = reconciler.plan(conn, _desired("web", cgroup_parent="kubepods.slice"))
        assert given.desired.sandbox_config["linux"]["cgroup_parent"] == "kubepods.slice"


def test_under_cgroupfs_nothing_changes(cri, cri_conn, pod_name) -> None:
    """The pods' daemon (SystemdCgroup = false): no parent added; the pod runs in the CRI's
    own cgroupfs path and a second plan has nothing to do."""
    assert cgroup_driver(cri_conn, "") == CGROUPFS
    plan = reconciler.plan(cri_conn, _desired(pod_name))
    assert plan.desired is not None and plan.desired.sandbox_config["linux"]["cgroup_parent"] == ""
    applied = reconciler.apply(cri_conn, plan)
    sandbox = applied.details["sandbox_id"]
    info = json.loads(sandboxes.pod_sandbox_status(cri_conn, sandbox, verbose=True)["info"]["info"])
    assert info["runtimeSpec"]["linux"]["cgroupsPath"] == f"/k8s.io/{sandbox}"
    assert reconciler.plan(cri_conn, _desired(pod_name)).changed is False

"""The network module through ansible-playbook: idempotent, exact check mode, diff, bad
input refused with nothing written, a network in use never removed (no daemon: it writes
conflists, which only the container code runs)."""

from __future__ import annotations

import os

from ansible_collections.ocirt.containerd.plugins.module_utils.cni import network_store
from ansible_collections.ocirt.containerd.plugins.module_utils.cni.paths import CniPaths
from ansible_collections.ocirt.containerd.plugins.module_utils.cni.result_cache import (
    CachedAttachment,
    store,
)
from harness.ansible_runner import run_playbook


def test_network_module(tmp_path, host_netns):
    # a removal deletes the bridge: in the test's netns, never the machine's
    env = {"OCIRT_CNI_ROOT": str(tmp_path), "OCIRT_CNI_NETNS": host_netns.path}
    paths = CniPaths.from_environment(env)
    net = {"name": "web", "subnet": "10.7.20.0/24"}

    def task(check=False, **args):
        return {
            "ocirt.containerd.network": args,
            "check_mode": check,
            "diff": True,
            "ignore_errors": True,
        }

    predicted, created, again, changed, bad = run_playbook(
        [
            task(True, **net),
            task(**net),
            task(**net),
            task(name="web", mtu=1400),
            task(name="api", subnet="10.7.20.128/25"),
        ],
        environ=env,
    )
    assert predicted["changed"] and predicted["network"] == created["network"]
    assert created["changed"] and created["diff"]["before"] == {}
    assert created["network"]["bridge"] == "br-web" and created["network"]["gateway"] == "10.7.20.1"
    assert not again["changed"] and again["actions"] == []
    assert changed["changed"] and changed["diff"]["after"]["mtu"] == 1400
    assert changed["actions"][0]["reason"] == "mtu differ"
    assert bad["failed"] and "overlaps 10.7.20.0/24 of network 'web'" in bad["msg"]
    assert sorted(network_store.all_networks(paths)) == ["web"]
    written = network_store.read(paths, "web")
    assert written is not None and written.plugin_types() == [
        "bridge",
        "portmap",
        "firewall",
        "tuning",
    ]

    store(paths, CachedAttachment("web", "default-app1", "eth0", written.raw, {}))
    (refused,) = run_playbook([task(name="web", state="absent")], environ=env)
    assert refused["failed"] and "in use by 1 container(s): default-app1" in refused["msg"]
    assert os.path.exists(network_store.conflist_path(paths, "web"))

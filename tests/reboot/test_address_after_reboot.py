"""A reboot empties /run: a container's pinned network namespace and its files are gone,
while the CNI result cache and host-local's leases (on disk) remain. The next setup (the
node re-applying its state document at boot, then starting the task) makes a new namespace
and gives the container the address it had, not the next free one; a declared address still
wins. No daemon: the library's attach against Debian's plugins in the test's own netns."""

from __future__ import annotations

import shutil

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.cni import (
    attach,
    netns,
    network_store,
    result_cache,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.cni.bridge_network import validated

PORTS = [{"host_ip": "", "host_port": 18200, "container_port": 80, "protocol": "tcp"}]


@pytest.fixture
def web(cni_paths):
    network_store.write(cni_paths, validated("web", None, "10.7.61.0/24", None))
    return cni_paths


def _reboot(place: attach.Where) -> None:
    """What a boot leaves of /run/ocirt: nothing (the namespace dies with its last mount)."""
    netns.unpin(place.netns)
    shutil.rmtree(place.files, ignore_errors=True)


def test_a_reboot_keeps_the_address(web, host_netns):
    one = attach.where(web, "/sock", "ns", "one")
    two = attach.where(web, "/sock", "ns", "two")
    config = {"networks": [{"name": "web"}], "published_ports": PORTS}
    first = attach.setup(web, one, "one", config, "one")
    assert result_cache.addresses(first["web"]) == ["10.7.61.2"]
    pinned = {"networks": [{"name": "web", "ipv4_address": "10.7.61.9"}]}
    attach.setup(web, two, "two", pinned, "two")

    try:
        _reboot(one)
        _reboot(two)
        assert not netns.is_pinned(one.netns)
        again = attach.setup(web, one, "one", config, "one")
        assert result_cache.addresses(again["web"]) == ["10.7.61.2"]  # not the next free one
        second = attach.setup(web, two, "two", pinned, "two")
        assert result_cache.addresses(second["web"]) == ["10.7.61.9"]
        assert netns.is_pinned(one.netns) and "18200" in host_netns.iptables_save()
    finally:
        assert attach.teardown(web, one, config) and attach.teardown(web, two, pinned)
    assert result_cache.entries(web) == []

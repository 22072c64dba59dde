"""The CNI client against Debian's real plugins (no containerd): ADD, CHECK and DEL of a
bridge conflist with published ports, libcni's result cache, plugin errors in words.

Every plugin runs inside the test's own network namespace (``host_netns``)."""

from __future__ import annotations

import json
import os

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.cni import (
    chain,
    netns,
    result_cache,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.cni.bridge_network import (
    LOOPBACK,
    validated,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.cni.conflist import NetworkList
from ansible_collections.ocirt.containerd.plugins.module_utils.cni.plugin_exec import (
    plugin_versions,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.cni.ports import (
    parse_ports,
    port_mappings,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import CniError

NET = validated("t1", "br-t1", "10.7.9.0/24", None)


@pytest.fixture
def pinned(cni_paths):
    path = os.path.join(cni_paths.netns_dir, "c1")
    netns.pin(path)
    yield path
    netns.unpin(path)


def test_plugins_speak_cni_1_0(cni_paths):
    for plugin in ("bridge", "host-local", "portmap", "firewall", "tuning", "loopback"):
        assert "1.0.0" in plugin_versions(cni_paths, plugin), plugin


def test_add_check_del_leave_nothing(cni_paths, pinned, host_netns):
    ports = port_mappings(parse_ports(["18080:80"]))
    att = chain.Attachment("ns-c1", pinned, "eth0", {"portMappings": ports})
    networks = NET.conflist(cni_paths)
    result = chain.add(cni_paths, networks, att)
    assert result_cache.addresses(result) == ["10.7.9.2"]
    cached = json.loads(open(result_cache.cache_path(cni_paths, "t1", "ns-c1", "eth0")).read())
    assert cached["kind"] == "cniCacheV1" and cached["capabilityArgs"]["portMappings"] == ports
    assert os.path.exists(os.path.join(cni_paths.ipam_dir, "t1", "10.7.9.2"))
    assert "--dport 18080" in host_netns.iptables_save()
    assert "br-t1" in host_netns.links()
    assert chain.attached(cni_paths, "t1") == ["ns-c1"]

    # a DEL that knows nothing but the names (a restarted process): the cache has the rest
    bare = chain.Attachment("ns-c1", pinned, "eth0")
    assert chain.delete(cni_paths, None, bare, "t1") is True
    assert "18080" not in host_netns.iptables_save()
    assert not os.path.exists(os.path.join(cni_paths.ipam_dir, "t1", "10.7.9.2"))
    assert result_cache.entries(cni_paths) == []
    assert chain.delete(cni_paths, networks, bare, "t1") is False  # idempotent


def test_check_asks_every_plugin(cni_paths, pinned):
    # (portmap 1.1.1's CHECK looks for an IPv6 DNAT chain it never made when ports are
    # mapped, so CHECK is shown on an attachment without ports)
    networks = NET.conflist(cni_paths)
    att = chain.Attachment("ns-c1", pinned, "eth0")
    chain.add(cni_paths, networks, att)
    chain.check(cni_paths, networks, att)
    netns.unpin(pinned)
    netns.pin(pinned)  # the same path, a fresh namespace: eth0 is gone
    with pytest.raises(CniError, match="CHECK failed"):
        chain.check(cni_paths, networks, att)
    chain.delete(cni_paths, networks, att, "t1")


def test_loopback_list(cni_paths, pinned):
    result = chain.add(cni_paths, LOOPBACK, chain.Attachment("ns-c1", pinned, "lo"))
    assert "127.0.0.1" in result_cache.addresses(result)
    assert chain.delete(cni_paths, None, chain.Attachment("ns-c1", pinned, "lo"), LOOPBACK.name)


def test_plugin_error_is_one_sentence_and_the_add_is_undone(cni_paths, pinned):
    bad = NetworkList.from_dict(
        {
            "cniVersion": "1.0.0",
            "name": "bad",
            "plugins": [
                {
                    "type": "bridge",
                    "bridge": "br-bad",
                    "ipam": {
                        "type": "host-local",
                        "ranges": [[{"subnet": "10.7.8.0/24", "rangeStart": "10.7.7.5"}]],
                        "dataDir": cni_paths.ipam_dir,
                    },
                }
            ],
        }
    )
    with pytest.raises(CniError) as info:
        chain.add(cni_paths, bad, chain.Attachment("ns-c1", pinned, "eth0"))
    message = str(info.value)
    assert message.startswith("network 'bad': CNI plugin bridge ADD failed: ")
    assert "10.7.7.5" in message and "\n" not in message
    assert result_cache.entries(cni_paths) == []


def test_a_missing_plugin_is_named(cni_paths, pinned):
    odd = NetworkList.from_dict({"name": "odd", "plugins": [{"type": "no-such-plugin"}]})
    with pytest.raises(CniError, match="'no-such-plugin' not found in /usr/lib/cni"):
        chain.add(cni_paths, odd, chain.Attachment("ns-c1", pinned, "eth0"))

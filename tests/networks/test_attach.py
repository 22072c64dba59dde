"""A container's networks without a container (the library's attach, no daemon): setup
and teardown are idempotent, a setup cut short is repaired by the next one, /etc/hosts
names the peers, and teardown leaves nothing. Plugins run in the test's own netns."""

from __future__ import annotations

import os

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.cni import (
    attach,
    netns,
    network_store,
    result_cache,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.cni.bridge_network import validated
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import CniError


def _config(**extra):
    return {"networks": [{"name": "app"}], **extra}


@pytest.fixture
def app(cni_paths):
    network_store.write(cni_paths, validated("app", None, "10.7.60.0/24", None))
    return cni_paths


def _hosts(place):
    with open(os.path.join(place.files, "hosts")) as f:
        return f.read()


def test_setup_teardown_peers_and_repair(app, host_netns):
    one = attach.where(app, "/sock", "ns", "one")
    two = attach.where(app, "/sock", "ns", "two")
    first = attach.setup(app, one, "one", _config(extra_hosts={"gw": "10.7.60.1"}), "one")
    assert result_cache.addresses(first["app"]) == ["10.7.60.2"]
    attach.setup(
        app,
        two,
        "two",
        _config(
            published_ports=[
                {"host_ip": "", "host_port": 18100, "container_port": 80, "protocol": "tcp"}
            ]
        ),
        "two",
    )
    assert "10.7.60.3\ttwo" in _hosts(one) and "10.7.60.2\tone" in _hosts(two)
    assert "10.7.60.1\tgw" in _hosts(one)
    assert attach.setup(app, one, "one", _config(), "one")["app"] == first["app"]  # kept

    taken = attach.where(app, "/sock", "ns", "three")
    with pytest.raises(
        CniError, match="host port 18100/tcp is already published by container ns-two"
    ):
        attach.setup(
            app,
            taken,
            "three",
            _config(
                published_ports=[
                    {
                        "host_ip": "127.0.0.1",
                        "host_port": 18100,
                        "container_port": 80,
                        "protocol": "tcp",
                    }
                ]
            ),
            "three",
        )
    attach.teardown(app, taken, _config())

    # a setup cut short after the plugins ran but before the cache was written
    result_cache.forget(app, "app", "ns-one", "eth0")
    again = attach.setup(app, one, "one", _config(), "one")
    assert result_cache.addresses(again["app"])

    assert attach.teardown(app, one, _config()) is True
    assert attach.teardown(app, one, _config()) is False
    assert "one" not in _hosts(two)
    assert not netns.is_pinned(one.netns) and not os.path.exists(one.files)
    assert attach.teardown(app, two, _config()) is True
    assert result_cache.entries(app) == []
    assert sorted(os.listdir(os.path.join(app.ipam_dir, "app"))) == ["last_reserved_ip.0", "lock"]
    assert "18100" not in host_netns.iptables_save()

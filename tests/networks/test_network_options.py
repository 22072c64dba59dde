"""The network options of a container, parsed (pure: no daemon, no plugins): docker's -p
syntax, networks, DNS and hosts entries, the combinations refused, the canonical form."""

from __future__ import annotations

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.cni.attach import requests
from ansible_collections.ocirt.containerd.plugins.module_utils.cni.ports import (
    format_port,
    parse_ports,
    port_mappings,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.common.errors import InvalidInput
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.options import (
    ContainerOptions,
    canonical,
    canonical_json,
)


def test_docker_port_syntax():
    assert parse_ports(["127.0.0.1:8080:80/tcp", "53:53/udp", "9000-9001:90-91"]) == [
        {"host_ip": "", "host_port": 53, "container_port": 53, "protocol": "udp"},
        {"host_ip": "127.0.0.1", "host_port": 8080, "container_port": 80, "protocol": "tcp"},
        {"host_ip": "", "host_port": 9000, "container_port": 90, "protocol": "tcp"},
        {"host_ip": "", "host_port": 9001, "container_port": 91, "protocol": "tcp"},
    ]
    (v6,) = parse_ports(["[::1]:8443:443"])
    assert v6["host_ip"] == "::1"
    assert port_mappings(parse_ports(["127.0.0.1:8080:80"])) == [
        {"hostPort": 8080, "containerPort": 80, "protocol": "tcp", "hostIP": "127.0.0.1"}
    ]
    assert format_port(parse_ports(["8080:80"])[0]) == "0.0.0.0:8080->80/tcp"


@pytest.mark.parametrize(
    "spec, message",
    [
        ("80:80:80", "'80' is not an IP address"),
        ("80", "needs a host port"),
        ("127.0.0.1::80", "give the host port"),
        ("8080:80/icmp", "protocol must be one of tcp, udp, sctp"),
        ("70000:80", "ports are 1-65535"),
        ("8000-8002:80-81", "ranges differ in length"),
        ("web:80", "'web' is not a port or range"),
    ],
)
def test_bad_ports_name_the_option_and_the_syntax(spec, message):
    with pytest.raises(InvalidInput, match="published_ports: ") as info:
        ContainerOptions.from_dict({"image": "busybox", "published_ports": [spec]})
    assert message in str(info.value)


def test_a_host_port_published_twice_is_refused():
    with pytest.raises(InvalidInput, match="host port 8080/tcp is published twice"):
        parse_ports(["8080:80", "127.0.0.1:8080:81"])


def test_options_without_networking_keep_their_canonical_form():
    plain = ContainerOptions.from_dict({"image": "busybox", "dns": [], "networks": []})
    assert canonical_json(plain) == '{"image":"docker.io/library/busybox:latest"}'


def test_network_options_in_the_canonical_form():
    options = ContainerOptions.from_dict(
        {
            "image": "busybox",
            "networks": ["web", {"name": "db", "ipv4_address": "10.7.2.9", "aliases": ["x"]}],
            "published_ports": ["8080:80"],
            "dns": ["10.0.0.53"],
            "extra_hosts": ["gw:10.7.1.1"],
        }
    )
    config = canonical(options)
    assert config["networks"] == [
        {"name": "web"},
        {"name": "db", "ipv4_address": "10.7.2.9", "aliases": ["x"]},
    ]
    assert config["extra_hosts"] == {"gw": "10.7.1.1"}
    assert [r.name for r in requests(config)] == ["web", "db"]


def test_which_networks_a_container_gets():
    def names(**raw):
        return [
            r.name for r in requests(canonical(ContainerOptions.from_dict({"image": "b", **raw})))
        ]

    assert names() == []
    assert names(network_mode="web") == ["web"]
    assert names(published_ports=["80:80"]) == ["bridge"]  # docker's default network
    assert names(network_mode="none", published_ports=["80:80"]) == ["bridge"]
    assert names(network_mode="host") == []


@pytest.mark.parametrize(
    "raw, message",
    [
        ({"network_mode": "host", "published_ports": ["80:80"]}, "network_mode: host shares"),
        ({"network_mode": "a", "networks": ["b"]}, "differs from the first of networks"),
        ({"networks": ["a", "a"]}, "network 'a' is listed twice"),
        ({"networks": [{"name": "a", "ip": "1"}]}, "unknown key(s) ip"),
        ({"networks": [{"name": "a", "ipv4_address": "x"}]}, "'x' is not an IPv4 address"),
        ({"dns": ["resolver"]}, "dns: 'resolver' is not an IP address"),
        ({"extra_hosts": ["db"]}, "extra_hosts: 'db' is not HOST:IP"),
    ],
)
def test_bad_network_options(raw, message):
    with pytest.raises(InvalidInput) as info:
        ContainerOptions.from_dict({"image": "busybox", **raw})
    assert message in str(info.value)

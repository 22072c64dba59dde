"""Containers on CNI networks, end to end against a private containerd that runs, with all
its plugins, inside a network namespace of the test's own (``containerd_netns``).

Shown: a published port on 127.0.0.1 answers (busybox httpd) and nothing is left after
removal (iptables, leases, result cache, namespace mount, veth); containers on one network
reach each other by name, an isolated network cannot reach them; a containerd restart keeps
the address and the port.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.cni import network_store
from ansible_collections.ocirt.containerd.plugins.module_utils.cni.bridge_network import validated
from ansible_collections.ocirt.containerd.plugins.module_utils.containers import (
    lifecycle,
    networking,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.record import (
    get_container,
)

from networks.conftest import exec_in

HTTPD = (
    "mkdir -p /www && echo hello-from-$(busybox hostname) > /www/index.html"
    " && exec busybox httpd -f -p 80 -h /www"
)
FETCH = "import urllib.request as u; print(u.urlopen({!r}, timeout=3).read().decode(), end='')"


def _get(netns, url: str, deadline: float = 15.0) -> str:
    end = time.monotonic() + deadline
    while True:
        r = netns.run(
            "python3",
            "-c",
            FETCH.format(url),
            check=False,
        )
        if r.returncode == 0 or time.monotonic() > end:
            return r.stdout if r.returncode == 0 else f"FAILED: {r.stderr.strip()[-300:]}"
        time.sleep(0.2)


def _netns_of(paths, conn, name: str) -> str:
    return networking.attach.where(paths, conn.address, conn.namespace, name).netns


def _fetch_from(netns_path: str, url: str, timeout: float = 5) -> str:
    r = subprocess.run(
        ["nsenter", f"--net={netns_path}", "--", "python3", "-c", FETCH.format(url)],
        capture_output=True,
        text=True,
        timeout=timeout + 20,
        check=False,
    )
    return r.stdout if r.returncode == 0 else f"FAILED: {r.stderr.strip()[-200:]}"


def _mounts_under(path: str) -> list:
    with open("/proc/self/mountinfo") as f:
        return [line.split()[4] for line in f if line.split()[4].startswith(path)]


def test_published_port_answers_and_rm_leaves_nothing(
    containerd_netns, netconn, run_container, net_env
):
    host = containerd_netns.test_netns
    run_container("web", command=["sh", "-c", HTTPD], published_ports=["127.0.0.1:18080:80"])
    assert _get(host, "http://127.0.0.1:18080/") == "hello-from-web\n"
    ips = networking.addresses(netconn, get_container(netconn, "web"))
    assert list(ips) == ["bridge"] and ips["bridge"][0].startswith("10.7.0.")
    assert "18080" in host.iptables_save()

    lifecycle.remove(netconn, "web", force=True)
    assert "18080" not in host.iptables_save()
    assert not [f for f in os.listdir(os.path.join(net_env.ipam_dir, "bridge")) if f[0].isdigit()]
    assert not os.listdir(net_env.results_dir)
    assert _mounts_under(net_env.netns_dir) == []
    assert "veth" not in host.links()
    assert not any(
        os.scandir(
            os.path.dirname(
                networking.attach.where(net_env, netconn.address, netconn.namespace, "web").files
            )
        )
    )


def test_one_network_by_name_and_isolation(containerd_netns, netconn, run_container, net_env):
    network_store.write(net_env, validated("app", None, "10.7.30.0/24", None))
    network_store.write(net_env, validated("other", None, "10.7.31.0/24", None))
    run_container(
        "api", command=["sh", "-c", HTTPD], networks=[{"name": "app", "aliases": ["backend"]}]
    )
    run_container(
        "client",
        command=["sleep", "300"],
        networks=["app"],
        dns=["10.0.0.53"],
        dns_search=["example.test"],
        extra_hosts=["gw:10.7.30.1"],
    )
    run_container("outsider", command=["sleep", "300"], networks=["other"])
    api_ip = networking.addresses(netconn, get_container(netconn, "api"))["app"][0]
    # busybox-static's own resolver crashes on names (static glibc without NSS), so the
    # names are looked up in the container's /etc/hosts as libc would, then fetched
    lookup = "busybox awk -v n={} '$2 == n || $3 == n {{print $1; exit}}' /etc/hosts"
    for target in ("api", "backend"):
        found = exec_in(containerd_netns, netconn, "client", "sh", "-c", lookup.format(target))
        assert found == {"rc": 0, "out": f"{api_ip}\n"}, target
    # and the address is reached from the client's network namespace (busybox-static's
    # wget crashes in its resolver even on an address: host python, nsenter'd)
    assert _fetch_from(_netns_of(net_env, netconn, "client"), f"http://{api_ip}/") == (
        "hello-from-api\n"
    )
    hosts = exec_in(containerd_netns, netconn, "client", "cat", "/etc/hosts")["out"]
    assert f"{api_ip}\tapi backend" in hosts and "10.7.30.1\tgw" in hosts
    resolv = exec_in(containerd_netns, netconn, "client", "cat", "/etc/resolv.conf")["out"]
    assert resolv == "nameserver 10.0.0.53\nsearch example.test\n"
    cut = _fetch_from(_netns_of(net_env, netconn, "outsider"), f"http://{api_ip}/", 2)
    assert cut.startswith("FAILED")
    with pytest.raises(Exception, match="in use by"):
        from ansible_collections.ocirt.containerd.plugins.module_utils.reconcile import network

        network.plan(net_env, network.DesiredNetwork("app", state="absent"))


def test_containerd_restart_keeps_address_and_port(containerd_netns, netconn, run_container):
    host = containerd_netns.test_netns
    run_container("keep", command=["sh", "-c", HTTPD], published_ports=["18081:80"])
    before = networking.addresses(netconn, get_container(netconn, "keep"))
    containerd_netns.restart()
    assert _get(host, "http://127.0.0.1:18081/") == "hello-from-keep\n"
    assert networking.addresses(netconn, get_container(netconn, "keep")) == before
    lifecycle.restart(netconn, "keep", timeout=2)
    assert _get(host, "http://127.0.0.1:18081/") == "hello-from-keep\n"
    assert networking.addresses(netconn, get_container(netconn, "keep")) == before


@pytest.mark.containerd_series("2.1")  # the monitor checks every 10 s: once is enough
def test_restart_monitor_brings_it_back_in_the_same_namespace(
    containerd_netns, netconn, run_container
):
    host = containerd_netns.test_netns
    run_container(
        "mon", command=["sh", "-c", HTTPD], published_ports=["18082:80"], restart_policy="always"
    )
    before = networking.addresses(netconn, get_container(netconn, "mon"))
    first = _pid(containerd_netns, netconn)
    containerd_netns.ctr("tasks", "kill", "-s", "SIGKILL", "mon", namespace=netconn.namespace)
    deadline = time.monotonic() + 40
    while _pid(containerd_netns, netconn) in (first, None) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _pid(containerd_netns, netconn) not in (first, None), "the monitor did not restart it"
    assert _get(host, "http://127.0.0.1:18082/") == "hello-from-mon\n"
    assert networking.addresses(netconn, get_container(netconn, "mon")) == before


def _pid(containerd, conn):
    rows = containerd.ctr("tasks", "ls", namespace=conn.namespace).stdout.splitlines()[1:]
    for row in rows:
        name, pid, status = row.split()[:3]
        if name == "mon" and status == "RUNNING":
            return pid
    return None

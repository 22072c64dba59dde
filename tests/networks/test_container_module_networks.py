"""The container module with networks and ports: idempotent, check mode, a changed port
recreates only that container, a port taken by another container refused (Ansible runs in
the environment that sends CNI state under tmp and the plugins into the daemon's netns)."""

from __future__ import annotations

import pytest
from harness.ansible_runner import run_playbook

from networks.conftest import BUSYBOX
from networks.test_container_networks import HTTPD, _get


def _task(containerd, ns, name, port, check=False, state="started"):
    args = {
        "address": containerd.address,
        "namespace": ns,
        "name": name,
        "image": BUSYBOX,
        "pull": "never",
        "command": ["sh", "-c", HTTPD],
        "published_ports": [f"127.0.0.1:{port}:80"],
        "stop_timeout": 1,  # httpd as pid 1 ignores SIGTERM
        "state": state,
    }
    return {"ocirt.containerd.container": args, "check_mode": check, "ignore_errors": True}


@pytest.mark.containerd_series("2.1")  # the module's logic is series-blind; the library
# tests (test_container_networks.py) cover every series
def test_module_ports_recreate_only_the_changed_container(containerd_netns, netconn, net_env):
    ns, host = netconn.namespace, containerd_netns.test_netns

    def task(name, port, **kw):
        return _task(containerd_netns, ns, name, port, **kw)

    try:
        a, b, again, predicted = run_playbook(
            [task("a", 18110), task("b", 18111), task("a", 18110), task("a", 18112, check=True)]
        )
        assert a["changed"] and b["changed"], (a, b)
        assert again["changed"] is False and again["actions"] == []
        assert predicted["actions"][0]["reason"] == "configuration differs: published_ports"
        assert _get(host, "http://127.0.0.1:18110/") == "hello-from-a\n"  # check mode did nothing

        moved, b_again, clash = run_playbook([task("a", 18112), task("b", 18111), task("c", 18111)])
        assert [x["action"] for x in moved["actions"]] == ["remove", "create", "start"]
        assert b_again["changed"] is False
        assert clash["failed"]
        assert "host port 18111/tcp is already published by container" in clash["msg"]
        assert _get(host, "http://127.0.0.1:18112/") == "hello-from-a\n"
        assert _get(host, "http://127.0.0.1:18110/", deadline=1).startswith("FAILED")
        assert _get(host, "http://127.0.0.1:18111/") == "hello-from-b\n"
    finally:
        run_playbook([task(n, 18110, state="absent") for n in ("a", "b", "c")])
    assert "1811" not in host.iptables_save()

"""`ocirt network`, `run -p --network`, `port`, PORTS in `ps` and addresses in `inspect`,
against the private containerd in the test's network namespace."""

from __future__ import annotations

import json

from cli.test_ocirt_cli import ocirt

from networks.conftest import BUSYBOX
from networks.test_container_networks import HTTPD, _get


def test_cli_network_run_port_ps_inspect_rm(containerd_netns, netconn, net_env):
    env = {
        "CONTAINERD_ADDRESS": containerd_netns.address,
        "CONTAINERD_NAMESPACE": netconn.namespace,
    }
    host = containerd_netns.test_netns
    made = ocirt("network", "create", "front", "--subnet", "10.7.50.0/24", env=env)
    assert made.returncode == 0 and made.stdout == "front\n", made.stderr
    bad = ocirt("run", "-d", "--name", "x", "-p", "80:80:80", BUSYBOX, "true", env=env)
    assert (
        bad.returncode != 0
        and "published_ports: '80:80:80': '80' is not an IP address" in bad.stderr
    )

    run = ocirt(
        "run",
        "-d",
        "--name",
        "web",
        "-p",
        "127.0.0.1:18090:80",
        "--network",
        "front",
        BUSYBOX,
        "sh",
        "-c",
        HTTPD,
        env=env,
    )
    assert run.returncode == 0, run.stderr
    try:
        assert _get(host, "http://127.0.0.1:18090/") == "hello-from-web\n"
        assert ocirt("port", "web", env=env).stdout == "80/tcp -> 127.0.0.1:18090\n"
        ps = ocirt("ps", "--format", "{names} {ports}", env=env).stdout
        assert ps == "web 127.0.0.1:18090->80/tcp\n"
        details = json.loads(ocirt("inspect", "web", env=env).stdout)[0]
        assert details["networks"]["front"][0].startswith("10.7.50.")
        listed = ocirt("network", "ls", env=env).stdout.splitlines()
        assert listed[1].split() == ["front", "br-front", "10.7.50.0/24", "10.7.50.1", "1"]
        busy = ocirt("network", "rm", "front", env=env)
        assert (
            busy.returncode != 0
            and f"in use by 1 container(s): {netconn.namespace}-web" in busy.stderr
        )
    finally:
        removed = ocirt("rm", "-f", "web", env=env)
    assert removed.returncode == 0, removed.stderr
    assert "18090" not in host.iptables_save()
    assert ocirt("network", "rm", "front", env=env).stdout == "front\n"
    assert "br-front" not in host.links()

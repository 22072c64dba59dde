"""A pod on a CNI network (bridge + host-local + portmap), with its containerd inside a
network namespace the test made: the pod gets an address from the conflist's subnet,
pod_info reports it, and busybox httpd in the pod answers on the host port."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Iterator, Tuple

import pytest
from ansible_collections.ocirt.containerd.plugins.module_utils.pods import (
    desired,
    reconciler,
    report,
)
from ansible_collections.ocirt.containerd.plugins.module_utils.transport.connection import (
    Connection,
)
from harness.cri import POD_GATEWAY, cri_netns_daemon, import_image
from harness.daemon import ContainerdDaemon
from harness.images import busybox_image
from harness.plugin import selected_series

from .conftest import BUSYBOX

if TYPE_CHECKING:  # imported by name, pytest would try to collect it as a test class
    from harness.netns import TestNetns


@pytest.fixture(scope="module", params=selected_series(), ids=str)
def netns_cri(request: pytest.FixtureRequest) -> Iterator[Tuple[ContainerdDaemon, TestNetns]]:
    for daemon, netns in cri_netns_daemon(request.param):
        import_image(daemon, busybox_image(), BUSYBOX)
        yield daemon, netns


# no proxy (whatever the environment says), 3 s per try; busybox-static's wget crashes here
FETCH = (
    "import sys, urllib.request as u; opener = u.build_opener(u.ProxyHandler({})); "
    "print(opener.open(sys.argv[1], timeout=3).read().decode())"
)


def _fetch(netns: TestNetns, url: str) -> str:
    deadline = time.monotonic() + 15
    while True:
        got = netns.run(sys.executable, "-c", FETCH, url, check=False, timeout=30)
        if got.returncode == 0 or time.monotonic() > deadline:
            return got.stdout
        time.sleep(0.2)


def test_pod_network_address_and_host_port(netns_cri, tmp_path) -> None:
    daemon, netns = netns_cri
    pod = desired.from_options(
        {
            "name": "web",
            "log_directory": str(tmp_path / "logs"),
            "port_mappings": [{"container_port": 80, "host_port": 18080}],
            "containers": [
                {
                    "name": "httpd",
                    "image": BUSYBOX,
                    "command": [
                        "sh",
                        "-c",
                        "echo hello-from-pod > /tmp/index.html; exec httpd -f -p 80 -h /tmp",
                    ],
                }
            ],
        }
    )
    gone = desired.from_options({"name": "web", "state": "absent"})
    with Connection(daemon.address, namespace="k8s.io") as conn:
        try:
            applied = reconciler.apply(conn, reconciler.plan(conn, pod))
            (found,) = report.list_pods(conn, name="web")
            assert found["network"] == "pod" and found["ip"].startswith("10.88.0."), found
            assert found["id"] == applied.details["sandbox_id"]
            assert "hello-from-pod" in _fetch(netns, f"http://{found['ip']}:80/")
            assert "hello-from-pod" in _fetch(netns, f"http://{POD_GATEWAY}:18080/")
        finally:  # StopPodSandbox tears the pod's network namespace down (a file in /run/netns)
            reconciler.apply(conn, reconciler.plan(conn, gone))
        assert report.list_pods(conn, name="web") == []

"""After a reboot, containerd's restart monitor cannot start a container whose pinned
network namespace went with /run; `ocirt apply` of the node's state document (what the
workloads scenario's ocirt-apply.service runs at boot) makes the namespace again, on the
address the container had, and starts it: the port answers and `ocirt diff` finds nothing.

The reboot is simulated: the namespace is unpinned and the container's files removed (what
an empty /run leaves), then its task is killed (what the shutdown does); the monitor's own
attempts fail meanwhile, as on a booting node."""

from __future__ import annotations

import json
import shutil
import time

from ansible_collections.ocirt.containerd.plugins.module_utils.cni import attach, netns
from ansible_collections.ocirt.containerd.plugins.module_utils.containers import networking
from ansible_collections.ocirt.containerd.plugins.module_utils.containers.record import (
    get_container,
)
from cli.test_ocirt_cli import ocirt
from networks.conftest import BUSYBOX
from networks.test_container_networks import HTTPD, _get

DOCUMENT = {
    "networks": [{"name": "bootnet", "subnet": "10.7.62.0/24"}],
    "containers": [
        {
            "name": "bootweb",
            "image": BUSYBOX,
            "command": ["sh", "-c", HTTPD],
            "networks": [{"name": "bootnet"}],
            "published_ports": ["127.0.0.1:18093:80"],
            "restart_policy": "always",
        }
    ],
}


def _running(containerd, ns: str) -> bool:
    rows = containerd.ctr("tasks", "ls", namespace=ns).stdout.splitlines()[1:]
    return any(r.split()[:1] == ["bootweb"] and "RUNNING" in r.split() for r in rows)


def test_apply_brings_a_networked_container_back_after_a_reboot(
    containerd_netns, netconn, net_env, tmp_path
):
    env = {
        "CONTAINERD_ADDRESS": containerd_netns.address,
        "CONTAINERD_NAMESPACE": netconn.namespace,
    }
    doc = tmp_path / "state.json"
    doc.write_text(json.dumps(DOCUMENT))
    host = containerd_netns.test_netns
    assert ocirt("apply", "-f", str(doc), env=env).returncode == 0
    before = networking.addresses(netconn, get_container(netconn, "bootweb"))
    assert before == {"bootnet": ["10.7.62.2"]}
    try:
        place = attach.where(net_env, containerd_netns.address, netconn.namespace, "bootweb")
        netns.unpin(place.netns)
        shutil.rmtree(place.files)
        containerd_netns.ctr(
            "tasks", "kill", "-s", "SIGKILL", "bootweb", namespace=netconn.namespace
        )
        deadline = time.monotonic() + 10
        while _running(containerd_netns, netconn.namespace) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _running(containerd_netns, netconn.namespace)

        applied = ocirt("apply", "-f", str(doc), "--json", env=env)
        assert applied.returncode == 0, applied.stderr
        changes = [e["change"] for e in json.loads(applied.stdout)["entries"] if e["changed"]]
        assert changes == ["start"], applied.stdout
        assert _get(host, "http://127.0.0.1:18093/") == "hello-from-bootweb\n"
        assert networking.addresses(netconn, get_container(netconn, "bootweb")) == before
        again = ocirt("diff", "-f", str(doc), env=env)
        assert (again.returncode, again.stderr) == (0, ""), again
    finally:
        gone = [{**DOCUMENT["containers"][0], "state": "absent"}]  # DOCUMENT is shared
        doc.write_text(json.dumps({"containers": gone}))
        ocirt("apply", "-f", str(doc), env=env)
